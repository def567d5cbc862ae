// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeterd: heat meters (/dev/heatmeterN) to the DL/T 2690.8 platform
 * and to Modbus (Annex B). One thread, one poll() loop: meters, udev,
 * Modbus clients and the platform link are all non-blocking fds.
 *
 *   heatmeterd [-c FILE] [--foreground] [-v] [--print-config] [--check-config]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include "hmd.h"

#define DEFAULT_CONF "/etc/heatmeter/heatmeterd.conf"

struct hmd *hmd;
static int log_level = L_INFO, log_journal, log_plain;

void hmd_log(int level, const char *fmt, ...)
{
	static const char *const nm[] = { "error", "warning", "info", "debug" };
	static const int sl[] = { 3, 4, 6, 7 };
	char msg[1024];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_journal) {
		fprintf(stderr, "<%d>%s\n", sl[level], msg);
	} else {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		fprintf(stderr, "%lld.%03ld heatmeterd: %s: %s\n", (long long)t.tv_sec,
			t.tv_nsec / 1000000, nm[level], msg);
	}
	(void)log_plain;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: heatmeterd [-c FILE] [--foreground] [-v] [--print-config] [--check-config]\n"
		"  -c FILE          configuration (default " DEFAULT_CONF ")\n"
		"  -f, --foreground do not detach (implied under systemd)\n"
		"  -v               debug logging (overrides log_level)\n"
		"  --print-config   print every key with its value and exit\n"
		"  --check-config   validate the configuration and credentials, exit\n");
}

