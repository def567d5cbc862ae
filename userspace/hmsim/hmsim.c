// SPDX-License-Identifier: GPL-2.0
/*
 * hmsim - heat meter simulator for CJ/T 188-2004 and wired M-Bus
 * (EN 13757-2/-3) on a pty, a serial port, a unix socket or stdio.
 *
 * It recognises requests with its own minimal parsing and answers with
 * frames it encodes itself: it never uses the project's lib/, so a test
 * that reads a meter through the driver compares two independent codes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include "hmsim.h"
#include "sim.h"

static volatile sig_atomic_t sig_usr1, sig_term;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_usr1 = 1;
	else
		sig_term = 1;
}

static u64 clk_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

static u64 mono_ns(void)
{
	return clk_ns(CLOCK_MONOTONIC);
}

static void log_ev(struct sim *s, u64 mono, const char *ev,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* one line per event: MONO_NS REAL_NS EVENT key=value... */
static void log_ev(struct sim *s, u64 mono, const char *ev,
		   const char *fmt, ...)
{
	va_list ap;
	u64 now_m, now_r;

	if (!s->log)
		return;
	now_m = mono_ns();
	now_r = clk_ns(CLOCK_REALTIME);
	if (!mono)
		mono = now_m;
	/* realtime of the event: shift by the same offset */
	fprintf(s->log, "%llu %llu %s", (unsigned long long)mono,
		(unsigned long long)(now_r - (now_m - mono)), ev);
	if (fmt && *fmt) {
		fputc(' ', s->log);
		va_start(ap, fmt);
		vfprintf(s->log, fmt, ap);
		va_end(ap);
	}
	fputc('\n', s->log);
	fflush(s->log);
}

