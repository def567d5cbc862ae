// SPDX-License-Identifier: GPL-2.0
/*
 * bench: lib/ throughput and memory figures (make bench).
 *
 * For every reply in ../shared/vectors (CJ/T 188 vectors and the libmbus
 * telegrams): time the framer (fed the whole frame with a preamble) and
 * the decoder, best of several rounds, and print ns per frame next to the
 * frame's wire time at 2400 Bd 8E1. Also prints the sizes of lib/'s state.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cjt188.h"
#include "frame.h"
#include "mbus.h"
#include "reading.h"

#define MAXF 300
#define ROUNDS 5

struct sample {
	char name[96];
	u8 buf[MAXF + 8];
	size_t len;
};

static struct sample samples[512];
static unsigned int nsamples;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* parse hex text (whitespace allowed) into a sample; 0 if none */
static size_t parse_hex(const char *s, u8 *out, size_t cap)
{
	size_t n = 0;
	unsigned int v;

	while (*s) {
		while (*s && !((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
			       (*s >= 'A' && *s <= 'F')))
			s++;
		if (!*s || sscanf(s, "%2x", &v) != 1 || n == cap)
			break;
		out[n++] = v;
		s += 2;
	}
	return n;
}

static void add(const char *name, const char *hex)
{
	struct sample *sm;

	if (nsamples == sizeof(samples) / sizeof(samples[0]))
		return;
	sm = &samples[nsamples];
	snprintf(sm->name, sizeof(sm->name), "%s", name);
	sm->len = parse_hex(hex, sm->buf, MAXF);
	if (sm->len)
		nsamples++;
}

static void load_cjt188(const char *path)
{
	char line[512], name[96] = "", hex[4096] = "";
	int reply = 0, inhex = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		exit(1);
	}
	for (;;) {
		char *l = fgets(line, sizeof(line), f);

		if (!l || line[0] == '\n') {
			if (reply && hex[0])
				add(name, hex);
			reply = inhex = 0;
			hex[0] = 0;
			if (!l)
				break;
			continue;
		}
		if (!strncmp(line, "name: ", 6)) {
			snprintf(name, sizeof(name), "cjt188/%.80s", line + 6);
			name[strcspn(name, "\n")] = 0;
		} else if (!strncmp(line, "dir: reply", 10)) {
			reply = 1;
		} else if (!strncmp(line, "hex: ", 5)) {
			snprintf(hex, sizeof(hex), "%s", line + 5);
			inhex = 1;
		} else if (inhex && line[0] == ' ') {
			strncat(hex, line, sizeof(hex) - strlen(hex) - 1);
		} else {
			inhex = 0;
		}
	}
	fclose(f);
}

static void load_mbus(const char *dir)
{
	struct dirent **ents;
	int n, i;

	n = scandir(dir, &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		char path[1024], hex[4096] = "", name[96];
		size_t len = strlen(ents[i]->d_name);
		FILE *f;

		if (len > 4 && !strcmp(ents[i]->d_name + len - 4, ".hex")) {
			snprintf(path, sizeof(path), "%.500s/%.500s", dir, ents[i]->d_name);
			f = fopen(path, "r");
			if (f) {
				size_t r = fread(hex, 1, sizeof(hex) - 1, f);

				hex[r] = 0;
				fclose(f);
				snprintf(name, sizeof(name), "mbus/%.*s",
					 (int)(len - 4), ents[i]->d_name);
				add(name, hex);
			}
		}
		free(ents[i]);
	}
	free(ents);
}

static struct hm_framer framer;
static volatile int sink;

