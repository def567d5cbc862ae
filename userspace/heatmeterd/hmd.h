/* SPDX-License-Identifier: GPL-2.0 */
/* heatmeterd: the daemon's shared state. One thread, one poll() loop
 * (plus a short-lived resolver thread for the platform's host name). */
#ifndef HMD_H
#define HMD_H

#include <poll.h>
#include <stdint.h>
#include <time.h>
#include "config.h"
#include "dlt.h"
#include "image.h"
#include "spool.h"

#define HMD_MAX_METERS	256
#define HMD_MAX_FDS	(HMD_MAX_METERS + 80)

enum { L_ERR, L_WARNING, L_INFO, L_DEBUG };
void hmd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define err(...)	hmd_log(L_ERR, __VA_ARGS__)
#define warn(...)	hmd_log(L_WARNING, __VA_ARGS__)
#define info(...)	hmd_log(L_INFO, __VA_ARGS__)
#define dbg(...)	hmd_log(L_DEBUG, __VA_ARGS__)

static inline int64_t now_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static inline int64_t now_real(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

#define MS	1000000LL
#define SEC	1000000000LL

struct meter {
	struct meter_state st;
	char name[32];		/* heatmeterN */
	char path[600];		/* device node or fifo */
	int fd;
	int system;		/* heating system 1..n, 0 = none */
	uint8_t buf[sizeof(struct heatmeter_reading)];
	size_t fill;
};

/* poll() slots: who owns each */
enum slot_kind { S_NONE, S_SIGNAL, S_UDEV, S_METER, S_MB_LISTEN, S_MB_CLIENT,
		 S_MB_RTU, S_PF_LISTEN, S_PF_CONN, S_PF_DNS };

struct plink;

struct hmd {
	struct hmd_config cfg;
	struct img_opts io;
	uint16_t *regs;
	unsigned int nregs;
	struct meter *meters[HMD_MAX_METERS];
	int nmeters;
	void *udev, *mon;	/* struct udev, struct udev_monitor */
	int sigfd;
	int stop;
	/* modbus */
	void *mb, *rtu, *map;	/* modbus_t, modbus_t, modbus_mapping_t */
	int mb_listen;
	int mb_clients[64];
	uint64_t mb_requests, mb_exceptions;
	/* platform */
	struct plink *pl;
	struct spool spool;
	int spool_ok;
	/* what the loop polls */
	struct pollfd pfd[HMD_MAX_FDS];
	int kind[HMD_MAX_FDS];
	void *owner[HMD_MAX_FDS];
	int npfd;
	int64_t next_tick;
};

extern struct hmd *hmd;

/* meters.c */
int meters_init(struct hmd *h);
void meters_poll_add(struct hmd *h);
void meters_event(struct hmd *h, struct meter *m, short revents);
void meters_udev_event(struct hmd *h);
void meters_tick(struct hmd *h, int64_t now);
void image_refresh(struct hmd *h, int64_t now);

/* modbus.c */
int mb_init(struct hmd *h);
void mb_poll_add(struct hmd *h);
void mb_event(struct hmd *h, int kind, int fd, short revents);
void mb_close(struct hmd *h);
int64_t mb_next_deadline(struct hmd *h);

/* platform.c */
int pl_init(struct hmd *h);
void pl_poll_add(struct hmd *h);
void pl_event(struct hmd *h, int kind, int fd, short revents);
void pl_tick(struct hmd *h, int64_t now);
void pl_readings_changed(struct hmd *h);
void pl_produce(struct hmd *h, int64_t now);
void pl_close(struct hmd *h);
int64_t pl_next_deadline(struct hmd *h);

static inline void poll_add(struct hmd *h, int fd, short ev, int kind, void *owner)
{
	if (fd < 0 || h->npfd >= HMD_MAX_FDS)
		return;
	h->pfd[h->npfd].fd = fd;
	h->pfd[h->npfd].events = ev;
	h->pfd[h->npfd].revents = 0;
	h->kind[h->npfd] = kind;
	h->owner[h->npfd] = owner;
	h->npfd++;
}

#endif