static void hexstr(char *out, size_t outlen, const u8 *p, int n)
{
	size_t o = 0;
	int i;

	for (i = 0; i < n && o + 3 < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%02X", p[i]);
	out[o] = 0;
}

struct meter *sim_new_meter(struct sim *s)
{
	struct meter *m;

	if (s->nmeters >= MAX_METERS)
		return NULL;
	m = &s->meters[s->nmeters];
	meter_init(m, s->nmeters);
	s->nmeters++;
	return m;
}

int sim_set_global(struct sim *s, const char *key, const char *val,
		   char *err, size_t errlen)
{
	long v = strtol(val, NULL, 0);

	if (!strcmp(key, "baud")) {
		s->baud = (int)v;
	} else if (!strcmp(key, "parity")) {
		if (!strcmp(val, "none"))
			s->parity = 0;
		else if (!strcmp(val, "even"))
			s->parity = 1;
		else if (!strcmp(val, "odd"))
			s->parity = 2;
		else
			goto bad;
	} else if (!strcmp(key, "latency")) {
		s->latency_ms = (int)v;
	} else if (!strcmp(key, "slow_ms") || !strcmp(key, "slow-ms")) {
		s->slow_ms = (int)v;
	} else if (!strcmp(key, "gap_ms") || !strcmp(key, "gap-ms")) {
		s->gap_ms = (int)v;
	} else if (!strcmp(key, "pace")) {
		s->pace = v != 0;
	} else if (!strcmp(key, "echo")) {
		s->line_echo = v != 0;
	} else if (!strcmp(key, "any_baud") || !strcmp(key, "any-baud")) {
		s->any_baud = v != 0;
	} else if (!strcmp(key, "fault")) {
		if (s->nfaults >= MAX_FAULTS)
			goto bad;
		return fault_parse(val, &s->faults[s->nfaults++], err, errlen);
	} else {
		snprintf(err, errlen, "unknown global key '%s'", key);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad value for %s: '%s'", key, val);
	return -1;
}

/* ---- transmit queue ---------------------------------------------------- */

static u64 seg_end(struct sim *s, const struct txseg *t)
{
	return t->start + (s->pace ? (u64)t->len * t->tbyte : 0);
}

/* @perr: bitmap of bytes to send with a parity error, or NULL */
static void tx_enqueue(struct sim *s, const u8 *p, int n, u64 start,
		       const u8 *perr, const char *who, bool is_echo)
{
	struct txseg *t;

	if (n <= 0)
		return;
	if (s->txn >= TXQ) {
		log_ev(s, 0, "tx_drop", "who=%s len=%d reason=queue-full",
		       who, n);
		return;
	}
	if (s->txn) {
		struct txseg *prev = &s->txq[(s->txh + s->txn - 1) % TXQ];
		u64 e = seg_end(s, prev);

		if (start < e)
			start = e;
	}
	t = &s->txq[(s->txh + s->txn) % TXQ];
	memcpy(t->buf, p, (size_t)n);
	t->len = n;
	t->pos = 0;
	t->start = start;
	t->tbyte = s->tbyte_ns;
	if (perr)
		memcpy(t->perr, perr, sizeof(t->perr));
	else
		memset(t->perr, 0, sizeof(t->perr));
	t->who = who;
	t->is_echo = is_echo;
	s->txn++;
}

static void set_parity(struct sim *s, bool flipped)
{
	struct termios tio;

	if (tcgetattr(s->wfd, &tio))
		return;
	tio.c_cflag &= ~(tcflag_t)(PARENB | PARODD);
	if (s->parity)
		tio.c_cflag |= PARENB;
	if ((s->parity == 2) != flipped)
		tio.c_cflag |= PARODD;
	if (flipped && !s->parity)
		tio.c_cflag |= PARENB;	/* 8N1 line: an extra bit garbles */
	tcsetattr(s->wfd, TCSADRAIN, &tio);
}

static int tx_write(struct sim *s, const u8 *p, int n)
{
	ssize_t w = write(s->wfd, p, (size_t)n);

	if (w < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			s->tx_blocked = true;
			return 0;
		}
		return -1;
	}
	s->tx_bytes += w;
	return (int)w;
}

/* write what is due; returns the next due time (0: nothing queued) */
static int tx_run(struct sim *s, u64 *next)
{
	u64 now = mono_ns();

	*next = 0;
	s->tx_blocked = false;
	while (s->txn) {
		struct txseg *t = &s->txq[s->txh];
		bool flip = false;
		int n, w, k;

		if (now < t->start) {
			*next = t->start;
			return 0;
		}
		if (s->pace) {
			u64 due = t->start + (u64)t->pos * t->tbyte;

			if (now < due) {
				*next = due;
				return 0;
			}
			n = (int)((now - due) / t->tbyte) + 1;
			if (n > t->len - t->pos)
				n = t->len - t->pos;
		} else {
			n = t->len - t->pos;
		}
		if (s->ep == EP_TTY) {
			/* bytes with a parity error go out flipped */
			flip = pbit(t->perr, t->pos);
			for (k = 1; k < n; k++)
				if (pbit(t->perr, t->pos + k) != flip)
					break;
			n = k;
		}
		if (flip) {
			tcdrain(s->wfd);
			set_parity(s, true);
			log_ev(s, 0, "parity_flip", "who=%s at=%d", t->who,
			       t->pos);
		}
		w = tx_write(s, t->buf + t->pos, n);
		if (flip) {
			tcdrain(s->wfd);
			set_parity(s, false);
		}
		if (w < 0)
			return -1;
		if (!w)
			return 0;	/* blocked: wait for POLLOUT */
		if (t->pos == 0)
			log_ev(s, 0, "tx_first", "who=%s len=%d echo=%d",
			       t->who, t->len, t->is_echo);
		t->pos += w;
		if (t->pos < t->len)
			continue;
		if (s->ep == EP_TTY)
			tcdrain(s->wfd);
		{
			char hx[2 * MAX_REPLY + 1];

			hexstr(hx, sizeof(hx), t->buf, t->len);
			log_ev(s, 0, "tx_last", "who=%s len=%d echo=%d hex=%s",
			       t->who, t->len, t->is_echo, hx);
		}
		s->txh = (s->txh + 1) % TXQ;
		s->txn--;
		now = mono_ns();
	}
	return 0;
}

/* ---- faults ------------------------------------------------------------ */

struct pending {
	struct meter *m;
	struct reply r;
};

struct reqctx {
	const u8 *raw;		/* preamble + frame as received */
	int rawlen;
	u64 first, last;	/* CLOCK_MONOTONIC of the frame's 68/10 and end */
	struct pending rep[MAX_METERS];
	int nrep;
	u8 req_di[2];
	int ser;
	bool cj;
};

static bool fault_hits(const struct fault *f, long count)
{
	switch (f->mode) {
	case FM_ONCE:
		return count == 1;
	case FM_NTH:
		return count == f->n;
	default:
		return true;
	}
}

static const u8 garbage_before[] = { 0x00, 0x3C, 0x7E, 0xA5, 0xC3, 0xFF };
static const u8 garbage_after[] = { 0xFC, 0xFC, 0xFC };
/* glitch / e5-trail bytes, in turn (libmbus #61, #131, #138, #199) */
static const u8 stray_bytes[] = { 0xFC, 0xFD, 0xFE, 0x00, 0xA5 };

static void reply_and(struct reply *r, const u8 *p, int n)
{
	int i;

	for (i = 0; i < n && i < MAX_REPLY; i++)
		r->buf[i] = i < r->len ? (u8)(r->buf[i] & p[i]) : p[i];
	if (n > r->len)
		r->len = n < MAX_REPLY ? n : MAX_REPLY;
}

/* the reply a different meter would give: for the collision fault */
static int partner_reply(struct sim *s, struct meter *self,
			 const struct reqctx *c, const struct reply *r, u8 *out)
{
	int i;

	for (i = 0; i < s->nmeters; i++) {
		struct meter *o = &s->meters[i];

		if (o == self || o->proto != self->proto)
			continue;
		if (o->reply_hex_len) {
			memcpy(out, o->reply_hex, (size_t)o->reply_hex_len);
			return o->reply_hex_len;
		}
		if (o->proto == P_CJT188) {
			static const u8 di[2] = { 0x90, 0x1F };

			return cj_build_read(o, c->cj ? c->req_di : di,
					     c->ser, out);
		}
		return mbus_build_rsp(o, out, 0x72, false);
	}
	/* alone on the line: a twin that differs after the start byte */
	for (i = 0; i < r->len; i++)
		out[i] = (u8)(r->buf[i] == 0x68 || r->buf[i] == 0xFE ?
			      r->buf[i] : r->buf[i] ^ 0x5A);
	return r->len;
}

static void apply_faults(struct sim *s, struct meter *m, struct meter *src,
			 const struct fault *faults, int nf, long count,
			 const struct reqctx *c, struct reply *r)
{
	static const enum fault_kind order[] = {
		F_VANISH, F_SILENCE, F_COLLISION, F_CHECKSUM, F_STOP,
		F_TRUNCATE, F_GARBAGE_BEFORE, F_GARBAGE_AFTER, F_GARBAGE,
		F_ECHO, F_PARITY, F_SLOW, F_E5_TRAIL,
	};
	const char *who = m ? m->name : "line";
	size_t k;
	int i;

	for (k = 0; k < ARRAY_SIZE(order); k++) {
		for (i = 0; i < nf; i++) {
			const struct fault *f = &faults[i];
			bool frame = r->len >= 5 && r->buf[r->len - 1] == 0x16;
			u8 tmp[MAX_REPLY];
			int n;

			if (f->kind != order[k])
				continue;
			if (f->kind == F_VANISH) {
				if (count > f->n) {
					r->silent = true;
					log_ev(s, 0, "fault", "who=%s kind=vanish reply=%ld",
					       who, count);
				}
				continue;
			}
			if (!fault_hits(f, count))
				continue;
			if (f->kind == F_E5_TRAIL &&
			    (r->len != 1 || r->buf[0] != 0xE5))
				continue;	/* only an E5 trails */
			switch (f->kind) {
			case F_SILENCE:
				r->silent = true;
				break;
			case F_COLLISION:
				n = partner_reply(s, src, c, r, tmp);
				reply_and(r, tmp, n);
				s->collisions++;
				break;
			case F_CHECKSUM:
				if (frame)
					r->buf[r->len - 2] ^= 0x01;
				break;
			case F_STOP:
				if (frame)
					r->buf[r->len - 1] = 0x00;
				break;
			case F_TRUNCATE:
				r->len = r->len > 1 ? r->len / 2 : r->len;
				break;
			case F_GARBAGE:
			case F_GARBAGE_BEFORE:
				if (r->len + 6 < MAX_REPLY) {
					memmove(r->buf + sizeof(garbage_before),
						r->buf, (size_t)r->len);
					memcpy(r->buf, garbage_before,
					       sizeof(garbage_before));
					r->len += (int)sizeof(garbage_before);
				}
				if (f->kind == F_GARBAGE_BEFORE)
					break;
				/* fall through */
			case F_GARBAGE_AFTER:
				if (r->len + 3 < MAX_REPLY) {
					memcpy(r->buf + r->len, garbage_after,
					       sizeof(garbage_after));
					r->len += (int)sizeof(garbage_after);
				}
				break;
			case F_ECHO:
				r->echo = true;
				break;
			case F_PARITY:
				for (n = r->len / 2; n < r->len; n++)
					pbit_set(r->perr, n);
				if (s->ep != EP_TTY && !s->parity_warned) {
					s->parity_warned = true;
					fprintf(stderr,
						"hmsim: parity fault needs --tty: a pty/socket has no parity; frames go out unchanged\n");
				}
				break;
			case F_SLOW:
				r->latency_ms = s->slow_ms;
				break;
			case F_E5_TRAIL:
				r->buf[r->len] = stray_bytes[s->glitch_idx++ %
						 ARRAY_SIZE(stray_bytes)];
				pbit_set(r->perr, r->len);
				r->len++;
				break;
			default:
				break;
			}
			s->faults_done++;
			if (m)
				m->faults_done++;
			log_ev(s, 0, "fault", "who=%s kind=%s reply=%ld", who,
			       fault_name(f->kind), count);
		}
	}
}

static struct reply *add_reply(struct reqctx *c, struct meter *m)
{
	struct pending *p = &c->rep[c->nrep++];

	memset(&p->r, 0, sizeof(p->r));
	p->m = m;
	p->r.latency_ms = -1;
	return &p->r;
}

static void reply_e5(struct reqctx *c, struct meter *m)
{
	struct reply *r = add_reply(c, m);

	r->buf[0] = 0xE5;
	r->len = 1;
}

static void reply_bytes(struct reqctx *c, struct meter *m, const u8 *p, int n)
{
	struct reply *r = add_reply(c, m);

	memcpy(r->buf, p, (size_t)n);
	r->len = n;
}

/*
 * The line as bits. Each replying meter sends its bytes as UART frames
 * (start 0, 8 data bits LSB first, parity if the line has one, stop 1)
 * from its own reply time; idle is 1. Concurrent spaces win (wired AND).
 * A UART then decodes the line again: falling edge, start bit checked at
 * its middle, bits sampled at their middles; a wrong parity bit and a 0
 * stop bit are flagged. OS samples per bit.
 */
#define OS		16
#define LINE_MAX_SAMPLES (32u << 20)

struct lstream {
	const struct reply *r;
	u64 off;		/* ns after the earliest reply */
};

static int line_decode(struct sim *s, struct lstream *st, int n,
		       struct reply *out, int *perrs, int *ferrs)
{
	int bpc = s->parity ? 11 : 10, i, k, b;
	u64 total = 0, baud = (u64)(s->line_baud ? s->line_baud : s->baud);
	u64 *soff;
	u8 *line;
	u64 x;

	soff = calloc((size_t)n, sizeof(*soff));
	if (!soff)
		return -1;
	for (i = 0; i < n; i++) {
		soff[i] = (st[i].off * baud * OS + 500000000ULL) /
			  1000000000ULL;
		x = soff[i] + (u64)st[i].r->len * (u64)bpc * OS;
		if (x > total)
			total = x;
	}
	total += 2 * (u64)bpc * OS;
	if (total > LINE_MAX_SAMPLES) {
		free(soff);
		return -1;
	}
	line = malloc(total);
	if (!line) {
		free(soff);
		return -1;
	}
	memset(line, 1, total);
	for (i = 0; i < n; i++) {
		const struct reply *r = st[i].r;

		for (k = 0; k < r->len; k++) {
			u8 c = r->buf[k];
			int par = __builtin_parity(c) ^ (s->parity == 2) ^
				  pbit(r->perr, k);

			for (b = 0; b < bpc; b++) {
				int lvl;

				if (b == 0)
					lvl = 0;
				else if (b <= 8)
					lvl = (c >> (b - 1)) & 1;
				else if (b == 9 && s->parity)
					lvl = par;
				else
					lvl = 1;
				if (!lvl)
					memset(line + soff[i] +
					       ((u64)k * bpc + b) * OS, 0, OS);
			}
		}
	}
	free(soff);
	memset(out, 0, sizeof(*out));
	*perrs = *ferrs = 0;
	for (x = 0; x < total && out->len < MAX_REPLY;) {
		u64 mid;
		int c = 0, par = 0;

		if (line[x] || (x && !line[x - 1])) {
			x++;
			continue;
		}
		mid = x + OS / 2;
		if (mid >= total || line[mid]) {
			x++;		/* too short for a start bit */
			continue;
		}
		for (b = 1; b <= 8; b++) {
			u64 p = mid + (u64)b * OS;

			if (p >= total || line[p])
				c |= 1 << (b - 1);
		}
		if (s->parity) {
			u64 p = mid + 9 * OS;

			par = p >= total || line[p];
			if (par != (__builtin_parity((unsigned int)c) ^
				    (s->parity == 2))) {
				pbit_set(out->perr, out->len);
				(*perrs)++;
			}
		}
		x = mid + (u64)(bpc - 1) * OS;	/* the stop bit */
		if (x < total && !line[x]) {
			(*ferrs)++;
			while (x < total && !line[x])
				x++;		/* wait for a mark */
		}
		out->buf[out->len++] = (u8)c;
	}
	free(line);
	return 0;
}

static u64 reply_ns(struct sim *s, struct pending *p)
{
	int l = p->r.latency_ms >= 0 ? p->r.latency_ms :
		p->m->latency_ms >= 0 ? p->m->latency_ms : s->latency_ms;

	return (u64)l * 1000000ULL + (u64)p->m->skew_us * 1000ULL;
}

/* the glitch line fault: one stray byte, before @at (or alone) */
static void glitch(struct sim *s, struct reqctx *c, u64 at, bool alone)
{
	u8 perr[MAX_REPLY / 8] = { 0 };
	u8 b = stray_bytes[s->glitch_idx++ % ARRAY_SIZE(stray_bytes)];
	u64 t;
	int i;

	for (i = 0; i < s->nfaults; i++)
		if (s->faults[i].kind == F_GLITCH &&
		    fault_hits(&s->faults[i], s->requests))
			break;
	if (i == s->nfaults) {
		s->glitch_idx--;
		return;
	}
	/* a few ms before the reply, never before the request has ended */
	t = alone ? at : at > 3000000ULL ? at - 3000000ULL : 0;
	if (t < s->tbyte_ns)
		t = s->tbyte_ns;
	pbit_set(perr, 0);
	tx_enqueue(s, &b, 1, c->last + t, perr, "glitch", false);
	s->faults_done++;
	log_ev(s, 0, "fault", "who=line kind=glitch byte=%02X request=%ld",
	       b, s->requests);
}

/* faults, collisions, echo; then into the transmit queue */
static void finish_request(struct sim *s, struct reqctx *c)
{
	struct reply line;
	struct lstream st[MAX_METERS];
	struct pending *live[MAX_METERS];
	int i, nlive = 0, lat;
	const char *who = NULL;
	struct meter *src = NULL;
	u64 t0 = 0;
	char hx[64];

	s->requests++;
	memset(&line, 0, sizeof(line));
	line.latency_ms = -1;
	for (i = 0; i < c->nrep; i++) {
		struct pending *p = &c->rep[i];
		u64 t;

		p->m->replies++;
		apply_faults(s, p->m, p->m, p->m->faults, p->m->nfaults,
			     p->m->replies, c, &p->r);
		if (p->r.silent)
			continue;
		t = reply_ns(s, p);
		if (!nlive || t < t0)
			t0 = t;
		live[nlive++] = p;
	}
	if (!nlive) {
		glitch(s, c, (u64)s->latency_ms * 1000000ULL, true);
		return;
	}
	if (nlive == 1) {
		line = live[0]->r;
		who = live[0]->m->name;
		src = live[0]->m;
	} else {
		int perrs = 0, ferrs = 0;
		bool aligned = true;

		for (i = 0; i < nlive; i++) {
			st[i].r = &live[i]->r;
			st[i].off = reply_ns(s, live[i]) - t0;
			aligned &= !st[i].off;
		}
		if (line_decode(s, st, nlive, &line, &perrs, &ferrs)) {
			/* too long a line to model: byte-aligned AND */
			line = live[0]->r;
			for (i = 1; i < nlive; i++)
				reply_and(&line, live[i]->r.buf,
					  live[i]->r.len);
		}
		for (i = 0; i < nlive; i++)
			line.echo |= live[i]->r.echo;
		line.latency_ms = -1;
		s->collisions++;
		who = "collision";
		src = live[0]->m;
		log_ev(s, 0, "collision",
		       "meters=%d aligned=%d parity_errors=%d framing_errors=%d",
		       nlive, aligned, perrs, ferrs);
		/*
		 * A pty or socket carries no parity: the bytes a UART would
		 * flag are left out (as a UART set to IGNPAR does), so that
		 * the collision still shows. --tty sends them with the
		 * wrong parity instead.
		 */
		if (perrs && s->ep != EP_TTY && !s->keep_parity) {
			int k, n = 0;

			for (k = 0; k < line.len; k++)
				if (!pbit(line.perr, k))
					line.buf[n++] = line.buf[k];
			log_ev(s, 0, "parity_drop", "bytes=%d", line.len - n);
			line.len = n;
			memset(line.perr, 0, sizeof(line.perr));
		}
	}
	s->line_replies++;
	line.latency_ms = -1;
	apply_faults(s, NULL, src, s->faults, s->nfaults, s->line_replies, c,
		     &line);
	if (line.silent)
		return;
	if (line.latency_ms >= 0)
		t0 = (u64)line.latency_ms * 1000000ULL;
	if (line.echo) {
		tx_enqueue(s, c->raw, c->rawlen, c->last, NULL, "echo", true);
		log_ev(s, 0, "echo", "len=%d", c->rawlen);
	}
	glitch(s, c, t0, false);
	if (t0 < s->tbyte_ns)
		t0 = s->tbyte_ns;
	tx_enqueue(s, line.buf, line.len, c->last + t0, line.perr, who, false);
	lat = (int)(t0 / 1000000ULL);
	s->replies++;
	hexstr(hx, sizeof(hx), line.buf, line.len > 24 ? 24 : line.len);
	log_ev(s, 0, "reply", "who=%s len=%d latency_ms=%d head=%s", who,
	       line.len, lat, hx);
}

/* ---- CJ/T 188 requests ------------------------------------------------- */

static void test_mode_check(struct sim *s, struct meter *m, u64 now)
{
	if (m->test_mode && m->test_mode_until && now >= m->test_mode_until) {
		m->test_mode = false;
		m->test_mode_until = 0;
		log_ev(s, 0, "test_mode", "who=%s state=expired", m->name);
	}
}

static void test_mode_enter(struct sim *s, struct meter *m, u64 now)
{
	if (!m->test_mode && m->test_mode_expiry)
		m->test_mode_until = now + (u64)m->test_mode_expiry *
					   1000000000ULL;
	m->test_mode = true;
	log_ev(s, 0, "test_mode", "who=%s state=on", m->name);
}

static bool di_is(const u8 *d, int hi, int lo)
{
	return (d[0] == hi && d[1] == lo) || (d[0] == lo && d[1] == hi);
}

static void on_cjt(struct sim *s, const u8 *f, int len, struct reqctx *c)
{
	const u8 *a = f + 2, *d = f + 11;
	int t = f[1], cc = f[9], l = f[10], i, j;
	char addr[15], hx[2 * MAX_FRAME + 1];
	const char *kind = "other";
	u8 out[MAX_REPLY];
	u64 now = mono_ns();

	for (i = 0; i < 7; i++)
		snprintf(addr + 2 * i, 3, "%02X", a[6 - i]);
	if (cc == 0x01 && l >= 3 && di_is(d, 0x90, 0x1F))
		kind = "read-901F";
	else if (cc == 0x01 && l >= 3 && di_is(d, 0x90, 0x3F))
		kind = "read-903F";
	else if (cc == 0x03 && l >= 3 && di_is(d, 0x81, 0x0A))
		kind = "read-address";
	else if (cc == 0x33 && l == 0)
		kind = "enter-verification";
	else if (cc == 0x04)
		kind = "write";
	else if (cc & 0x80)
		kind = "reply";
	hexstr(hx, sizeof(hx), f, len);
	log_ev(s, 0, "req",
	       "proto=cjt188 kind=%s addr=%s type=%02X c=%02X first=%llu last=%llu hex=%s",
	       kind, addr, t, cc, (unsigned long long)c->first,
	       (unsigned long long)c->last, hx);
	if (cc & 0x80)
		return;		/* a meter's reply (another simulator?) */
	c->cj = true;
	if (l >= 3) {
		c->req_di[0] = d[0];
		c->req_di[1] = d[1];
		c->ser = d[2];
	}
	for (i = 0; i < s->nmeters; i++) {
		struct meter *m = &s->meters[i];
		bool us = m->profile == PR_DELU_US;
		int n = 0;

		if (m->proto != P_CJT188)
			continue;
		for (j = 0; j < 7; j++)
			if (a[j] != 0xAA && a[j] != m->addr[j])
				break;
		if (j < 7)
			continue;
		if (t != 0xAA && t != m->type && t != m->reply_type)
			continue;
		m->requests++;
		test_mode_check(s, m, now);
		switch (cc) {
		case 0x01:
			if (l < 3)
				break;
			if (di_is(d, 0x90, 0x1F) ||
			    (di_is(d, 0x90, 0x3F) && us &&
			     (m->test_mode || !m->strict_test_mode))) {
				if (m->reply_hex_len) {
					reply_bytes(c, m, m->reply_hex,
						    m->reply_hex_len);
					break;
				}
				n = cj_build_read(m, d, d[2], out);
			}
			break;
		case 0x03:
			if (l >= 3 && di_is(d, 0x81, 0x0A))
				n = cj_build_addr(m, d, d[2], out);
			break;
		case 0x04:
			if (l < 3)
				break;
			if (di_is(d, 0xA0, 0x17) && l >= 4) {
				/* valve: 55 open, 99 close */
				if (d[3] == 0x55)
					m->st[0] &= (u8)~0x03;
				else if (d[3] == 0x99)
					m->st[0] = (u8)((m->st[0] & ~0x03) | 1);
			}
			n = cj_build_write(m, d, d[2], out);
			break;
		case 0x21:	/* LiChuang high resolution: replay only */
			if (m->profile == PR_LICHUANG && m->reply_hex_len)
				reply_bytes(c, m, m->reply_hex,
					    m->reply_hex_len);
			break;
		case 0x24:	/* Delu zeroing: clears the test registers */
			if (m->profile == PR_DELU_MECH && l >= 3 &&
			    di_is(d, 0xA0, 0x0E)) {
				m->v[Q_ENERGY] = 0;
				m->v[Q_VOLUME] = 0;
				log_ev(s, 0, "zeroed", "who=%s", m->name);
			}
			break;
		case 0x33:
			if (l == 0 && (us || m->profile == PR_DELU_MECH))
				test_mode_enter(s, m, now);
			break;
		default:
			break;
		}
		if (n > 0)
			reply_bytes(c, m, out, n);
	}
}

/* ---- M-Bus requests ---------------------------------------------------- */

static bool sec_match(const struct meter *m, const u8 *d, int dl)
{
	u8 id[4];
	int i;

	if (dl < 8)
		return false;
	id_put(id, m->id);
	for (i = 0; i < 4; i++) {
		if ((d[i] & 0xF0) != 0xF0 && (d[i] & 0xF0) != (id[i] & 0xF0))
			return false;
		if ((d[i] & 0x0F) != 0x0F && (d[i] & 0x0F) != (id[i] & 0x0F))
			return false;
	}
	if (d[4] != 0xFF && d[4] != (m->man & 0xFF))
		return false;
	if (d[5] != 0xFF && d[5] != ((m->man >> 8) & 0xFF))
		return false;
	if (d[6] != 0xFF && d[6] != m->version)
		return false;
	if (d[7] != 0xFF && d[7] != m->medium)
		return false;
	return true;
}

/*
 * A freeze in SND_UD CI 51 data: a record whose VIFE is the object action
 * 0x0B "freeze data" (EN 13757-3 Table 17). Its DIF/DIFE give the storage
 * number. Returns the storage number, or -1.
 */
static int freeze_storage(const u8 *d, int dl)
{
	static const int dlen[16] = { 0, 1, 2, 3, 4, 4, 6, 8,
				      0, 1, 2, 3, 4, 0, 6, 0 };
	int i = 0;

	while (i < dl) {
		int dif = d[i++], st = (dif >> 6) & 1, j = 0, vif;
		bool freeze = false, ext = dif & 0x80;

		if (dif == 0x2F)
			continue;
		if ((dif & 0x0F) == 0x0F)
			break;
		while (ext && i < dl) {		/* DIFEs */
			if (j < 4)
				st |= (d[i] & 0x0F) << (1 + 4 * j);
			ext = d[i++] & 0x80;
			j++;
		}
		if (i >= dl)
			break;
		vif = d[i++];
		if (vif == 0x7E && i < dl && d[i] == 0x0B)
			return st;	/* "any VIF" without the extension bit */
		ext = vif & 0x80;
		if ((vif == 0xFD || vif == 0xFB) && i < dl)
			ext = d[i++] & 0x80;	/* the extended VIF code */
		while (ext && i < dl) {		/* VIFEs */
			if ((d[i] & 0x7F) == 0x0B)
				freeze = true;
			ext = d[i++] & 0x80;
		}
		if (freeze)
			return st;
		if ((dif & 0x0F) == 0x0D)
			i += i < dl ? 1 + d[i] : 0;
		else
			i += dlen[dif & 0x0F];
	}
	return -1;
}

/* the meter hears the request only at its own rate (watchdog first) */
static bool meter_hears(struct sim *s, struct meter *m, u64 now)
{
	if (s->any_baud)
		return true;
	if (m->baud_deadline && now >= m->baud_deadline) {
		log_ev(s, 0, "baud_revert", "who=%s from=%d to=%d", m->name,
		       m->baud, m->old_baud);
		m->baud = m->old_baud;
		m->baud_deadline = 0;
	}
	if (m->baud != s->line_baud) {
		log_ev(s, 0, "baud_mismatch", "who=%s meter_baud=%d line_baud=%d",
		       m->name, m->baud, s->line_baud);
		return false;
	}
	return true;
}

/* SND_NKE, a valid selection, an application reset: first telegram */
static void link_reset(struct meter *m)
{
	m->have_last = false;
	m->tg = 0;
}

/* CI B8..BF: E5 at the old rate, then the new rate */
static void baud_switch(struct sim *s, struct meter *m, int ci, bool reply,
			u64 now, struct reqctx *c)
{
	int idx = ci - 0xB8, rate = mbus_rates[idx];

	if (!(m->bauds & (1U << idx))) {
		log_ev(s, 0, "baud_switch", "who=%s from=%d to=%d result=unsupported",
		       m->name, m->baud, rate);
		return;
	}
	if (reply)
		reply_e5(c, m);
	if (m->baud_ignore) {
		log_ev(s, 0, "baud_switch", "who=%s from=%d to=%d result=ignored",
		       m->name, m->baud, rate);
		return;
	}
	log_ev(s, 0, "baud_switch", "who=%s from=%d to=%d result=ok watchdog_s=%d",
	       m->name, m->baud, rate, m->baud_watchdog_s);
	if (rate == m->baud)
		return;
	m->old_baud = m->baud;
	m->baud = rate;
	m->baud_deadline = m->baud_watchdog_s ?
			   now + (u64)m->baud_watchdog_s * 1000000000ULL : 0;
}

/* REQ_UD2: the FCB rules of EN 13757-2 (facts §3.2) */
static int req_ud2(struct sim *s, struct meter *m, int cc, u8 *out)
{
	int fcv = !!(cc & 0x10), fcb = !!(cc & 0x20), n, acc;
	bool repeat = false;

	if (m->reply_hex_len) {
		if (fcv && m->have_last && fcb == m->last_fcb) {
			log_ev(s, 0, "fcb_repeat", "who=%s", m->name);
			memcpy(out, m->last, (size_t)m->last_len);
			return m->last_len;
		}
		memcpy(out, m->reply_hex, (size_t)m->reply_hex_len);
		n = m->reply_hex_len;
		memcpy(m->last, out, (size_t)n);
		m->last_len = n;
		m->have_last = fcv;
		m->last_fcb = fcb;
		return n;
	}
	if (m->telegrams < 1)
		m->telegrams = 1;
	if (!fcv || !m->have_last)
		m->tg = 0;
	else if (fcb != m->last_fcb)
		m->tg = (m->tg + 1) % m->telegrams;
	else
		repeat = true;
	acc = m->access;
	if (repeat) {
		log_ev(s, 0, "fcb_repeat", "who=%s", m->name);
		m->access = m->last[15];	/* the last telegram's number */
	}
	n = mbus_build_rsp(m, out, 0x72, false);
	if (repeat)
		m->access = acc;
	else
		m->access = (m->access + 1) & 0xFF;
	log_ev(s, 0, "telegram", "who=%s n=%d of=%d fcb=%d fcv=%d repeat=%d access=%d",
	       m->name, m->tg + 1, m->telegrams, fcb, fcv, repeat, out[15]);
	memcpy(m->last, out, (size_t)n);
	m->last_len = n;
	m->have_last = fcv;
	m->last_fcb = fcb;
	return n;
}

static void on_mbus(struct sim *s, const u8 *f, int len, struct reqctx *c)
{
	bool lng = f[0] == 0x68;
	int cc = lng ? f[4] : f[1], a = lng ? f[5] : f[2];
	int ci = lng ? f[6] : -1, dl = lng ? f[1] - 3 : 0, i, fst = -1;
	const u8 *d = f + 7;
	const char *kind = "other";
	char hx[2 * MAX_FRAME + 1];
	u8 out[MAX_REPLY];
	u64 now = mono_ns();
	bool snd_ud = lng && (cc & 0xCF) == 0x43;

	if (!lng && cc == 0x40)
		kind = "snd-nke";
	else if (!lng && (cc & 0xCF) == 0x4B)
		kind = "req-ud2";
	else if (!lng && (cc & 0xCF) == 0x4A)
		kind = "req-ud1";
	else if (snd_ud)
		kind = ci == 0x52 ? "select" : ci == 0x50 ? "app-reset" :
		       ci == 0x51 ? "data-send" :
		       ci >= 0xB8 && ci <= 0xBF ? "baud-switch" : "snd-ud";
	else if (cc & 0x08 && !(cc & 0x40))
		kind = "reply";
	hexstr(hx, sizeof(hx), f, len);
	log_ev(s, 0, "req",
	       "proto=mbus kind=%s addr=%d c=%02X ci=%d first=%llu last=%llu hex=%s",
	       kind, a, cc, ci, (unsigned long long)c->first,
	       (unsigned long long)c->last, hx);
	if (!lng && cc == 0x40)
		s->nke++;
	else if (!lng && (cc & 0xCF) == 0x4B)
		s->req_ud2++;
	else if (snd_ud && ci == 0x52 && a == 0xFD)
		s->selects++;
	if (snd_ud && ci == 0x51) {
		fst = freeze_storage(d, dl);
		if (fst >= 0)
			s->freezes++;
	}
	for (i = 0; i < s->nmeters; i++) {
		struct meter *m = &s->meters[i];
		bool addressed, bcast_noreply = a == 0xFF;
		int n = 0;

		if (m->proto != P_MBUS &&
		    !(m->profile == PR_LICHUANG && lng && ci == 0x50 &&
		      (a == 0xFE || a == 0xFF)))
			continue;
		test_mode_check(s, m, now);
		if (m->proto == P_MBUS && !meter_hears(s, m, now))
			continue;
		if (snd_ud && ci == 0x52 && a == 0xFD) {
			bool was = m->selected;

			m->requests++;
			m->selected = sec_match(m, d, dl);
			if (m->selected != was || m->selected)
				log_ev(s, 0, "select", "who=%s selected=%d",
				       m->name, m->selected);
			if (m->selected) {
				m->baud_deadline = 0;
				link_reset(m);
				reply_e5(c, m);
			}
			continue;
		}
		addressed = a == m->primary || a == 0xFE || a == 0xFF ||
			    (a == 0xFD && m->selected);
		if (!addressed)
			continue;
		m->requests++;
		m->baud_deadline = 0;	/* heard at the new rate */
		if (!lng) {
			if (cc == 0x40) {
				link_reset(m);
				if (a == 0xFD) {
					m->selected = false;
					log_ev(s, 0, "select",
					       "who=%s selected=0", m->name);
				}
				if (!bcast_noreply)
					reply_e5(c, m);
			} else if ((cc & 0xCF) == 0x4B && !bcast_noreply) {
				n = req_ud2(s, m, cc, out);
			} else if ((cc & 0xCF) == 0x4A && !bcast_noreply) {
				reply_e5(c, m);
			}
		} else if (snd_ud) {
			if (ci == 0x50) {
				if (dl >= 1 && (d[0] >> 4) == 0x9)
					test_mode_enter(s, m, now);
				else if (dl >= 1 && d[0] == 0x00 &&
					 m->test_mode) {
					m->test_mode = false;
					log_ev(s, 0, "test_mode",
					       "who=%s state=off", m->name);
				}
				link_reset(m);
				if (!bcast_noreply)
					reply_e5(c, m);
			} else if (ci >= 0xB8 && ci <= 0xBF) {
				baud_switch(s, m, ci, !bcast_noreply, now, c);
			} else if (ci == 0x51 && fst >= 0) {
				m->due_storage = fst;
				m->due_energy = m->v[Q_ENERGY];
				m->have_due_energy = m->have[Q_ENERGY];
				m->due_volume = m->v[Q_VOLUME];
				m->have_due_volume = m->have[Q_VOLUME];
				meter_clock(m, &m->due_date);
				m->have_due_date = true;
				log_ev(s, 0, "freeze",
				       "who=%s storage=%d energy=%lld volume=%lld",
				       m->name, fst, (long long)m->due_energy,
				       (long long)m->due_volume);
				if (!bcast_noreply)
					reply_e5(c, m);
			} else if (ci == 0x51 && m->profile == PR_TIANGANG &&
				   dl >= 1 && d[0] == 0x0F) {
				if (bcast_noreply)
					continue;
				if (m->reply_hex_len) {
					memcpy(out, m->reply_hex,
					       (size_t)m->reply_hex_len);
					n = m->reply_hex_len;
				} else {
					n = mbus_build_rsp(m, out, 0x78, true);
				}
			} else if (!bcast_noreply) {
				reply_e5(c, m);
			}
		}
		if (n > 0)
			reply_bytes(c, m, out, n);
	}
}

/* ---- framer ------------------------------------------------------------ */

enum { FR_NONE, FR_MBUS, FR_CJT };

/* >0: valid frame length (kind in *kind); 0: need more; -1: not a frame */
static int try_frame(const u8 *p, int n, int *kind)
{
	bool more = false;

	if (p[0] == 0x10) {
		if (n < 5)
			return 0;
		if (p[4] == 0x16 && p[3] == (u8)(p[1] + p[2])) {
			*kind = FR_MBUS;
			return 5;
		}
		return -1;
	}
	if (n < 4)
		return 0;
	if (p[3] == 0x68 && p[1] == p[2] && p[1] >= 3) {
		int tot = p[1] + 6;

		if (n < tot)
			more = true;
		else if (p[tot - 1] == 0x16 && sum8(p + 4, p[1]) == p[tot - 2]) {
			*kind = FR_MBUS;
			return tot;
		}
	}
	if (n < 11)
		return 0;
	{
		int tot = 13 + p[10];

		if (n < tot)
			return 0;
		if (p[tot - 1] == 0x16 && sum8(p, tot - 2) == p[tot - 2]) {
			*kind = FR_CJT;
			return tot;
		}
	}
	return more ? 0 : -1;
}

static void line_baud_update(struct sim *s);

static void rx_consume(struct sim *s, int n)
{
	memmove(s->rx, s->rx + n, (size_t)(s->rxn - n));
	memmove(s->rxt, s->rxt + n, (size_t)(s->rxn - n) * sizeof(u64));
	s->rxn -= n;
}

static void rx_process(struct sim *s)
{
	for (;;) {
		int i, first_wait = -1, start = -1, flen = 0, kind = FR_NONE;
		struct reqctx *c;

		for (i = 0; i < s->rxn; i++) {
			int r;

			if (s->rx[i] != 0x68 && s->rx[i] != 0x10)
				continue;
			r = try_frame(s->rx + i, s->rxn - i, &kind);
			if (r > 0) {
				start = i;
				flen = r;
				break;
			}
			if (r == 0 && first_wait < 0)
				first_wait = i;
		}
		if (start < 0) {
			int drop = first_wait >= 0 ? first_wait : s->rxn;
			int k, junk = 0;

			for (k = 0; k < drop; k++)
				if (s->rx[k] != 0xFE && s->rx[k] != 0x00 &&
				    s->rx[k] != 0x55 && s->rx[k] != 0xFF)
					junk++;
			/* keep wake-up/preamble bytes for an echo */
			if (junk) {
				s->discarded += junk;
				log_ev(s, 0, "rx_discard", "bytes=%d", drop);
				rx_consume(s, drop);
			} else if (s->rxn > RXBUF / 2) {
				rx_consume(s, drop);
			}
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c)
			return;
		c->raw = s->rx;
		c->rawlen = start + flen;
		c->first = s->rxt[start];
		c->last = s->rxt[start + flen - 1];
		c->ser = 0;
		s->frames++;
		line_baud_update(s);
		if (kind == FR_MBUS)
			on_mbus(s, s->rx + start, flen, c);
		else
			on_cjt(s, s->rx + start, flen, c);
		finish_request(s, c);
		free(c);
		rx_consume(s, start + flen);
	}
}

static int rx_read(struct sim *s)
{
	u8 buf[512];
	ssize_t n = read(s->fd, buf, sizeof(buf));
	u64 now = mono_ns();
	char hx[2 * sizeof(buf) + 1];
	int i;

	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	if (n == 0)
		return -1;
	s->rx_bytes += n;
	hexstr(hx, sizeof(hx), buf, (int)n);
	log_ev(s, now, "rx", "n=%d hex=%s", (int)n, hx);
	if (s->line_echo)
		tx_enqueue(s, buf, (int)n, now, NULL, "line-echo", true);
	if (s->rxn + n > RXBUF)
		rx_consume(s, (int)(s->rxn + n - RXBUF));
	for (i = 0; i < n; i++) {
		s->rx[s->rxn] = buf[i];
		s->rxt[s->rxn++] = now;
	}
	s->last_rx = now;
	rx_process(s);
	return 0;
}

/* ---- endpoints --------------------------------------------------------- */

static const struct {
	int baud;
	speed_t code;
} bauds[] = {
	{ 300, B300 }, { 600, B600 }, { 1200, B1200 }, { 2400, B2400 },
	{ 4800, B4800 }, { 9600, B9600 }, { 19200, B19200 },
	{ 38400, B38400 }, { 57600, B57600 }, { 115200, B115200 },
};

static speed_t baud_code(int baud)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bauds); i++)
		if (bauds[i].baud == baud)
			return bauds[i].code;
	return 0;
}

