// SPDX-License-Identifier: GPL-2.0
/* Platform link: placeholder until the DL/T 2690.8 link lands. */
#include "hmd.h"

int pl_init(struct hmd *h)
{
	if (h->cfg.pf_enable)
		warn("platform: not implemented yet");
	return 0;
}

void pl_poll_add(struct hmd *h) { (void)h; }
void pl_event(struct hmd *h, int kind, int fd, short revents) { (void)h; (void)kind; (void)fd; (void)revents; }
void pl_tick(struct hmd *h, int64_t now) { (void)h; (void)now; }
void pl_readings_changed(struct hmd *h) { (void)h; }
void pl_close(struct hmd *h) { (void)h; }
int64_t pl_next_deadline(struct hmd *h) { (void)h; return 0; }
