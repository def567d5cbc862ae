/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmsim - the simulated line.
 */
#ifndef HMSIM_SIM_H
#define HMSIM_SIM_H

#include <stdio.h>
#include "hmsim.h"

enum endpoint { EP_NONE, EP_PTY, EP_TTY, EP_SOCKET, EP_STDIO };

#define RXBUF	2048
#define TXQ	16

struct txseg {
	u8 buf[MAX_REPLY];
	int len, pos;
	u64 start;		/* CLOCK_MONOTONIC ns of the first byte */
	u64 tbyte;		/* byte time when it was queued */
	u8 perr[MAX_REPLY / 8];
	const char *who;
	bool is_echo;
};

struct sim {
	enum endpoint ep;
	const char *path;
	const char *pty_link;
	int fd, wfd, slave_fd;
	int baud;
	int parity;		/* 0 none, 1 even, 2 odd */
	int latency_ms;
	int slow_ms;
	int gap_ms;
	int connect_timeout;
	bool pace;
	bool line_echo;
	bool any_baud;		/* meters hear every rate */
	bool keep_parity;	/* pty/socket: send bytes a UART would flag */
	bool verbose;
	u64 tbyte_ns;
	struct meter meters[MAX_METERS];
	int nmeters;
	struct fault faults[MAX_FAULTS];
	int nfaults;
	long line_replies;
	FILE *log;
	/* receive */
	u8 rx[RXBUF];
	u64 rxt[RXBUF];
	int rxn;
	u64 last_rx;
	/* transmit queue */
	struct txseg txq[TXQ];
	int txh, txn;
	bool tx_blocked;
	bool parity_warned;
	/* statistics */
	long rx_bytes, tx_bytes, frames, discarded, replies, faults_done;
	long collisions;
	long selects, nke, req_ud2, freezes, baud_switches;
	long requests;		/* every recognised frame: glitch fault count */
	int glitch_idx;
	int line_baud;		/* the master's rate (pty: the slave's termios) */
	int ngen;		/* generated meters so far (names) */
};

struct meter *sim_new_meter(struct sim *s);
int sim_set_global(struct sim *s, const char *key, const char *val,
		   char *err, size_t errlen);

/* config.c */
const char *profile_name(enum profile p);
const char *fault_name(enum fault_kind k);
int fault_parse(const char *s, struct fault *f, char *err, size_t errlen);
void meter_init(struct meter *m, int idx);
int meter_set(struct meter *m, const char *key, const char *val, char *err,
	      size_t errlen);
int meter_apply(struct meter *m, char **keys, char **vals, int n, char *err,
		size_t errlen);
int meter_spec(struct meter *m, const char *spec, char *err, size_t errlen);
int config_load(struct sim *s, const char *path, char *err, size_t errlen);
int vector_load(struct meter *m, const char *file, const char *name,
		char *err, size_t errlen);
int demo_load(struct sim *s, const char *which, char *err, size_t errlen);
int gen_load(struct sim *s, const char *spec, char *err, size_t errlen);

#endif