static int code_baud(speed_t code)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bauds); i++)
		if (bauds[i].code == code)
			return bauds[i].baud;
	return 0;
}

static void set_line_baud(struct sim *s, int baud)
{
	if (baud < 50 || baud == s->line_baud)
		return;
	if (s->line_baud)
		log_ev(s, 0, "line_baud", "from=%d to=%d", s->line_baud, baud);
	s->line_baud = baud;
	s->tbyte_ns = (u64)(s->parity ? 11 : 10) * 1000000000ULL /
		      (u64)baud;
}

/*
 * The master's rate: on a pty the slave's termios (the driver under test
 * sets it), read when a request frame completes; elsewhere --baud.
 */
static void line_baud_update(struct sim *s)
{
	struct termios tio;

	if (s->ep != EP_PTY || s->slave_fd < 0 || tcgetattr(s->slave_fd, &tio))
		return;
	set_line_baud(s, code_baud(cfgetospeed(&tio)));
}

static int set_raw(struct sim *s, int fd)
{
	struct termios tio;
	speed_t sp = baud_code(s->baud);

	if (tcgetattr(fd, &tio))
		return -1;
	cfmakeraw(&tio);
	tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
	tio.c_cflag |= CS8 | CLOCAL | CREAD;
	if (s->parity)
		tio.c_cflag |= PARENB;
	if (s->parity == 2)
		tio.c_cflag |= PARODD;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (sp) {
		cfsetispeed(&tio, sp);
		cfsetospeed(&tio, sp);
	}
	return tcsetattr(fd, TCSANOW, &tio);
}

