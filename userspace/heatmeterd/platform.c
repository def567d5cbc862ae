// SPDX-License-Identifier: GPL-2.0
/*
 * DL/T 2690.8 clause 4: the link to the operation platform.
 *
 * One TCP connection (client mode: we connect; server mode: the platform
 * does), non-blocking, driven by the main poll() loop. After the TCP set-up
 * the monitoring system logs in (table 4) and waits for the reply (table
 * 5); then: clock request (tables 10/11), heartbeats (table 9), the
 * configuration file (tables 12/13) whenever the platform sends one,
 * periodic (0x0006) and on-change (0x0005) packets (table 14), answers to
 * the information call 0x65 (tables 6-8) and to control commands (tables
 * 15/16; every write refused with 0x80+FC, exception 02).
 *
 * Every upload goes through the spool first (durable before it is sent).
 * A record counts as delivered only when the platform answers a request
 * (heartbeat or clock) that we wrote after it: TCP keeps order, so the
 * platform has read the record by then. Until that, it is resent after a
 * reconnect: at-least-once, duplicates possible (no sequence numbers in
 * the standard).
 *
 * A frame that fails (bad E, CRC, L > max_frame) ends the connection: the
 * stream has no sync byte to resynchronise on (facts §1.3 #4).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include "hmd.h"

enum { PL_IDLE, PL_RESOLVING, PL_CONNECTING, PL_LOGIN, PL_ONLINE };

#define RX_CAP	(65535 + DLT_OVERHEAD)
#define TX_CAP	(1 << 20)

struct plink {
	int state;
	int fd, lfd;
	int dns[2];		/* resolver thread -> loop: struct dns_job * */
	int dns_busy;		/* a resolution is outstanding */
	struct dlt_opts o;
	int probing;		/* crc_scope = auto, not latched yet */
	uint8_t rx[RX_CAP];
	size_t rxn;
	uint8_t *tx;
	size_t txn;
	uint16_t b;		/* protocol id we send */
	int64_t next_connect, backoff;
	int64_t login_deadline;
	int64_t next_hb, hb_deadline;
	int hb_out, hb_missed;
	uint64_t hb_covers;	/* highest spool seq written before that heartbeat */
	int64_t next_clock;
	int clock_out;
	uint64_t clock_covers;
	int64_t clock_offset_ns;
	int clock_synced;
	/* uploads */
	struct pcfg pc;
	int have_cfg;
	int64_t next_period[PCFG_MAX_TABLES];
	uint8_t last_body[PCFG_MAX_TABLES][2 + PCFG_MAX_RECS * 8];
	size_t last_len[PCFG_MAX_TABLES];
	int64_t last_change[PCFG_MAX_TABLES];
	int changed;
	int64_t next_expire;
	uint64_t next_send_seq;	/* spool seq to send next on this connection */
	uint64_t written_seq;	/* highest seq put into tx */
	int64_t online_real;	/* when this login succeeded (backlog marker) */
	double tokens;
	int64_t tokens_at;
	/* counters */
	uint64_t rx_frames, tx_frames, bad_frames, logins, reconnects, uploads,
		 delivered, calls, controls, configs, configs_rejected;
};

static struct plink PL;

/* ---- helpers ---- */

static void put16(uint8_t *p, unsigned int v, int le)
{
	p[le ? 0 : 1] = v & 0xff;
	p[le ? 1 : 0] = v >> 8;
}

static unsigned int get16(const uint8_t *p, int le)
{
	return le ? (p[0] | p[1] << 8) : (p[0] << 8 | p[1]);
}

static int send_frame(struct plink *p, uint16_t a, const uint8_t *d, size_t l)
{
	size_t n;

	if (p->fd < 0 || p->txn + l + DLT_OVERHEAD > TX_CAP)
		return -1;
	n = dlt_encode(&p->o, a, p->b, d, l, p->tx + p->txn, TX_CAP - p->txn);
	if (!n)
		return -1;
	p->txn += n;
	p->tx_frames++;
	dbg("platform: tx A=0x%04x L=%zu", a, l);
	return 0;
}

static void flush_tx(struct plink *p)
{
	while (p->txn && p->fd >= 0) {
		ssize_t w = send(p->fd, p->tx, p->txn, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				dbg("platform: send: %s", strerror(errno));
			return;
		}
		memmove(p->tx, p->tx + w, p->txn - w);
		p->txn -= w;
	}
}

