/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmsim - heat meter simulator: shared definitions.
 *
 * hmsim deliberately shares no code with the project's lib/: every frame
 * it sends is built here, by its own few lines of encoding.
 */
#ifndef HMSIM_H
#define HMSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <time.h>

typedef uint8_t u8;
typedef int64_t s64;
typedef uint64_t u64;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MAX_METERS	256
#define MAX_FAULTS	8
#define MAX_RECORDS	48
#define MAX_FRAME	1024
#define MAX_REPLY	4096

enum proto { P_CJT188, P_MBUS };

enum profile {
	PR_CJT188,
	PR_DELU_US,
	PR_DELU_MECH,
	PR_LICHUANG,
	PR_TIANGANG,
	PR_MBUS,
};

/* quantities, in the driver's units */
enum qty {
	Q_ENERGY,	/* mWh */
	Q_SETTLE,	/* mWh, CJ/T 188 settlement-day heat */
	Q_VOLUME,	/* mL */
	Q_POWER,	/* mW */
	Q_FLOW,		/* mL/h */
	Q_SUPPLY,	/* m degC */
	Q_RETURN,	/* m degC */
	Q_TDIFF,	/* mK */
	Q_OPTIME,	/* s */
	Q_COUNT,
};

enum fault_kind {
	F_NONE,
	F_CHECKSUM,
	F_STOP,
	F_TRUNCATE,
	F_SILENCE,
	F_GARBAGE_BEFORE,
	F_GARBAGE_AFTER,
	F_GARBAGE,
	F_ECHO,
	F_COLLISION,
	F_PARITY,
	F_SLOW,
	F_VANISH,
	F_GLITCH,	/* line: a stray byte on the line after a request */
	F_E5_TRAIL,	/* meter: an E5 followed by a garbage byte */
};

enum fault_mode { FM_EVERY, FM_ONCE, FM_NTH };

struct fault {
	enum fault_kind kind;
	enum fault_mode mode;
	long n;		/* FM_NTH: the Nth reply; F_VANISH: replies before */
};

/* a CJ/T 188 901F field: BCD value with decimals and a unit code */
struct cj_field {
	int len;	/* BCD bytes */
	int dec;	/* decimals */
	int unit;	/* unit code, -1 = none */
	int unit_absent;/* unit code sent with the filler when absent */
};

enum cj_fld { CF_SETTLE, CF_ENERGY, CF_POWER, CF_FLOW, CF_VOLUME,
	      CF_SUPPLY, CF_RETURN, CF_OPTIME, CF_COUNT };

/* an EN 13757-3 record: header (DIF..VIF..) and constant or quantity data */
struct mrec {
	u8 hdr[16];
	int hlen;
	u8 data[256];
	int dlen;	/* data length (constant, or derived from DIF) */
	bool konst;
	int vif;	/* primary VIF (without extension bit), -1 none */
};

struct meter {
	char name[32];
	enum proto proto;
	enum profile profile;
	/* CJ/T 188 */
	u8 addr[7];		/* wire order A0..A6 */
	int type;		/* type accepted in requests */
	int reply_type;
	int di_order;		/* 0 echo, 1 high byte first (90 1F), 2 low first */
	int ser;		/* -1 echo */
	int preamble;
	int filler;		/* byte for absent fields */
	bool unit_first;
	bool bcd_msb_first;
	bool strict_test_mode;
	struct cj_field fld[CF_COUNT];
	u8 st[2];
	bool clock_raw_set;
	u8 clock_raw[7];
	/* M-Bus */
	int primary;
	char id[9];		/* 8 hex digits (BCD, F allowed) */
	int man;
	int version;
	int medium;
	int access;
	int mstatus;
	struct mrec rec[MAX_RECORDS];
	int nrec;
	struct mrec trec[MAX_RECORDS];	/* test-mode records */
	int ntrec;
	bool selected;
	bool have_last;		/* a REQ_UD2 since the last reset */
	int last_fcb;
	u8 last[MAX_FRAME];
	int last_len;
	int telegrams;		/* RSP_UD telegrams per read cycle (>= 1) */
	int tg;			/* current telegram, 0-based */
	/* due-date (storage) values */
	int due_storage;	/* storage number of the due-date records */
	s64 due_energy;		/* mWh */
	s64 due_volume;		/* mL */
	bool have_due_energy, have_due_volume, have_due_date;
	struct tm due_date;
	/* baud rate */
	int baud;		/* current rate; 0 = the line's at start */
	int old_baud;		/* rate before the last switch */
	unsigned int bauds;	/* supported: bit i = mbus_rates[i] */
	bool baud_ignore;	/* ack a switch with E5 but keep the rate */
	int baud_watchdog_s;
	u64 baud_deadline;	/* CLOCK_MONOTONIC ns, 0 = none pending */
	int skew_us;		/* added to the reply time (bit-level line) */
	/* values */
	s64 v[Q_COUNT];
	bool have[Q_COUNT];
	bool time_now;
	bool date_hy;		/* type F: set the hundred-year bits */
	struct tm clock;
	/* behaviour */
	bool test_mode;
	long test_mode_expiry;	/* s, 0 = never */
	u64 test_mode_until;	/* CLOCK_MONOTONIC ns, 0 = none */
	u8 reply_hex[MAX_FRAME];
	int reply_hex_len;
	int latency_ms;		/* -1 = line default */
	struct fault faults[MAX_FAULTS];
	int nfaults;
	/* statistics */
	long requests;
	long replies;
	long faults_done;
};

/* a reply under construction */
struct reply {
	u8 buf[MAX_REPLY];
	int len;
	int latency_ms;
	u8 perr[MAX_REPLY / 8];	/* bytes sent with a parity error */
	bool echo;
	bool silent;
};

/* parity-error bitmaps */
static inline void pbit_set(u8 *bm, int i)
{
	if (i >= 0 && i < MAX_REPLY)
		bm[i >> 3] |= (u8)(1 << (i & 7));
}

static inline bool pbit(const u8 *bm, int i)
{
	return i >= 0 && i < MAX_REPLY && (bm[i >> 3] >> (i & 7)) & 1;
}

/* CI B8..BF: the M-Bus rates */
extern const int mbus_rates[8];

/* encode.c */
int hex_parse(const char *s, u8 *out, int max);
int man_code(const char *s);
void bcd_put(u8 *p, int len, s64 v, bool msb_first);
void id_put(u8 *p, const char *id);
s64 scale_div(s64 v, s64 mul, s64 div);
int cj_build_read(struct meter *m, const u8 *req_di, int ser, u8 *out);
int cj_build_addr(struct meter *m, const u8 *req_di, int ser, u8 *out);
int cj_build_write(struct meter *m, const u8 *req_di, int ser, u8 *out);
int mbus_build_rsp(struct meter *m, u8 *out, int ci, bool single);
void date_g_put(u8 *p, const struct tm *tm);
int mrec_parse(const char *item, struct mrec *r, char *err, size_t errlen);
int mrecs_parse(const char *s, struct mrec *r, int max, char *err,
		size_t errlen);
u8 sum8(const u8 *p, int n);
void meter_clock(struct meter *m, struct tm *tm);

#endif
