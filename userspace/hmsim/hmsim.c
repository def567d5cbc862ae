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
	return t->start + (s->pace ? (u64)t->len * s->tbyte_ns : 0);
}

static void tx_enqueue(struct sim *s, const u8 *p, int n, u64 start,
		       int parity_at, const char *who, bool is_echo)
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
	t->parity_at = parity_at;
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
		int n, w;

		if (now < t->start) {
			*next = t->start;
			return 0;
		}
		if (s->pace) {
			u64 due = t->start + (u64)t->pos * s->tbyte_ns;

			if (now < due) {
				*next = due;
				return 0;
			}
			n = (int)((now - due) / s->tbyte_ns) + 1;
			if (n > t->len - t->pos)
				n = t->len - t->pos;
		} else {
			n = t->len - t->pos;
		}
		if (t->parity_at >= 0 && s->ep == EP_TTY) {
			/* stop at the flip point and flip with the UART idle */
			if (t->pos < t->parity_at && t->pos + n > t->parity_at)
				n = t->parity_at - t->pos;
			if (t->pos == t->parity_at) {
				tcdrain(s->wfd);
				set_parity(s, true);
				log_ev(s, 0, "parity_flip", "who=%s at=%d",
				       t->who, t->pos);
			}
		}
		w = tx_write(s, t->buf + t->pos, n);
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
		if (t->parity_at >= 0 && s->ep == EP_TTY)
			set_parity(s, false);
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
		F_ECHO, F_PARITY, F_SLOW,
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
				r->parity_at = r->len / 2;
				if (s->ep != EP_TTY && !s->parity_warned) {
					s->parity_warned = true;
					fprintf(stderr,
						"hmsim: parity fault needs --tty: a pty/socket has no parity; frames go out unchanged\n");
				}
				break;
			case F_SLOW:
				r->latency_ms = s->slow_ms;
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
	p->r.parity_at = -1;
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