static void disconnect(struct hmd *h, struct plink *p, const char *why)
{
	int64_t now = now_mono(), j;

	if (p->fd >= 0) {
		warn("platform: connection closed: %s", why);
		close(p->fd);
		p->reconnects++;
	}
	p->fd = -1;
	p->state = PL_IDLE;
	p->rxn = p->txn = 0;
	p->hb_out = p->clock_out = 0;
	if (h->cfg.pf_server) {
		p->next_connect = 0;
		return;
	}
	/* back off 1, 2, 4 ... reconnect_max s, with +-20 % jitter */
	j = p->backoff / 5;
	p->next_connect = now + p->backoff + (j ? (rand() % (2 * j + 1)) - j : 0);
	p->backoff *= 2;
	if (p->backoff > h->cfg.reconnect_max_s * SEC)
		p->backoff = h->cfg.reconnect_max_s * SEC;
}

static void tune_socket(struct hmd *h, int fd)
{
	int one = 1, idle = h->cfg.heartbeat_s, cnt = 3;
	unsigned int ut = (h->cfg.heartbeat_s + h->cfg.heartbeat_timeout_s) * 1000;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* ---- login (table 4) ---- */

static void hex8(const char *hex, uint8_t out[8])
{
	memset(out, 0, 8);
	for (int i = 0; hex[0] && i < 8; i++) {
		char b[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		out[i] = strtoul(b, NULL, 16);
	}
}

static void send_login(struct hmd *h, struct plink *p)
{
	uint8_t d[24 + 16 * HMD_MAX_SYSTEMS];
	size_t l = 24;

	memset(d, 0, sizeof(d));
	memcpy(d, h->cfg.login_id, strlen(h->cfg.login_id));
	memcpy(d + 12, h->cfg.password, strlen(h->cfg.password));
	for (int n = 1; n <= h->cfg.systems; n++) {
		hex8(h->cfg.vendor_code[n], d + l);
		hex8(h->cfg.product_code[n], d + l + 8);
		l += 16;
	}
	send_frame(p, DLT_A_LOGIN, d, l);
	p->state = PL_LOGIN;
	p->login_deadline = now_mono() + h->cfg.login_timeout_s * SEC;
	info("platform: login as '%s' (%d systems)", h->cfg.login_id, h->cfg.systems);
}

static void connected(struct hmd *h, struct plink *p)
{
	p->rxn = p->txn = 0;
	p->probing = h->cfg.crc_scope < 0;
	send_login(h, p);
	flush_tx(p);
}

/*
 * Host names are resolved off the loop: getaddrinfo() may wait seconds per
 * DNS server (or forever on a stuck NSS module) and the loop serves Modbus
 * and the meters meanwhile. A numeric address is taken at once; a name goes
 * to a detached thread that writes its finished job to a pipe the loop
 * polls. One job at a time: a retry while one is outstanding waits for it.
 */
struct dns_job {
	char host[sizeof(((struct hmd_config *)0)->pf_host)];
	char port[8];
	int wfd, rc;
	struct addrinfo *ai;
};

static void *resolver(void *arg)
{
	struct dns_job *j = arg;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };

	j->rc = getaddrinfo(j->host, j->port, &hints, &j->ai);
	if (write(j->wfd, &j, sizeof(j)) != sizeof(j)) {
		if (!j->rc)
			freeaddrinfo(j->ai);
		free(j);
	}
	return NULL;
}

static void connect_to(struct hmd *h, struct plink *p, const struct addrinfo *ai)
{
	int fd, rc;

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		disconnect(h, p, strerror(errno));
		return;
	}
	tune_socket(h, fd);
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	p->fd = fd;
	if (rc && errno != EINPROGRESS) {
		dbg("platform: connect %s:%d: %s", h->cfg.pf_host, h->cfg.pf_port, strerror(errno));
		close(fd);
		p->fd = -1;
		disconnect(h, p, "connect");
		return;
	}
	p->state = PL_CONNECTING;
	p->login_deadline = now_mono() + h->cfg.login_timeout_s * SEC;
	if (!rc)
		connected(h, p);
}

static void try_connect(struct hmd *h, struct plink *p)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *ai;
	struct dns_job *j;
	pthread_attr_t at;
	pthread_t t;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%d", h->cfg.pf_port);
	rc = getaddrinfo(h->cfg.pf_host, port, &hints, &ai);	/* never blocks */
	if (!rc) {
		connect_to(h, p, ai);
		freeaddrinfo(ai);
		return;
	}
	if (rc != EAI_NONAME) {
		warn("platform: %s: %s", h->cfg.pf_host, gai_strerror(rc));
		disconnect(h, p, "address");
		return;
	}
	p->state = PL_RESOLVING;
	p->login_deadline = now_mono() + h->cfg.login_timeout_s * SEC;
	if (p->dns_busy) {
		dbg("platform: still resolving %s", h->cfg.pf_host);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		disconnect(h, p, "out of memory");
		return;
	}
	snprintf(j->host, sizeof(j->host), "%s", h->cfg.pf_host);
	memcpy(j->port, port, sizeof(port));
	j->wfd = p->dns[1];
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &at, resolver, j);
	pthread_attr_destroy(&at);
	if (rc) {
		free(j);
		warn("platform: resolver thread: %s", strerror(rc));
		disconnect(h, p, "address");
		return;
	}
	p->dns_busy = 1;
	dbg("platform: resolving %s", h->cfg.pf_host);
}