/* best-of-ROUNDS ns per call of the framer over the whole sample */
static double time_framer(const struct sample *sm, unsigned int iters, const u8 **frame,
			  size_t *flen)
{
	double best = 1e30;
	unsigned int r, i;

	for (r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();

		for (i = 0; i < iters; i++) {
			struct hm_frame_result res = { 0 };
			size_t off = 0;

			hm_framer_init(&framer, HM_MODE_AUTO);
			while (off < sm->len) {
				off += hm_framer_push(&framer, sm->buf + off, NULL,
						      sm->len - off, &res);
				if (res.len)
					break;
			}
			*frame = res.data;
			*flen = res.status ? 0 : res.len;
			sink += res.status;
		}
		best = (now_ns() - t0) / iters < best ? (now_ns() - t0) / iters : best;
	}
	return best;
}

static double time_decode(const u8 *frame, size_t len, unsigned int iters, int *rc)
{
	double best = 1e30;
	unsigned int r, i;
	struct hm_identity id;
	struct hm_reading rd;

	for (r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();

		for (i = 0; i < iters; i++) {
			if (frame[0] == 0x68 && len > 3 && frame[3] == 0x68 && frame[1] == frame[2])
				*rc = hm_mbus_decode(frame, len, 0, &id, &rd);
			else
				*rc = hm_cjt188_decode(frame, len, NULL, &id, &rd);
			sink += rd.valid;
		}
		best = (now_ns() - t0) / iters < best ? (now_ns() - t0) / iters : best;
	}
	return best;
}

int main(int argc, char **argv)
{
	double tf_sum = 0, td_sum = 0, bytes = 0, tmax = 0;
	const char *shared = argc > 1 ? argv[1] : "../shared";
	unsigned int iters = argc > 2 ? atoi(argv[2]) : 2000;
	char path[1024];
	unsigned int i, decoded = 0;

	snprintf(path, sizeof(path), "%s/vectors/cjt188/vectors.txt", shared);
	load_cjt188(path);
	snprintf(path, sizeof(path), "%s/vectors/mbus/libmbus/test-frames", shared);
	load_mbus(path);

	printf("lib/ throughput (userspace, one core, best of %d x %u):\n", ROUNDS, iters);
	printf("  %-48s %5s %9s %9s %11s\n", "frame", "bytes", "framer", "decode", "wire@2400");
	for (i = 0; i < nsamples; i++) {
		const struct sample *sm = &samples[i];
		const u8 *frame = NULL;
		size_t flen = 0;
		double tf, td = 0;
		int rc = -1;

		tf = time_framer(sm, iters, &frame, &flen);
		if (flen) {
			u8 copy[MAXF + 8];

			memcpy(copy, frame, flen);
			td = time_decode(copy, flen, iters, &rc);
		}
		if (rc == 0)
			decoded++;
		tf_sum += tf;
		td_sum += td;
		bytes += sm->len;
		if (tf + td > tmax)
			tmax = tf + td;
		if (argc > 3 || i < 8)
			printf("  %-48.48s %5zu %7.0f ns %7.0f ns %8.1f ms%s\n", sm->name,
			       sm->len, tf, td, sm->len * 11 * 1000.0 / 2400,
			       rc ? " (rejected/unsupported)" : "");
	}
	if (nsamples > 8 && argc <= 3)
		printf("  ... %u more (bench SHARED ITERS -v lists all)\n", nsamples - 8);
	printf("  all %u frames (%u decoded): framer %.0f ns + decode %.0f ns per frame on average,\n"
	       "    %.1f MB/s through the framer; slowest frame %.1f us; wire time of the\n"
	       "    same bytes at 2400 Bd: %.1f s in all\n",
	       nsamples, decoded, tf_sum / nsamples, td_sum / nsamples,
	       bytes / (tf_sum / 1e3), tmax / 1e3, bytes * 11 / 2400);
	printf("memory (state held per bus / per reading, no allocation in lib/):\n");
	printf("  struct hm_framer   %6zu bytes\n", sizeof(struct hm_framer));
	printf("  struct hm_reading  %6zu bytes\n", sizeof(struct hm_reading));
	printf("  struct hm_identity %6zu bytes\n", sizeof(struct hm_identity));
	return sink == 0x7fffffff;
}