static int setup_signals(void)
{
	sigset_t ss;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	return signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void log_stats(struct hmd *h)
{
	info("stats: %d meters, modbus %llu requests %llu exceptions, spool %zu pending %llu dropped",
	     h->nmeters, (unsigned long long)h->mb_requests,
	     (unsigned long long)h->mb_exceptions,
	     h->spool_ok ? spool_pending(&h->spool) : 0,
	     (unsigned long long)(h->spool_ok ? h->spool.dropped : 0));
	for (int i = 0; i < h->nmeters; i++) {
		struct meter *m = h->meters[i];

		info("  %s system %d present %d readings %llu errors %llu dropped %llu fault 0x%04x",
		     m->name, m->system, m->st.present, (unsigned long long)m->st.readings,
		     (unsigned long long)m->st.errors, (unsigned long long)m->st.dropped,
		     image_fault(&m->st, &h->io, now_mono()));
	}
}

static void on_signal(struct hmd *h)
{
	struct signalfd_siginfo si;

	while (read(h->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP || si.ssi_signo == SIGUSR1) {
			log_stats(h);
			continue;
		}
		info("signal %u: stopping", si.ssi_signo);
		h->stop = 1;
	}
}

int main(int argc, char **argv)
{
	static struct hmd H;
	static const struct option lo[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "print-config", no_argument, NULL, 'P' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *conf = NULL;
	int fg = 0, print = 0, check = 0, verbose = 0, c;
	char e[300], sp[600];
	uint64_t wd_usec = 0;
	int64_t next_wd = 0, next_stats;
	struct hmd *h = &H;
	struct stat st;

	while ((c = getopt_long(argc, argv, "c:fvh", lo, NULL)) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 'f': fg = 1; break;
		case 'v': verbose = 1; break;
		case 'P': print = 1; break;
		case 'C': check = 1; break;
		default: usage(); return c == 'h' ? 0 : 2;
		}
	}
	hmd = h;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	config_defaults(&h->cfg);
	if (conf || !stat(DEFAULT_CONF, &st)) {
		if (config_load(&h->cfg, conf ? conf : DEFAULT_CONF, e, sizeof(e))) {
			fprintf(stderr, "heatmeterd: %s: %s\n", conf ? conf : DEFAULT_CONF, e);
			return 1;
		}
	}
	if (h->cfg.pf_enable &&
	    config_load_credentials(&h->cfg, h->cfg.credentials, e, sizeof(e))) {
		fprintf(stderr, "heatmeterd: credentials: %s\n", e);
		return 1;
	}
	if (print) {
		config_print(&h->cfg);
		return 0;
	}
	if (check)
		return 0;
	log_level = verbose ? L_DEBUG : h->cfg.log_level;
	if (!fg && !getenv("NOTIFY_SOCKET") && daemon(0, 1)) {
		perror("heatmeterd: daemon");
		return 1;
	}
	h->io.word_order = h->cfg.word_order;
	h->io.meter_no_mode = h->cfg.meter_no_mode;
	h->io.stale_nan = h->cfg.mb_stale_nan;
	h->io.stale_after_ns = h->cfg.stale_after_s * SEC;
	h->nregs = image_regs(h->cfg.systems);
	h->sigfd = setup_signals();
	if (mb_init(h))
		return 1;
	image_refresh(h, now_mono());
	if (h->cfg.pf_enable) {
		mkdir(h->cfg.state_dir, 0700);
		if (snprintf(sp, sizeof(sp), "%s/spool", h->cfg.state_dir) >= (int)sizeof(sp))
			return 1;
		c = spool_open(&h->spool, sp, h->cfg.spool_max_bytes, h->cfg.spool_max_age_s);
		if (c) {
			err("spool %s: %s", sp, strerror(-c));
			return 1;
		}
		h->spool_ok = 1;
		info("spool %s: %zu records pending, %llu dropped so far%s", sp,
		     spool_pending(&h->spool), (unsigned long long)h->spool.dropped,
		     h->spool.torn ? ", a torn tail record removed" : "");
	}
	if (meters_init(h))
		err("udev: cannot start; no meters");
	if (pl_init(h))
		return 1;
	if (sd_watchdog_enabled(0, &wd_usec) > 0)
		next_wd = now_mono();
	sd_notify(0, "READY=1\nSTATUS=running");
	info("running: %d meters, %d systems", h->nmeters, h->cfg.systems);
	h->next_tick = now_mono() + SEC;
	next_stats = now_mono() + 3600 * SEC;
	while (!h->stop) {
		int64_t now = now_mono(), dl = h->next_tick, pd;
		int n, timeout;

		pd = pl_next_deadline(h);
		if (pd && pd < dl)
			dl = pd;
		pd = mb_next_deadline(h);
		if (pd && pd < dl)
			dl = pd;
		if (next_wd && next_wd < dl)
			dl = next_wd;
		timeout = dl <= now ? 0 : (int)((dl - now + MS - 1) / MS);
		h->npfd = 0;
		poll_add(h, h->sigfd, POLLIN, S_SIGNAL, NULL);
		meters_poll_add(h);
		mb_poll_add(h);
		pl_poll_add(h);
		n = poll(h->pfd, h->npfd, timeout);
		if (n < 0 && errno != EINTR) {
			err("poll: %s", strerror(errno));
			break;
		}
		for (int i = 0; n > 0 && i < h->npfd; i++) {
			short re = h->pfd[i].revents;

			if (!re)
				continue;
			switch (h->kind[i]) {
			case S_SIGNAL: on_signal(h); break;
			case S_UDEV: meters_udev_event(h); break;
			case S_METER: meters_event(h, h->owner[i], re); break;
			case S_MB_LISTEN: case S_MB_CLIENT: case S_MB_RTU:
				mb_event(h, h->kind[i], h->pfd[i].fd, re);
				break;
			case S_PF_LISTEN: case S_PF_CONN: case S_PF_DNS:
				pl_event(h, h->kind[i], h->pfd[i].fd, re);
				break;
			}
		}
		now = now_mono();
		if (now >= h->next_tick) {
			meters_tick(h, now);
			h->next_tick = now + SEC;
		}
		pl_tick(h, now);
		if (next_wd && now >= next_wd) {
			sd_notify(0, "WATCHDOG=1");
			next_wd = now + (int64_t)wd_usec * 1000 / 2;
		}
		if (now >= next_stats) {
			log_stats(h);
			next_stats = now + 3600 * SEC;
		}
	}
	sd_notify(0, "STOPPING=1");
	pl_close(h);
	if (h->spool_ok)
		spool_close(&h->spool);
	mb_close(h);
	log_stats(h);
	return 0;
}