/* the resolver thread finished: connect if we are still waiting for it */
static void on_resolved(struct hmd *h, struct plink *p)
{
	struct dns_job *j;

	while (read(p->dns[0], &j, sizeof(j)) == sizeof(j)) {
		p->dns_busy = 0;
		if (j->rc) {
			if (p->state == PL_RESOLVING) {
				warn("platform: %s: %s", j->host, gai_strerror(j->rc));
				disconnect(h, p, "address");
			}
		} else {
			if (p->state == PL_RESOLVING)
				connect_to(h, p, j->ai);
			freeaddrinfo(j->ai);
		}
		free(j);
	}
}

/* ---- configuration file ---- */

static int cfg_path(struct hmd *h, char *buf, size_t n, const char *name)
{
	return snprintf(buf, n, "%s/%s", h->cfg.state_dir, name) < (int)n ? 0 : -1;
}

static int parse_cfg(struct hmd *h, const uint8_t *d, size_t n, struct pcfg *c, char *e, size_t el)
{
	struct pcfg_opts po = {
		.byte_order = h->cfg.config_byte_order,
		.layout_second = h->cfg.config_layout_second,
		.address_reference = h->cfg.address_reference,
		.image_regs = h->nregs,
	};

	return pcfg_parse(&po, d, n, c, e, el);
}

static size_t table_body(struct hmd *h, const struct pcfg_table *t, uint8_t *out);

static void adopt_cfg(struct hmd *h, struct plink *p, const struct pcfg *c)
{
	int64_t now = now_mono();

	p->pc = *c;
	p->have_cfg = 1;
	for (int i = 0; i < c->ntables; i++) {
		p->next_period[i] = now + c->t[i].period * SEC;
		/* the change baseline: the image as it is now (at start: no
		 * readings yet), so the first reading is a change */
		p->last_len[i] = table_body(h, &c->t[i], p->last_body[i]);
		p->last_change[i] = 0;
	}
	p->changed = 1;
}

static void load_saved_cfg(struct hmd *h, struct plink *p)
{
	static struct pcfg c;
	static uint8_t d[65536];
	char path[400], e[200];
	ssize_t n;
	int fd;

	if (cfg_path(h, path, sizeof(path), "platform.cfg"))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, d, sizeof(d));
	close(fd);
	if (n > 0 && !parse_cfg(h, d, n, &c, e, sizeof(e))) {
		adopt_cfg(h, p, &c);
		info("platform: configuration from %s: %u tables", path, c.ntables);
	} else {
		warn("platform: saved configuration %s unusable: %s", path, n > 0 ? e : "empty");
	}
}

static int save_cfg(struct hmd *h, const uint8_t *d, size_t n)
{
	char path[400], tmp[400];
	int fd, ok;

	if (cfg_path(h, path, sizeof(path), "platform.cfg") ||
	    cfg_path(h, tmp, sizeof(tmp), "platform.cfg.tmp"))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ok = write(fd, d, n) == (ssize_t)n && !fsync(fd);
	close(fd);
	if (!ok || rename(tmp, path))
		return -1;
	return 0;
}

static void on_config(struct hmd *h, struct plink *p, const uint8_t *d, size_t n)
{
	static struct pcfg c;
	char e[200];
	uint8_t ack[7];
	int bad;

	p->configs++;
	bad = parse_cfg(h, d, n, &c, e, sizeof(e));
	if (!bad && save_cfg(h, d, n)) {
		snprintf(e, sizeof(e), "cannot persist: %s", strerror(errno));
		bad = 1;
	}
	if (bad) {
		p->configs_rejected++;
		warn("platform: configuration rejected (previous kept): %s", e);
	} else {
		adopt_cfg(h, p, &c);
		info("platform: configuration v%u accepted: %u tables", c.version, c.ntables);
		for (int i = 0; i < c.ntables; i++)
			info("  table %u client %u: %u records, every %u s%s", c.t[i].table_no,
			     c.t[i].client_id, c.t[i].nrec, c.t[i].period,
			     c.t[i].on_change ? ", on change" : "");
	}
	if (!h->cfg.config_ack)
		return;
	/* private acknowledgement: AA AA 00 06, version, result (0 accepted) */
	memcpy(ack, n >= 6 ? d : (const uint8_t *)"\xAA\xAA\x00\x06\x00\x00", 6);
	ack[6] = bad ? 1 : 0;
	send_frame(p, DLT_A_DOWNLINK, ack, 7);
}

/* ---- uploads (table 14) ---- */