/* faults, collisions, echo; then into the transmit queue */
static void finish_request(struct sim *s, struct reqctx *c)
{
	struct reply line;
	int i, live = 0, lat = -1;
	const char *who = NULL;
	struct meter *src = NULL;
	char hx[64];

	memset(&line, 0, sizeof(line));
	line.parity_at = -1;
	line.latency_ms = -1;
	for (i = 0; i < c->nrep; i++) {
		struct pending *p = &c->rep[i];
		int l;

		p->m->replies++;
		apply_faults(s, p->m, p->m, p->m->faults, p->m->nfaults,
			     p->m->replies, c, &p->r);
		if (p->r.silent)
			continue;
		l = p->r.latency_ms >= 0 ? p->r.latency_ms :
		    p->m->latency_ms >= 0 ? p->m->latency_ms : s->latency_ms;
		if (lat < 0 || l < lat)
			lat = l;
		if (!live) {
			line = p->r;
			who = p->m->name;
			src = p->m;
		} else {
			reply_and(&line, p->r.buf, p->r.len);
			line.echo |= p->r.echo;
			if (p->r.parity_at >= 0)
				line.parity_at = p->r.parity_at;
		}
		live++;
	}
	if (!live)
		return;
	if (live > 1) {
		s->collisions++;
		who = "collision";
		log_ev(s, 0, "collision", "meters=%d", live);
	}
	s->line_replies++;
	line.latency_ms = -1;
	apply_faults(s, NULL, src, s->faults, s->nfaults, s->line_replies, c,
		     &line);
	if (line.silent)
		return;
	if (line.latency_ms >= 0)
		lat = line.latency_ms;
	if (line.echo) {
		tx_enqueue(s, c->raw, c->rawlen, c->last, -1, "echo", true);
		log_ev(s, 0, "echo", "len=%d", c->rawlen);
	}
	{
		u64 l = (u64)lat * 1000000ULL;

		if (l < s->tbyte_ns)
			l = s->tbyte_ns;
		tx_enqueue(s, line.buf, line.len, c->last + l, line.parity_at,
			   who, false);
	}
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

static void on_mbus(struct sim *s, const u8 *f, int len, struct reqctx *c)
{
	bool lng = f[0] == 0x68;
	int cc = lng ? f[4] : f[1], a = lng ? f[5] : f[2];
	int ci = lng ? f[6] : -1, dl = lng ? f[1] - 3 : 0, i;
	const u8 *d = f + 7;
	const char *kind = "other";
	char hx[2 * MAX_FRAME + 1];
	u8 out[MAX_REPLY];
	u64 now = mono_ns();

	if (!lng && cc == 0x40)
		kind = "snd-nke";
	else if (!lng && (cc & 0xCF) == 0x4B)
		kind = "req-ud2";
	else if (!lng && (cc & 0xCF) == 0x4A)
		kind = "req-ud1";
	else if (lng && (cc & 0xCF) == 0x43)
		kind = ci == 0x52 ? "select" : ci == 0x50 ? "app-reset" :
		       ci == 0x51 ? "data-send" : "snd-ud";
	else if (cc & 0x08 && !(cc & 0x40))
		kind = "reply";
	hexstr(hx, sizeof(hx), f, len);
	log_ev(s, 0, "req",
	       "proto=mbus kind=%s addr=%d c=%02X ci=%d first=%llu last=%llu hex=%s",
	       kind, a, cc, ci, (unsigned long long)c->first,
	       (unsigned long long)c->last, hx);
	for (i = 0; i < s->nmeters; i++) {
		struct meter *m = &s->meters[i];
		bool addressed, bcast_noreply = a == 0xFF;
		int n = 0;

		if (m->proto != P_MBUS &&
		    !(m->profile == PR_LICHUANG && lng && ci == 0x50 &&
		      (a == 0xFE || a == 0xFF)))
			continue;
		test_mode_check(s, m, now);
		if (lng && (cc & 0xCF) == 0x43 && ci == 0x52 && a == 0xFD) {
			bool was = m->selected;

			m->requests++;
			m->selected = sec_match(m, d, dl);
			if (m->selected != was || m->selected)
				log_ev(s, 0, "select", "who=%s selected=%d",
				       m->name, m->selected);
			if (m->selected)
				reply_e5(c, m);
			continue;
		}
		addressed = a == m->primary || a == 0xFE || a == 0xFF ||
			    (a == 0xFD && m->selected);
		if (!addressed)
			continue;
		m->requests++;
		if (!lng) {
			if (cc == 0x40) {
				m->have_last = false;
				if (a == 0xFD)
					m->selected = false;
				if (!bcast_noreply)
					reply_e5(c, m);
			} else if ((cc & 0xCF) == 0x4B && !bcast_noreply) {
				int fcv = !!(cc & 0x10), fcb = !!(cc & 0x20);

				if (fcv && m->have_last && fcb == m->last_fcb) {
					log_ev(s, 0, "fcb_repeat", "who=%s",
					       m->name);
					reply_bytes(c, m, m->last, m->last_len);
					continue;
				}
				if (m->reply_hex_len) {
					memcpy(out, m->reply_hex,
					       (size_t)m->reply_hex_len);
					n = m->reply_hex_len;
				} else {
					n = mbus_build_rsp(m, out, 0x72, false);
					m->access = (m->access + 1) & 0xFF;
				}
				memcpy(m->last, out, (size_t)n);
				m->last_len = n;
				m->have_last = true;
				m->last_fcb = fcv ? fcb : -1;
			} else if ((cc & 0xCF) == 0x4A && !bcast_noreply) {
				reply_e5(c, m);
			}
		} else if ((cc & 0xCF) == 0x43) {
			if (ci == 0x50) {
				if (dl >= 1 && (d[0] >> 4) == 0x9)
					test_mode_enter(s, m, now);
				else if (dl >= 1 && d[0] == 0x00 &&
					 m->test_mode) {
					m->test_mode = false;
					log_ev(s, 0, "test_mode",
					       "who=%s state=off", m->name);
				}
				m->have_last = false;
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
		tx_enqueue(s, buf, (int)n, now, -1, "line-echo", true);
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

static void dump_stats(struct sim *s)
{
	int i;

	fprintf(stderr,
		"hmsim: rx_bytes=%ld tx_bytes=%ld frames=%ld discarded=%ld replies=%ld collisions=%ld faults=%ld\n",
		s->rx_bytes, s->tx_bytes, s->frames, s->discarded, s->replies,
		s->collisions, s->faults_done);
	for (i = 0; i < s->nmeters; i++) {
		struct meter *m = &s->meters[i];

		fprintf(stderr,
			"hmsim: meter %s profile=%s requests=%ld replies=%ld faults=%ld test_mode=%d\n",
			m->name, profile_name(m->profile), m->requests,
			m->replies, m->faults_done, m->test_mode);
	}
	log_ev(s, 0, "stats",
	       "rx_bytes=%ld tx_bytes=%ld frames=%ld discarded=%ld replies=%ld collisions=%ld faults=%ld",
	       s->rx_bytes, s->tx_bytes, s->frames, s->discarded, s->replies,
	       s->collisions, s->faults_done);
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
				"hmsim: meter %s mbus profile=%s primary=%d id=%s man=%c%c%c version=%d medium=%d%s\n",
				m->name, profile_name(m->profile), m->primary,
				m->id, ((m->man >> 10) & 31) + 64,
				((m->man >> 5) & 31) + 64, (m->man & 31) + 64,
				m->version, m->medium,
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
"  --fault KIND[:every|once|N]  line-wide fault on replies (repeatable)\n"
"\n"
"Meters:\n"
"  --meter k=v,k=v...  add a meter (repeatable); see Documentation/hmsim.rst\n"
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
"  reply_hex=HEX latency=MS fault=KIND[:MODE]\n"
"\n"
"Faults: checksum stop truncate silence garbage-before garbage-after garbage\n"
"  echo collision parity(--tty only) slow vanish[:N]\n"
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
	O_CONFIG, O_VECTOR, O_DEMO, O_LOG, O_LIST, O_CTIMEOUT,
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
		case O_METER: {
			struct meter *m = sim_new_meter(s);

			if (!m)
				die("too many meters");
			if (meter_spec(m, optarg, err, sizeof(err)))
				die("--meter %s: %s", optarg, err);
			break;
		}
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
	s->tbyte_ns = (u64)(s->parity ? 11 : 10) * 1000000000ULL /
		      (u64)s->baud;
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
	log_ev(s, 0, "exit", "signal=%d", (int)sig_term);
	if (s->verbose)
		dump_stats(s);
	if (s->pty_link)
		unlink(s->pty_link);
	if (s->log && s->log != stderr)
		fclose(s->log);
	return rc;
}