static int open_pty(struct sim *s)
{
	const char *name;

	s->fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (s->fd < 0 || grantpt(s->fd) || unlockpt(s->fd))
		return -1;
	name = ptsname(s->fd);
	if (!name)
		return -1;
	set_raw(s, s->fd);
	/* hold the slave open: no EIO/hangup when a client closes it */
	s->slave_fd = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (s->slave_fd >= 0)
		set_raw(s, s->slave_fd);
	if (s->pty_link) {
		unlink(s->pty_link);
		if (symlink(name, s->pty_link))
			fprintf(stderr, "hmsim: symlink %s: %s\n", s->pty_link,
				strerror(errno));
	}
	s->wfd = s->fd;
	printf("PTY %s\n", name);
	fflush(stdout);
	return 0;
}

static int open_tty(struct sim *s)
{
	s->fd = open(s->path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (s->fd < 0)
		return -1;
	if (set_raw(s, s->fd))
		return -1;
	tcflush(s->fd, TCIOFLUSH);
	s->wfd = s->fd;
	return 0;
}

static int open_socket(struct sim *s)
{
	struct sockaddr_un sa;
	u64 until = mono_ns() + (u64)s->connect_timeout * 1000000000ULL;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(s->path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
	for (;;) {
		s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s->fd < 0)
			return -1;
		if (!connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		close(s->fd);
		s->fd = -1;
		if (mono_ns() > until || sig_term)
			return -1;
		usleep(100000);
	}
	fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
	s->wfd = s->fd;
	return 0;
}

static void log_stats(struct sim *s)
{
	log_ev(s, 0, "stats",
	       "rx_bytes=%ld tx_bytes=%ld frames=%ld discarded=%ld replies=%ld collisions=%ld faults=%ld selects=%ld nke=%ld req_ud2=%ld freezes=%ld line_baud=%d",
	       s->rx_bytes, s->tx_bytes, s->frames, s->discarded, s->replies,
	       s->collisions, s->faults_done, s->selects, s->nke, s->req_ud2,
	       s->freezes, s->line_baud);
}

static void dump_stats(struct sim *s)
{
	int i;

	fprintf(stderr,
		"hmsim: rx_bytes=%ld tx_bytes=%ld frames=%ld discarded=%ld replies=%ld collisions=%ld faults=%ld selects=%ld nke=%ld req_ud2=%ld freezes=%ld line_baud=%d\n",
		s->rx_bytes, s->tx_bytes, s->frames, s->discarded, s->replies,
		s->collisions, s->faults_done, s->selects, s->nke, s->req_ud2,
		s->freezes, s->line_baud);
	for (i = 0; i < s->nmeters; i++) {
		struct meter *m = &s->meters[i];

		fprintf(stderr,
			"hmsim: meter %s profile=%s requests=%ld replies=%ld faults=%ld test_mode=%d\n",
			m->name, profile_name(m->profile), m->requests,
			m->replies, m->faults_done, m->test_mode);
	}
	log_stats(s);
}

static void list_meters(struct sim *s)
{
	int i;

	for (i = 0; i < s->nmeters; i++) {
		struct meter *m = &s->meters[i];
		char addr[15];
		int j;

		for (j = 0; j < 7; j++)
			snprintf(addr + 2 * j, 3, "%02X", m->addr[6 - j]);
		if (m->proto == P_CJT188)
			fprintf(stderr,
				"hmsim: meter %s cjt188 profile=%s address=%s type=%02X reply_type=%02X%s\n",
				m->name, profile_name(m->profile), addr, m->type,
				m->reply_type, m->reply_hex_len ? " replay" : "");
		else
			fprintf(stderr,
				"hmsim: meter %s mbus profile=%s primary=%d id=%s man=%c%c%c version=%d medium=%d energy=%lld volume=%lld telegrams=%d baud=%d%s\n",
				m->name, profile_name(m->profile), m->primary,
				m->id, ((m->man >> 10) & 31) + 64,
				((m->man >> 5) & 31) + 64, (m->man & 31) + 64,
				m->version, m->medium,
				m->have[Q_ENERGY] ? (long long)m->v[Q_ENERGY] : -1LL,
				m->have[Q_VOLUME] ? (long long)m->v[Q_VOLUME] : -1LL,
				m->telegrams, m->baud ? m->baud : s->baud,
				m->reply_hex_len ? " replay" : "");
	}
}

static const char usage_text[] =
"Usage: hmsim ENDPOINT [OPTIONS] METERS...\n"
"Simulate CJ/T 188-2004 and wired M-Bus heat meters on a serial line.\n"
"\n"
"Endpoints (one):\n"
"  --pty               open a pty, print 'PTY /dev/pts/N' on stdout, serve it\n"
"  --pty-link PATH     also make PATH a symlink to the pty slave\n"
"  --tty DEV           a serial port (raw, --baud, --parity; default 2400 8E1)\n"
"  --socket PATH       connect to a unix stream socket (qemu chardev server)\n"
"  --connect-timeout S retry the socket connect for S seconds (default 10)\n"
"  --stdio             requests on stdin, replies on stdout\n"
"\n"
"Line:\n"
"  --baud N            byte time and tty speed (default 2400)\n"
"  --parity none|even|odd   (default even: 11 bits per byte)\n"
"  --latency MS        reply latency after the request's last byte (default 20)\n"
"  --no-pace           write replies at once instead of at the byte rate\n"
"  --slow-ms MS        latency of the 'slow' fault (default 3000)\n"
"  --gap-ms MS         drop a partial request after MS of silence (default 200)\n"
"  --echo              echo every received byte (2-wire RS-485 local echo)\n"
"  --any-baud          M-Bus meters hear requests at any rate (no baud model)\n"
"  --keep-parity-bytes pty/socket: keep a collision's bytes a UART would flag\n"
"                      (default: left out, as the pty cannot flag them)\n"
"  --fault KIND[:every|once|N]  line-wide fault on replies (repeatable)\n"
"\n"
"Meters:\n"
"  --meter k=v,k=v...  add a meter (repeatable); see Documentation/hmsim.rst\n"
"  --gen mbus-random:N[:seed=S][:groups=G][:man=ABC][:primary=P][:k=v...]\n"
"  --gen mbus-consecutive:N[:start=DDDDDDDD][:man=ABC][:primary=P][:k=v...]\n"
"                      N generated M-Bus meters (primary 0, or P..P+N-1);\n"
"                      values from the ID D: energy (D mod 10^6) kWh, ...\n"
"  --config FILE       key=value lines: globals, then one [meter] per meter\n"
"  --vector FILE:NAME[,k=v...]  meter replaying a reply vector of vectors.txt\n"
"  --demo[=NAMES]      builtin line: delu-ultrasonic,delu-mechanical,cjt188,mbus\n"
"  --list              print the meters on stderr and exit\n"
"\n"
"Meter keys: protocol=cjt188|mbus profile=cjt188|delu-ultrasonic|\n"
"  delu-mechanical|lichuang|tiangang-mbus|mbus name= address=A6..A0 (14 hex)\n"
"  type= reply_type= di_order=echo|901f|1f90 ser=echo|N preamble=N filler=N\n"
"  unit_first=0|1 bcd_msb_first=0|1 st=HEX(2 bytes) time=YYYY-MM-DDThh:mm:ss|now\n"
"  clock_hex=HEX(7) <field>_unit=CODE <field>_dec=N strict_test_mode=0|1\n"
"  primary=N id=8 digits manufacturer=ABC version= medium= access= status=\n"
"  records=DIFVIF[=DATA]/... test_records=... test_mode=0|1 test_mode_expiry=S\n"
"  energy=mWh settlement_energy=mWh volume=mL power=mW flow=mL/h\n"
"  supply_temp=m°C return_temp=m°C temp_diff=mK operating_time=s\n"
"  reply_hex=HEX latency=MS skew_us=US fault=KIND[:MODE]\n"
"  telegrams=N due_energy=mWh due_volume=mL due_date=YYYY-MM-DD due_storage=N\n"
"  baud=N bauds=300,2400,9600 baud_switch=ok|ignore baud_watchdog_s=S\n"
"\n"
"Faults: checksum stop truncate silence garbage-before garbage-after garbage\n"
"  echo collision parity(--tty only) slow vanish[:N] e5-trail (meter)\n"
"  glitch (line: a stray FC/FD/FE/00/A5 after a request)\n"
"\n"
"Other: --log FILE (MONO_NS REAL_NS EVENT k=v per line; '-' = stderr)\n"
"  -v verbose, -h --help. SIGUSR1 dumps statistics, SIGTERM exits.\n"
"\n"
"Examples:\n"
"  hmsim --pty --demo --log /tmp/hmsim.log\n"
"  hmsim --socket /tmp/ttyS1.sock --demo=mbus --baud 2400\n"
"  hmsim --pty --meter profile=mbus,primary=5,id=12345678,energy=1000000\n";

enum {
	O_PTY = 256, O_PTYLINK, O_TTY, O_SOCKET, O_STDIO, O_BAUD, O_PARITY,
	O_LATENCY, O_NOPACE, O_SLOW, O_GAP, O_ECHO, O_FAULT, O_METER,
	O_CONFIG, O_VECTOR, O_DEMO, O_LOG, O_LIST, O_CTIMEOUT, O_GEN, O_ANYBAUD,
	O_KEEPPAR,
};

static const struct option long_opts[] = {
	{ "pty", no_argument, NULL, O_PTY },
	{ "pty-link", required_argument, NULL, O_PTYLINK },
	{ "tty", required_argument, NULL, O_TTY },
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "connect-timeout", required_argument, NULL, O_CTIMEOUT },
	{ "stdio", no_argument, NULL, O_STDIO },
	{ "baud", required_argument, NULL, O_BAUD },
	{ "parity", required_argument, NULL, O_PARITY },
	{ "latency", required_argument, NULL, O_LATENCY },
	{ "no-pace", no_argument, NULL, O_NOPACE },
	{ "slow-ms", required_argument, NULL, O_SLOW },
	{ "gap-ms", required_argument, NULL, O_GAP },
	{ "echo", no_argument, NULL, O_ECHO },
	{ "fault", required_argument, NULL, O_FAULT },
	{ "meter", required_argument, NULL, O_METER },
	{ "gen", required_argument, NULL, O_GEN },
	{ "any-baud", no_argument, NULL, O_ANYBAUD },
	{ "keep-parity-bytes", no_argument, NULL, O_KEEPPAR },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "vector", required_argument, NULL, O_VECTOR },
	{ "demo", optional_argument, NULL, O_DEMO },
	{ "log", required_argument, NULL, O_LOG },
	{ "list", no_argument, NULL, O_LIST },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						      noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("hmsim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static struct sim the_sim;

int main(int argc, char **argv)
{
	struct sim *s = &the_sim;
	char err[256];
	bool list = false, eof = false;
	sigset_t block, orig;
	struct sigaction sa;
	int opt, rc = 0;

	s->fd = s->wfd = s->slave_fd = -1;
	s->baud = 2400;
	s->parity = 1;
	s->latency_ms = 20;
	s->slow_ms = 3000;
	s->gap_ms = 200;
	s->connect_timeout = 10;
	s->pace = true;
	while ((opt = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case O_PTY:
			s->ep = EP_PTY;
			break;
		case O_PTYLINK:
			s->pty_link = optarg;
			break;
		case O_TTY:
			s->ep = EP_TTY;
			s->path = optarg;
			break;
		case O_SOCKET:
			s->ep = EP_SOCKET;
			s->path = optarg;
			break;
		case O_CTIMEOUT:
			s->connect_timeout = atoi(optarg);
			break;
		case O_STDIO:
			s->ep = EP_STDIO;
			break;
		case O_BAUD:
			s->baud = atoi(optarg);
			if (s->baud < 50)
				die("bad baud rate '%s'", optarg);
			break;
		case O_PARITY:
		case O_LATENCY:
		case O_SLOW:
		case O_GAP:
		case O_FAULT: {
			static const char *const k[] = {
				[O_PARITY - O_PARITY] = "parity",
				[O_LATENCY - O_PARITY] = "latency",
				[O_SLOW - O_PARITY] = "slow_ms",
				[O_GAP - O_PARITY] = "gap_ms",
				[O_FAULT - O_PARITY] = "fault",
			};

			if (opt == O_FAULT || opt == O_PARITY ||
			    opt == O_LATENCY || opt == O_SLOW || opt == O_GAP) {
				if (sim_set_global(s, k[opt - O_PARITY],
						   optarg, err, sizeof(err)))
					die("%s", err);
			}
			break;
		}
		case O_NOPACE:
			s->pace = false;
			break;
		case O_ECHO:
			s->line_echo = true;
			break;
		case O_KEEPPAR:
			s->keep_parity = true;
			break;
		case O_ANYBAUD:
			s->any_baud = true;
			break;
		case O_METER: {
			struct meter *m = sim_new_meter(s);

			if (!m)
				die("too many meters");
			if (meter_spec(m, optarg, err, sizeof(err)))
				die("--meter %s: %s", optarg, err);
			break;
		}
		case O_GEN:
			if (gen_load(s, optarg, err, sizeof(err)))
				die("%s", err);
			break;
		case O_CONFIG:
			if (config_load(s, optarg, err, sizeof(err)))
				die("%s", err);
			break;
		case O_VECTOR: {
			char buf[1024], *colon, *comma;
			struct meter *m = sim_new_meter(s);

			if (!m)
				die("too many meters");
			snprintf(buf, sizeof(buf), "%s", optarg);
			comma = strchr(buf, ',');
			if (comma)
				*comma++ = 0;
			colon = strrchr(buf, ':');
			if (!colon)
				die("--vector wants FILE:NAME");
			*colon++ = 0;
			if (vector_load(m, buf, colon, err, sizeof(err)))
				die("%s", err);
			if (comma && meter_spec(m, comma, err, sizeof(err)))
				die("--vector %s: %s", optarg, err);
			break;
		}
		case O_DEMO:
			if (demo_load(s, optarg, err, sizeof(err)))
				die("%s", err);
			break;
		case O_LOG:
			if (!strcmp(optarg, "-")) {
				s->log = stderr;
			} else {
				s->log = fopen(optarg, "a");
				if (!s->log)
					die("%s: %s", optarg, strerror(errno));
			}
			break;
		case O_LIST:
			list = true;
			break;
		case 'v':
			s->verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (!s->nmeters)
		die("no meters: use --meter, --config, --vector or --demo");
	set_line_baud(s, s->baud);
	for (opt = 0; opt < s->nmeters; opt++)
		if (!s->meters[opt].baud)
			s->meters[opt].baud = s->baud;
	if (list || s->verbose)
		list_meters(s);
	if (list)
		return 0;
	if (s->ep == EP_NONE)
		die("no endpoint: use --pty, --tty, --socket or --stdio");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &orig);

	switch (s->ep) {
	case EP_PTY:
		rc = open_pty(s);
		break;
	case EP_TTY:
		rc = open_tty(s);
		break;
	case EP_SOCKET:
		sigprocmask(SIG_SETMASK, &orig, NULL);
		rc = open_socket(s);
		sigprocmask(SIG_BLOCK, &block, NULL);
		break;
	case EP_STDIO:
		s->fd = 0;
		s->wfd = 1;
		if (s->log == stdout)
			die("--stdio: log elsewhere");
		fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
		break;
	default:
		break;
	}
	if (rc || s->fd < 0)
		die("cannot open %s: %s", s->path ? s->path : "pty",
		    strerror(errno));
	log_ev(s, 0, "start", "meters=%d baud=%d tbyte_ns=%llu latency_ms=%d pace=%d",
	       s->nmeters, s->baud, (unsigned long long)s->tbyte_ns,
	       s->latency_ms, s->pace);

	while (!sig_term) {
		struct pollfd pfd[2];
		struct timespec ts, *tsp = NULL;
		u64 next = 0, now;
		int np = 0;

		if (tx_run(s, &next) < 0) {
			fprintf(stderr, "hmsim: write: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		if (eof && !s->txn)
			break;
		now = mono_ns();
		if (s->rxn) {
			u64 g = s->last_rx + (u64)s->gap_ms * 1000000ULL;

			if (now >= g) {
				log_ev(s, 0, "rx_timeout", "dropped=%d", s->rxn);
				s->rxn = 0;
			} else if (!next || g < next) {
				next = g;
			}
		}
		if (next) {
			u64 d = next > now ? next - now : 0;

			ts.tv_sec = (time_t)(d / 1000000000ULL);
			ts.tv_nsec = (long)(d % 1000000000ULL);
			tsp = &ts;
		}
		if (!eof) {
			pfd[np].fd = s->fd;
			pfd[np].events = POLLIN;
			np++;
		}
		if (s->tx_blocked) {
			pfd[np].fd = s->wfd;
			pfd[np].events = POLLOUT;
			np++;
		}
		if (ppoll(pfd, (nfds_t)np, tsp, &orig) < 0 && errno != EINTR) {
			rc = 1;
			break;
		}
		if (sig_usr1) {
			sig_usr1 = 0;
			dump_stats(s);
		}
		if (!eof && np && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (rx_read(s) < 0) {
				eof = true;
				log_ev(s, 0, "eof", NULL);
			}
		}
	}
	if (s->verbose)
		dump_stats(s);
	else
		log_stats(s);
	log_ev(s, 0, "exit", "signal=%d", (int)sig_term);
	if (s->pty_link)
		unlink(s->pty_link);
	if (s->log && s->log != stderr)
		fclose(s->log);
	return rc;
}