static size_t table_body(struct hmd *h, const struct pcfg_table *t, uint8_t *out)
{
	size_t l = 2;

	out[0] = t->client_id;
	out[1] = t->table_no;
	for (int j = 0; j < t->nrec; j++) {
		const struct pcfg_rec *r = &t->rec[j];

		/* the raw image, Modbus big-endian, ceil(type/2) registers */
		for (unsigned int k = 0; k < pcfg_rec_regs(r); k++) {
			uint16_t v = h->regs[r->addr + k];

			out[l++] = v >> 8;
			out[l++] = v & 0xff;
		}
	}
	return l;
}

static int64_t stamp(struct plink *p)
{
	return now_real() + (p->clock_synced ? p->clock_offset_ns : 0);
}

static void produce(struct hmd *h, struct plink *p, int64_t now)
{
	uint8_t body[sizeof(p->last_body[0])];

	if (!p->have_cfg || !h->spool_ok)
		return;
	for (int i = 0; i < p->pc.ntables; i++) {
		const struct pcfg_table *t = &p->pc.t[i];
		size_t l = 0;

		if (now >= p->next_period[i]) {
			l = table_body(h, t, body);
			if (spool_append(&h->spool, DLT_A_PERIODIC, body, l, stamp(p)))
				p->uploads++;
			p->next_period[i] += t->period * SEC;
			if (p->next_period[i] < now)
				p->next_period[i] = now + t->period * SEC;
		}
		if (t->on_change && p->changed &&
		    now - p->last_change[i] >= h->cfg.change_min_interval_ms * MS) {
			if (!l)
				l = table_body(h, t, body);
			if (l != p->last_len[i] || memcmp(body, p->last_body[i], l)) {
				if (spool_append(&h->spool, DLT_A_CHANGE, body, l, stamp(p)))
					p->uploads++;
				memcpy(p->last_body[i], body, l);
				p->last_len[i] = l;
				p->last_change[i] = now;
			}
		}
	}
	p->changed = 0;
	for (int i = 0; i < p->pc.ntables; i++)
		if (p->pc.t[i].on_change && now - p->last_change[i] < h->cfg.change_min_interval_ms * MS)
			p->changed = 1;	/* look again when the interval has passed */
}

static void send_heartbeat(struct plink *p, int64_t now, int timeout_s)
{
	static const uint8_t hb[2] = { 0x7B, 0x7D };

	if (send_frame(p, DLT_A_HEARTBEAT, hb, 2))
		return;
	p->hb_out = 1;
	p->hb_covers = p->written_seq;
	p->hb_deadline = now + timeout_s * SEC;
}

static void send_clock(struct plink *p, int64_t now)
{
	static const uint8_t rq[2] = { 0x6A, 0x02 };

	if (send_frame(p, DLT_A_CLOCK, rq, 2))
		return;
	p->clock_out = 1;
	p->clock_covers = p->written_seq;
	(void)now;
}

static void delivered(struct hmd *h, struct plink *p, uint64_t seq)
{
	size_t before = spool_pending(&h->spool);

	if (!seq || seq <= h->spool.acked)
		return;
	if (spool_ack(&h->spool, seq))
		warn("platform: spool state: %s", strerror(errno));
	p->delivered += before - spool_pending(&h->spool);
	dbg("platform: delivered up to seq %llu, %zu pending", (unsigned long long)seq,
	    spool_pending(&h->spool));
}

static void send_spooled(struct hmd *h, struct plink *p, int64_t now)
{
	static uint8_t buf[SPOOL_REC_MAX + 6];
	double rate = h->cfg.backlog_rate;

	p->tokens += (now - p->tokens_at) * rate / SEC;
	if (p->tokens > rate)
		p->tokens = rate;
	p->tokens_at = now;
	while (p->tokens >= 1 && p->txn < TX_CAP / 2 && spool_pending(&h->spool)) {
		uint64_t first = h->spool.ents[h->spool.head].seq;
		const struct spool_ent *e;
		size_t idx;

		if (p->next_send_seq < first)
			p->next_send_seq = first;
		idx = p->next_send_seq - first;
		e = spool_get(&h->spool, idx, buf + 6, SPOOL_REC_MAX);
		if (!e)
			break;
		if (h->cfg.backlog_timestamped && e->t_real < p->online_real) {
			/* private A=0x8006: 6-byte time (clock encoding) + table 14 */
			struct dlt_tm tm;
			time_t s = e->t_real / SEC + h->cfg.clock_utc_offset_min * 60;
			struct tm g;
			uint8_t c12[12];

			gmtime_r(&s, &g);
			tm = (struct dlt_tm){ g.tm_year + 1900, g.tm_mon + 1, g.tm_mday,
					      g.tm_hour, g.tm_min, g.tm_sec };
			dlt_clock_encode(&tm, CLK_BIN_BE, c12);
			for (int i = 0; i < 6; i++)
				buf[i] = c12[2 * i + 1];
			if (send_frame(p, DLT_A_TS_BACKLOG, buf, e->len + 6))
				break;
		} else if (send_frame(p, e->a, buf + 6, e->len)) {
			break;
		}
		p->written_seq = e->seq;
		p->next_send_seq = e->seq + 1;
		p->tokens -= 1;
	}
	/* prove delivery soon: a heartbeat written after the data */
	if (p->written_seq > h->spool.acked && !p->hb_out)
		send_heartbeat(p, now, h->cfg.heartbeat_timeout_s);
}

