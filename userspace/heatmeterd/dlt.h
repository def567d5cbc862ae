/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DL/T 2690.8-2023 clause 4 frame codec and the platform's configuration
 * file (tables 12/13). Pure functions: no I/O, no allocation, no globals,
 * so the fuzzers and the unit tests drive them directly.
 */
#ifndef HMD_DLT_H
#define HMD_DLT_H

#include <stddef.h>
#include <stdint.h>

/* Transmission ids A (table 3). */
#define DLT_A_LOGIN	0x0001
#define DLT_A_CALL	0x0002
#define DLT_A_HEARTBEAT	0x0003
#define DLT_A_CLOCK	0x0004
#define DLT_A_CHANGE	0x0005
#define DLT_A_PERIODIC	0x0006
#define DLT_A_DOWNLINK	0x0007
#define DLT_A_CONTROL	0x0008
#define DLT_A_TS_BACKLOG 0x8006	/* private: backlog_mode = timestamped */

#define DLT_END		0x16
#define DLT_HDR		6	/* A B L */
#define DLT_OVERHEAD	9	/* A B L CS E */

/* What CS covers (facts §1.2: the standard does not say). */
enum dlt_crc_scope {
	DLT_CRC_FRAME,		/* A..D, like Modbus RTU (default) */
	DLT_CRC_DATA,		/* D only */
	DLT_CRC_LEN_DATA,	/* L+D */
	DLT_CRC_PROTO_LEN_DATA,	/* B+L+D */
};

struct dlt_opts {
	enum dlt_crc_scope crc_scope;
	int crc_msb;		/* CS high byte first (default: low first) */
	unsigned int max_frame;	/* largest L accepted (<= 65535) */
};

struct dlt_frame {
	uint16_t a, b, l;
	const uint8_t *d;	/* points into the decoded buffer */
};

enum {
	DLT_NEED_MORE = 0,
	DLT_E_OVERSIZE = -1,	/* L > max_frame */
	DLT_E_END = -2,		/* E != 0x16 */
	DLT_E_CRC = -3,		/* CS mismatch */
};

uint16_t dlt_crc16(const uint8_t *p, size_t n, uint16_t crc);
/* Encodes one frame; returns its length, 0 if cap is too small. */
size_t dlt_encode(const struct dlt_opts *o, uint16_t a, uint16_t b,
		  const uint8_t *d, size_t l, uint8_t *out, size_t cap);
/*
 * Decodes the frame at the start of buf: > 0 its length (f filled),
 * DLT_NEED_MORE, or a negative DLT_E_*. No resynchronisation: a stream
 * that fails is dropped by the caller (facts §1.3 #4).
 */
int dlt_decode(const struct dlt_opts *o, const uint8_t *buf, size_t n,
	       struct dlt_frame *f);
/*
 * crc_scope = auto: tries the four scopes and both byte orders on a
 * complete frame; on a match sets o and returns 1, else 0.
 */
int dlt_probe(struct dlt_opts *o, const uint8_t *buf, size_t n);
const char *dlt_strerror(int e);

/* --- configuration file (tables 12 and 13) --- */

#define PCFG_MAX_TABLES	32
#define PCFG_MAX_RECS	128

struct pcfg_rec {
	uint8_t attr;		/* echoed, no semantics (facts #21) */
	uint16_t addr;		/* PDU address into the register image */
	uint8_t type;		/* 1, 2, 4, 8: bytes (facts #20) */
};

struct pcfg_table {
	uint16_t client_id;
	uint32_t table_no;
	uint8_t on_change;
	uint16_t period;	/* s, clamped to 1..60 */
	uint16_t nrec;
	struct pcfg_rec rec[PCFG_MAX_RECS];
};

struct pcfg {
	uint16_t version;
	uint8_t name[16];
	int be;			/* byte order the file was found in */
	uint16_t ntables;
	struct pcfg_table t[PCFG_MAX_TABLES];
};

struct pcfg_opts {
	int byte_order;		/* 0 auto (by the AAAA 0006 marker), 1 be, 2 le */
	int layout_second;	/* table 13's second variant: client id 2, table no 1 */
	int address_reference;	/* addresses are 4xxxx references */
	unsigned int image_regs;/* registers in the image (bounds check) */
};

/*
 * Parses and validates a configuration file (D of the downlink frame).
 * Returns 0, or -1 with a reason in err.
 */
int pcfg_parse(const struct pcfg_opts *o, const uint8_t *d, size_t n,
	       struct pcfg *c, char *err, size_t errlen);
/* Registers a record occupies: ceil(type / 2). */
static inline unsigned int pcfg_rec_regs(const struct pcfg_rec *r)
{
	return (r->type + 1u) / 2u;
}
/* Builds a file (for tests and the simulator's mirror); returns length. */
size_t pcfg_build(const struct pcfg *c, int be, int layout_second,
		  uint8_t *out, size_t cap);

/* --- clock reply (table 11; facts §1.4) --- */

enum dlt_clock_enc {
	CLK_AUTO, CLK_ASCII, CLK_BIN_BE, CLK_BIN_LE, CLK_BCD_BE, CLK_BCD_LE,
};

struct dlt_tm {
	int year, mon, day, hour, min, sec;
};

/*
 * Decodes the 12 bytes after 6A 02. tiebreak_bcd picks BCD over binary when
 * both validate (auto). Returns the encoding used, or -1.
 */
int dlt_clock_decode(const uint8_t *p, size_t n, enum dlt_clock_enc enc,
		     int tiebreak_bcd, struct dlt_tm *tm);
void dlt_clock_encode(const struct dlt_tm *tm, enum dlt_clock_enc enc,
		      uint8_t out[12]);

#endif
