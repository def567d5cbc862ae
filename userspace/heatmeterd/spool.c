// SPDX-License-Identifier: GPL-2.0
/*
 * The spool. Record layout (little-endian):
 *   u32 magic "HMS1", u32 len, u64 seq, s64 t_real, u16 a, u16 zero,
 *   payload[len], u32 crc32 (over everything before it)
 * On open the file is scanned; the first record that is short or fails its
 * CRC ends it (a write torn by a crash: it was never synced, so never
 * acknowledged) and the file is truncated there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "spool.h"

#define MAGIC	0x31534d48u	/* "HMS1" */
#define HDR	28
#define TRAILER	4

static uint32_t crc32_tab[256];

static uint32_t crc32(const uint8_t *p, size_t n, uint32_t c)
{
	if (!crc32_tab[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t x = i;

			for (int k = 0; k < 8; k++)
				x = (x & 1) ? (x >> 1) ^ 0xEDB88320u : x >> 1;
			crc32_tab[i] = x;
		}
	c = ~c;
	while (n--)
		c = crc32_tab[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }
static uint32_t get32(const uint8_t *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = v << 8 | p[i]; return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | p[i]; return v; }

static struct spool_ent *ent(struct spool *s, size_t i)
{
	return &s->ents[(s->head + i) % s->cap];
}

static int push(struct spool *s, const struct spool_ent *e)
{
	if (s->count == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 256;
		struct spool_ent *n = malloc(nc * sizeof(*n));

		if (!n)
			return -ENOMEM;
		for (size_t i = 0; i < s->count; i++)
			n[i] = *ent(s, i);
		free(s->ents);
		s->ents = n;
		s->cap = nc;
		s->head = 0;
	}
	*ent(s, s->count++) = *e;
	s->pending_bytes += HDR + e->len + TRAILER;
	return 0;
}

static void pop(struct spool *s)
{
	s->pending_bytes -= HDR + ent(s, 0)->len + TRAILER;
	s->head = (s->head + 1) % s->cap;
	s->count--;
}

static int write_state(struct spool *s)
{
	uint8_t b[20];
	int fd;

	put64(b, s->acked);
	put64(b + 8, s->dropped);
	put32(b + 16, crc32(b, 16, 0));
	fd = openat(s->dirfd, "state.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, b, sizeof(b)) != (ssize_t)sizeof(b) || fdatasync(fd)) {
		close(fd);
		return -EIO;
	}
	close(fd);
	if (renameat(s->dirfd, "state.tmp", s->dirfd, "state"))
		return -errno;
	return fsync(s->dirfd) ? -errno : 0;
}

static void read_state(struct spool *s)
{
	uint8_t b[20];
	int fd = openat(s->dirfd, "state", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (read(fd, b, sizeof(b)) == (ssize_t)sizeof(b) && get32(b + 16) == crc32(b, 16, 0)) {
		s->acked = get64(b);
		s->dropped = get64(b + 8);
	}
	close(fd);
}

int spool_open(struct spool *s, const char *dir, uint64_t max_bytes,
	       int64_t max_age_s)
{
	uint8_t h[HDR], *buf;
	uint64_t off = 0, maxseq = 0;
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->max_bytes = max_bytes;
	s->max_age_ns = max_age_s * 1000000000LL;
	mkdir(dir, 0700);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return -errno;
	read_state(s);
	s->fd = openat(s->dirfd, "spool", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->fd < 0 || fstat(s->fd, &st))
		return -errno;
	buf = malloc(SPOOL_REC_MAX + HDR + TRAILER);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct spool_ent e;
		uint32_t len;

		if (pread(s->fd, h, HDR, off) != HDR || get32(h) != MAGIC)
			break;
		len = get32(h + 4);
		if (len > SPOOL_REC_MAX || off + HDR + len + TRAILER > (uint64_t)st.st_size)
			break;
		memcpy(buf, h, HDR);
		if (pread(s->fd, buf + HDR, len + TRAILER, off + HDR) != (ssize_t)(len + TRAILER) ||
		    get32(buf + HDR + len) != crc32(buf, HDR + len, 0))
			break;
		e.seq = get64(h + 8);
		e.t_real = (int64_t)get64(h + 16);
		e.a = h[24] | h[25] << 8;
		e.len = len;
		e.off = off;
		if (e.seq > maxseq)
			maxseq = e.seq;
		if (e.seq > s->acked && push(s, &e)) {
			free(buf);
			return -ENOMEM;
		}
		off += HDR + len + TRAILER;
	}
	free(buf);
	if (off < (uint64_t)st.st_size) {
		s->torn = 1;
		if (ftruncate(s->fd, off) || fsync(s->fd))
			return -errno;
	}
	s->file_size = off;
	s->next_seq = (maxseq > s->acked ? maxseq : s->acked) + 1;
	return 0;
}

void spool_close(struct spool *s)
{
	if (s->fd >= 0) {
		spool_sync(s);
		close(s->fd);
	}
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->ents);
	s->ents = NULL;
	s->fd = s->dirfd = -1;
}

uint64_t spool_append(struct spool *s, uint16_t a, const uint8_t *d, size_t n,
		      int64_t t_real)
{
	uint8_t *b;
	struct spool_ent e = { .seq = s->next_seq, .t_real = t_real, .off = s->file_size,
			       .len = n, .a = a };
	size_t tot = HDR + n + TRAILER;

	if (n > SPOOL_REC_MAX)
		return 0;
	b = malloc(tot);
	if (!b)
		return 0;
	put32(b, MAGIC);
	put32(b + 4, n);
	put64(b + 8, e.seq);
	put64(b + 16, (uint64_t)t_real);
	b[24] = a & 0xff;
	b[25] = a >> 8;
	b[26] = b[27] = 0;
	memcpy(b + HDR, d, n);
	put32(b + HDR + n, crc32(b, HDR + n, 0));
	if (pwrite(s->fd, b, tot, s->file_size) != (ssize_t)tot) {
		/* leave no partial record behind a later one */
		if (ftruncate(s->fd, s->file_size)) {}
		free(b);
		return 0;
	}
	free(b);
	s->file_size += tot;
	s->next_seq++;
	s->appended++;
	s->dirty = 1;
	if (push(s, &e))
		return 0;
	/* the size bound: oldest dropped, counted */
	while (s->count > 1 && s->pending_bytes > s->max_bytes) {
		s->acked = ent(s, 0)->seq;
		s->dropped++;
		pop(s);
	}
	return e.seq;
}

int spool_sync(struct spool *s)
{
	if (!s->dirty)
		return 0;
	if (fdatasync(s->fd))
		return -errno;
	s->dirty = 0;
	return 0;
}

const struct spool_ent *spool_get(struct spool *s, size_t i, uint8_t *buf,
				  size_t cap)
{
	struct spool_ent *e;

	if (i >= s->count)
		return NULL;
	e = ent(s, i);
	if (e->len > cap || pread(s->fd, buf, e->len, e->off + HDR) != (ssize_t)e->len)
		return NULL;
	return e;
}

/* Rewrites the file with the pending records only. */
static int compact(struct spool *s)
{
	uint64_t off = 0;
	uint8_t *b = malloc(SPOOL_REC_MAX + HDR + TRAILER);
	int fd, rc = 0;

	if (!b)
		return -ENOMEM;
	fd = openat(s->dirfd, "spool.tmp", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(b);
		return -errno;
	}
	for (size_t i = 0; i < s->count; i++) {
		struct spool_ent *e = ent(s, i);
		size_t tot = HDR + e->len + TRAILER;

		if (pread(s->fd, b, tot, e->off) != (ssize_t)tot ||
		    pwrite(fd, b, tot, off) != (ssize_t)tot) {
			rc = -EIO;
			break;
		}
		off += tot;
	}
	free(b);
	if (rc || fdatasync(fd) || renameat(s->dirfd, "spool.tmp", s->dirfd, "spool") ||
	    fsync(s->dirfd)) {
		close(fd);
		unlinkat(s->dirfd, "spool.tmp", 0);
		return rc ? rc : -EIO;
	}
	close(s->fd);
	s->fd = fd;
	s->file_size = off;
	off = 0;
	for (size_t i = 0; i < s->count; i++) {
		ent(s, i)->off = off;
		off += HDR + ent(s, i)->len + TRAILER;
	}
	return 0;
}

int spool_ack(struct spool *s, uint64_t seq)
{
	int rc;

	if (seq <= s->acked && !s->count && !s->file_size)
		return 0;
	while (s->count && ent(s, 0)->seq <= seq)
		pop(s);
	if (seq > s->acked)
		s->acked = seq;
	rc = write_state(s);
	if (rc)
		return rc;
	/* compact once the delivered part dominates the file */
	if (s->file_size > 65536 && s->file_size > 2 * s->pending_bytes)
		return compact(s);
	if (!s->count && s->file_size) {
		if (ftruncate(s->fd, 0))
			return -errno;
		s->file_size = 0;
	}
	return 0;
}

void spool_expire(struct spool *s, int64_t now_real)
{
	int n = 0;

	while (s->count && s->max_age_ns > 0 &&
	       now_real - ent(s, 0)->t_real > s->max_age_ns) {
		s->acked = ent(s, 0)->seq;
		s->dropped++;
		pop(s);
		n++;
	}
	if (n)
		write_state(s);
}