/* ---- requests from the platform ---- */

static void on_call(struct hmd *h, struct plink *p, const uint8_t *d, size_t n)
{
	uint8_t out[11 + 4 * 1024 + 1];
	int le = h->cfg.payload_le, fail = 0;
	const uint8_t *id4;
	unsigned int cnt, station, devno, off = 0;
	size_t l;

	p->calls++;
	if (n < 11 || d[8] != 0x65) {
		warn("platform: information call malformed (L=%zu)", n);
		fail = 1;
		cnt = 0;
	} else {
		cnt = get16(d + 9, le);
		if (cnt > 1024 || n != 11 + 2 * cnt)
			fail = 1;
	}
	/* table 8 inside the 8-byte id: station (1), device number (3) */
	id4 = h->cfg.devid8_suffix ? d + 4 : d;
	station = n >= 8 ? id4[0] : 0xff;
	devno = n >= 8 ? (le ? (id4[1] | id4[2] << 8 | id4[3] << 16)
			     : (id4[1] << 16 | id4[2] << 8 | id4[3])) : 0;
	if (station == 0) {
		int sys = 0;

		for (int i = 0; i < h->nmeters; i++)
			if ((unsigned int)h->meters[i]->st.index == devno)
				sys = h->meters[i]->system;
		if (!sys)
			fail = 1;
		else
			off = (sys - 1) * IMG_STRIDE;
	} else if (station != 0xff) {
		if ((int)station > h->cfg.systems)
			fail = 1;
		else
			off = (station - 1) * IMG_STRIDE;
	}
	memcpy(out, d, n >= 8 ? 8 : 0);
	if (n < 8)
		memset(out, 0xff, 8);
	l = 11;
	for (unsigned int i = 0; !fail && i < cnt; i++) {
		unsigned int a = get16(d + 11 + 2 * i, le), r = a;

		if (h->cfg.address_reference) {
			if (a < 40001) {
				fail = 1;
				break;
			}
			r = a - 40001;
		}
		r += off;
		if (r >= h->nregs) {
			fail = 1;
			break;
		}
		put16(out + l, a, le);
		/* register values: Modbus big-endian (Note 1) */
		out[l + 2] = h->regs[r] >> 8;
		out[l + 3] = h->regs[r] & 0xff;
		l += 4;
	}
	if (fail) {
		out[8] = 0x80 + 0x65;
		put16(out + 9, 0, le);
		l = 11;
		if (h->cfg.call_exception_byte)
			out[l++] = 0x02;
		warn("platform: information call refused");
	} else {
		out[8] = 0x65;
		put16(out + 9, cnt, le);
	}
	send_frame(p, DLT_A_CALL, out, l);
}

static void on_control(struct hmd *h, struct plink *p, const uint8_t *d, size_t n)
{
	uint8_t out[8];

	p->controls++;
	memset(out, 0xff, 4);
	if (n >= 4)
		memcpy(out, d, 4);
	out[4] = 0x80 | (n >= 5 ? d[4] : 0);
	put16(out + 5, 1, h->cfg.payload_le);
	out[7] = 0x02;	/* every Annex B heat-meter point is read-only */
	warn("platform: control command FC 0x%02x refused (read-only points)", n >= 5 ? d[4] : 0);
	send_frame(p, DLT_A_CONTROL, out, 8);
}

static void on_clock(struct hmd *h, struct plink *p, const uint8_t *d, size_t n)
{
	struct dlt_tm tm;
	struct tm g = { 0 };
	time_t t;
	int enc;

	p->clock_out = 0;
	delivered(h, p, p->clock_covers);
	if (n < 14 || d[0] != 0x6A || d[1] != 0x02 ||
	    (enc = dlt_clock_decode(d + 2, n - 2, h->cfg.clock_encoding,
				    h->cfg.clock_tiebreak_bcd, &tm)) < 0) {
		warn("platform: clock reply not understood (L=%zu)", n);
		return;
	}
	g.tm_year = tm.year - 1900;
	g.tm_mon = tm.mon - 1;
	g.tm_mday = tm.day;
	g.tm_hour = tm.hour;
	g.tm_min = tm.min;
	g.tm_sec = tm.sec;
	t = timegm(&g) - h->cfg.clock_utc_offset_min * 60;
	p->clock_offset_ns = (int64_t)t * SEC - now_real();
	p->clock_synced = 1;
	info("platform: clock %04d-%02d-%02d %02d:%02d:%02d (encoding %d): offset %+.3f s",
	     tm.year, tm.mon, tm.day, tm.hour, tm.min, tm.sec, enc, p->clock_offset_ns / 1e9);
	if (h->cfg.set_system_clock && (p->clock_offset_ns > SEC || p->clock_offset_ns < -SEC)) {
		struct timespec ts = { .tv_sec = t };

		if (clock_settime(CLOCK_REALTIME, &ts))
			warn("platform: set system clock: %s", strerror(errno));
		else
			p->clock_offset_ns = 0;
	}
}

