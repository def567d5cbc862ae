/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Store-and-forward spool: every upload is appended here (and made
 * durable with fdatasync per batch) before it is sent; it leaves only when
 * the platform has proved the link alive after it was written, or when the
 * age/size bounds drop it (oldest first, counted).
 *
 * Files in the spool directory:
 *   spool     append-only records: magic, length, seq, time, A, payload, CRC-32
 *   state     delivered-up-to seq and the dropped counter (write + rename)
 */
#ifndef HMD_SPOOL_H
#define HMD_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool_ent {
	uint64_t seq;
	int64_t t_real;		/* ns since the epoch when it was produced */
	uint64_t off;		/* record offset in the file */
	uint32_t len;		/* payload bytes */
	uint16_t a;		/* transmission id */
};

struct spool {
	int fd, dirfd;
	uint64_t max_bytes;	/* payload + headers kept at most */
	int64_t max_age_ns;
	uint64_t next_seq, acked, dropped, appended, torn;
	uint64_t file_size, pending_bytes;
	struct spool_ent *ents;	/* pending records, ring */
	size_t head, count, cap;
	int dirty;		/* appended since the last sync */
};

#define SPOOL_REC_MAX	65536

int spool_open(struct spool *s, const char *dir, uint64_t max_bytes,
	       int64_t max_age_s);
void spool_close(struct spool *s);
/* Appends (write(), not yet durable); returns the seq or 0 on error. */
uint64_t spool_append(struct spool *s, uint16_t a, const uint8_t *d, size_t n,
		      int64_t t_real);
/* Makes every append durable (fdatasync); 0 or -errno. */
int spool_sync(struct spool *s);
/* The i-th pending record (0 = oldest); its payload into buf. */
const struct spool_ent *spool_get(struct spool *s, size_t i, uint8_t *buf,
				  size_t cap);
static inline size_t spool_pending(const struct spool *s) { return s->count; }
/* Everything up to seq is delivered: persisted, and the file compacted. */
int spool_ack(struct spool *s, uint64_t seq);
/* Drops records older than max_age (oldest first, counted). */
void spool_expire(struct spool *s, int64_t now_real);

#endif