static void on_login_reply(struct hmd *h, struct plink *p, const uint8_t *d, size_t n)
{
	uint8_t id[12] = { 0 };

	memcpy(id, h->cfg.login_id, strlen(h->cfg.login_id));
	if (n < 24 || memcmp(d, id, 12)) {
		disconnect(h, p, "login refused (reply without our id)");
		return;
	}
	if (memcmp(d + 12, h->cfg.password, strlen(h->cfg.password)) ||
	    (strlen(h->cfg.password) < 12 && d[12 + strlen(h->cfg.password)])) {
		if (h->cfg.adopt_password) {
			memcpy(h->cfg.password, d + 12, 12);
			h->cfg.password[12] = 0;
			info("platform: new password adopted (for this run)");
		} else {
			info("platform: the reply carries another password (ignored)");
		}
	}
	p->state = PL_ONLINE;
	p->logins++;
	p->backoff = h->cfg.reconnect_min_s * SEC;
	p->hb_missed = 0;
	p->next_hb = now_mono() + h->cfg.heartbeat_s * SEC;
	p->online_real = now_real();
	p->next_send_seq = 0;	/* everything pending goes again, oldest first */
	p->written_seq = h->spool.acked;
	p->tokens = 0;
	p->tokens_at = now_mono();
	info("platform: logged in; %zu spooled records to send", h->spool_ok ? spool_pending(&h->spool) : 0);
	p->next_clock = now_mono();	/* pl_tick asks for the clock at once */
	sd_notifyf(0, "STATUS=platform online, %zu records pending",
		   h->spool_ok ? spool_pending(&h->spool) : 0);
}

static void handle_frame(struct hmd *h, struct plink *p, const struct dlt_frame *f);

/* Replies carry the B the platform used (facts #2); our own frames ours. */
static void on_frame(struct hmd *h, struct plink *p, const struct dlt_frame *f)
{
	uint16_t ours = p->b;

	p->b = f->b;
	handle_frame(h, p, f);
	p->b = ours;
}

static void handle_frame(struct hmd *h, struct plink *p, const struct dlt_frame *f)
{
	p->rx_frames++;
	dbg("platform: rx A=0x%04x B=0x%04x L=%u", f->a, f->b, f->l);
	if (f->b != h->cfg.protocol_id)
		dbg("platform: protocol id 0x%04x (ours 0x%04x)", f->b, h->cfg.protocol_id);
	if (p->state == PL_LOGIN) {
		if (f->a == DLT_A_LOGIN)
			on_login_reply(h, p, f->d, f->l);
		else
			dbg("platform: A=0x%04x before the login reply ignored", f->a);
		return;
	}
	/* the configuration file: A=0x0007, or any frame that starts with its marker */
	if (f->l >= 4 && f->d[0] == 0xAA && f->d[1] == 0xAA &&
	    ((f->d[2] == 0 && f->d[3] == 6) || (f->d[2] == 6 && f->d[3] == 0))) {
		on_config(h, p, f->d, f->l);
		return;
	}
	switch (f->a) {
	case DLT_A_HEARTBEAT:
		if (p->hb_out) {
			p->hb_out = 0;
			p->hb_missed = 0;
			delivered(h, p, p->hb_covers);
		} else {
			send_frame(p, DLT_A_HEARTBEAT, (const uint8_t *)"\x7B\x7D", 2);
		}
		break;
	case DLT_A_CLOCK:
		on_clock(h, p, f->d, f->l);
		break;
	case DLT_A_CALL:
		on_call(h, p, f->d, f->l);
		break;
	case DLT_A_CONTROL:
		on_control(h, p, f->d, f->l);
		break;
	case DLT_A_LOGIN:
		dbg("platform: login reply while online ignored");
		break;
	default:
		info("platform: A=0x%04x L=%u ignored", f->a, f->l);
	}
}

static void on_readable(struct hmd *h, struct plink *p)
{
	for (int k = 0; k < 4 && p->fd >= 0; k++) {
		ssize_t r = recv(p->fd, p->rx + p->rxn, sizeof(p->rx) - p->rxn, 0);
		size_t off = 0;

		if (r == 0) {
			disconnect(h, p, "closed by the platform");
			return;
		}
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				disconnect(h, p, strerror(errno));
			return;
		}
		p->rxn += r;
		while (p->fd >= 0) {
			struct dlt_frame f;
			int n;

			if (p->probing && p->rxn - off >= DLT_OVERHEAD) {
				size_t l = p->rx[off + 4] | p->rx[off + 5] << 8;

				if (l > p->o.max_frame) {
					n = DLT_E_OVERSIZE;
					goto bad;
				}
				if (p->rxn - off < l + DLT_OVERHEAD)
					break;
				if (!dlt_probe(&p->o, p->rx + off, p->rxn - off)) {
					n = DLT_E_CRC;
					goto bad;
				}
				p->probing = 0;
				info("platform: CRC scope %d, %s byte first (probed)", p->o.crc_scope,
				     p->o.crc_msb ? "high" : "low");
			}
			n = dlt_decode(&p->o, p->rx + off, p->rxn - off, &f);
			if (n == DLT_NEED_MORE)
				break;
			if (n < 0) {
bad:
				p->bad_frames++;
				warn("platform: bad frame: %s", dlt_strerror(n));
				disconnect(h, p, "bad frame");
				return;
			}
			on_frame(h, p, &f);
			off += n;
		}
		if (p->fd < 0)
			return;
		memmove(p->rx, p->rx + off, p->rxn - off);
		p->rxn -= off;
	}
}

/* ---- the loop's entry points ---- */

int pl_init(struct hmd *h)
{
	struct plink *p = &PL;

	h->pl = p;
	p->fd = p->lfd = p->dns[0] = p->dns[1] = -1;
	if (!h->cfg.pf_enable)
		return 0;
	if (!h->cfg.pf_server && pipe2(p->dns, O_CLOEXEC)) {
		err("platform: pipe: %s", strerror(errno));
		return -1;
	}
	if (p->dns[0] >= 0)
		fcntl(p->dns[0], F_SETFL, O_NONBLOCK);
	p->tx = malloc(TX_CAP);
	if (!p->tx)
		return -1;
	p->b = h->cfg.protocol_id;
	p->o.crc_scope = h->cfg.crc_scope < 0 ? DLT_CRC_FRAME : h->cfg.crc_scope;
	p->o.crc_msb = h->cfg.crc_msb;
	p->o.max_frame = h->cfg.max_frame;
	p->backoff = h->cfg.reconnect_min_s * SEC;
	srand(getpid() ^ time(NULL));
	load_saved_cfg(h, p);
	if (h->cfg.pf_server) {
		struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
					  .ai_flags = AI_PASSIVE }, *ai;
		char port[8];
		int one = 1;

		snprintf(port, sizeof(port), "%d", h->cfg.pf_port);
		if (getaddrinfo(*h->cfg.pf_host ? h->cfg.pf_host : NULL, port, &hints, &ai)) {
			err("platform: cannot resolve %s", h->cfg.pf_host);
			return -1;
		}
		p->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (p->lfd < 0 || bind(p->lfd, ai->ai_addr, ai->ai_addrlen) || listen(p->lfd, 4)) {
			err("platform: listen on port %d: %s", h->cfg.pf_port, strerror(errno));
			freeaddrinfo(ai);
			return -1;
		}
		freeaddrinfo(ai);
		info("platform: server mode, waiting for the platform on port %d", h->cfg.pf_port);
	} else {
		info("platform: client mode, platform %s:%d", h->cfg.pf_host, h->cfg.pf_port);
	}
	return 0;
}

void pl_poll_add(struct hmd *h)
{
	struct plink *p = h->pl;

	if (!h->cfg.pf_enable)
		return;
	if (p->lfd >= 0)
		poll_add(h, p->lfd, POLLIN, S_PF_LISTEN, NULL);
	if (p->dns[0] >= 0)
		poll_add(h, p->dns[0], POLLIN, S_PF_DNS, NULL);
	if (p->fd >= 0)
		poll_add(h, p->fd, POLLIN | (p->txn || p->state == PL_CONNECTING ? POLLOUT : 0),
			 S_PF_CONN, NULL);
}

void pl_event(struct hmd *h, int kind, int fd, short revents)
{
	struct plink *p = h->pl;

	(void)fd;
	if (kind == S_PF_DNS) {
		on_resolved(h, p);
		return;
	}
	if (kind == S_PF_LISTEN) {
		int c = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0)
			return;
		if (p->fd >= 0)
			disconnect(h, p, "the platform connected again");
		tune_socket(h, c);
		p->fd = c;
		info("platform: connected (server mode)");
		connected(h, p);
		return;
	}
	if (p->state == PL_CONNECTING) {
		int e = 0;
		socklen_t el = sizeof(e);

		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &el);
		if (e) {
			dbg("platform: connect: %s", strerror(e));
			disconnect(h, p, strerror(e));
			return;
		}
		info("platform: connected to %s:%d", h->cfg.pf_host, h->cfg.pf_port);
		connected(h, p);
		return;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR))
		on_readable(h, p);
	if (p->fd >= 0 && (revents & POLLOUT))
		flush_tx(p);
}

void pl_produce(struct hmd *h, int64_t now)
{
	if (h->cfg.pf_enable && h->pl)
		produce(h, h->pl, now);
}

void pl_readings_changed(struct hmd *h)
{
	if (h->pl)
		h->pl->changed = 1;
}

void pl_tick(struct hmd *h, int64_t now)
{
	struct plink *p = h->pl;

	if (!h->cfg.pf_enable)
		return;
	produce(h, p, now);
	if (h->spool_ok) {
		spool_sync(&h->spool);	/* durable before it is sent */
		if (now >= p->next_expire) {
			spool_expire(&h->spool, now_real());
			p->next_expire = now + 60 * SEC;
		}
	}
	switch (p->state) {
	case PL_IDLE:
		if (!h->cfg.pf_server && now >= p->next_connect)
			try_connect(h, p);
		break;
	case PL_RESOLVING:
	case PL_CONNECTING:
	case PL_LOGIN:
		if (now < p->login_deadline)
			break;
		if (p->state == PL_RESOLVING)
			warn("platform: %s: no answer from the resolver in %d s (still waiting for it)",
			     h->cfg.pf_host, h->cfg.login_timeout_s);
		disconnect(h, p, p->state == PL_LOGIN ? "no login reply" : "connect timeout");
		break;
	case PL_ONLINE:
		if (p->hb_out && now >= p->hb_deadline) {
			p->hb_out = 0;
			if (++p->hb_missed >= h->cfg.heartbeat_max_missed) {
				disconnect(h, p, "heartbeat not answered");
				break;
			}
		}
		if (now >= p->next_hb) {
			if (!p->hb_out)
				send_heartbeat(p, now, h->cfg.heartbeat_timeout_s);
			p->next_hb = now + h->cfg.heartbeat_s * SEC;
		}
		if (h->cfg.clock_sync_s && now >= p->next_clock) {
			send_clock(p, now);
			p->next_clock = now + (int64_t)h->cfg.clock_sync_s * SEC;
		}
		if (h->spool_ok)
			send_spooled(h, p, now);
		break;
	}
	if (p->fd >= 0 && p->txn)
		flush_tx(p);
}

int64_t pl_next_deadline(struct hmd *h)
{
	struct plink *p = h->pl;
	int64_t d = 0, now = now_mono();

#define MIN(t) do { if ((t) && (!d || (t) < d)) d = (t); } while (0)
	if (!p || !h->cfg.pf_enable)
		return 0;
	if (p->state == PL_IDLE && !h->cfg.pf_server)
		MIN(p->next_connect);
	if (p->state == PL_RESOLVING || p->state == PL_CONNECTING || p->state == PL_LOGIN)
		MIN(p->login_deadline);
	if (p->state == PL_ONLINE) {
		MIN(p->next_hb);
		if (p->hb_out)
			MIN(p->hb_deadline);
		if (h->spool_ok && spool_pending(&h->spool) &&
		    p->next_send_seq <= h->spool.next_seq - 1)
			MIN(now + SEC / h->cfg.backlog_rate + 1);
	}
	if (p->have_cfg)
		for (int i = 0; i < p->pc.ntables; i++) {
			MIN(p->next_period[i]);
			if (p->changed && p->pc.t[i].on_change)
				MIN(p->last_change[i] + h->cfg.change_min_interval_ms * MS);
		}
	return d;
#undef MIN
}

void pl_close(struct hmd *h)
{
	struct plink *p = h->pl;

	if (!p || !h->cfg.pf_enable)
		return;
	if (h->spool_ok)
		spool_sync(&h->spool);
	info("platform: %llu logins, %llu reconnects, %llu frames in, %llu out, %llu bad, %llu uploads, %llu delivered, %llu calls, %llu controls, %llu configs (%llu rejected)",
	     (unsigned long long)p->logins, (unsigned long long)p->reconnects,
	     (unsigned long long)p->rx_frames, (unsigned long long)p->tx_frames,
	     (unsigned long long)p->bad_frames, (unsigned long long)p->uploads,
	     (unsigned long long)p->delivered, (unsigned long long)p->calls,
	     (unsigned long long)p->controls, (unsigned long long)p->configs,
	     (unsigned long long)p->configs_rejected);
	if (p->fd >= 0)
		close(p->fd);
	if (p->lfd >= 0)
		close(p->lfd);
	free(p->tx);
}
