// SPDX-License-Identifier: GPL-2.0
/*
 * Modbus server (libmodbus): TCP with several clients at once, optionally
 * RTU. The register image is the mapping's holding-register table and is
 * written only by this thread between two requests, so a client never
 * reads a half-updated float. Every Annex B heat-meter point is
 * read-only: write function codes get exception 02 before modbus_reply()
 * could touch the mapping (it writes blindly, facts §3.2).
 */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "hmd.h"

int mb_init(struct hmd *h)
{
	modbus_mapping_t *map;

	map = modbus_mapping_new_start_address(0, 0, 0, 0, 0, h->nregs, 0,
					       h->cfg.mb_input_mirror ? h->nregs : 0);
	if (!map) {
		err("modbus mapping: %s", modbus_strerror(errno));
		return -1;
	}
	h->map = map;
	h->regs = map->tab_registers;
	h->mb_listen = -1;
	for (int i = 0; i < 64; i++)
		h->mb_clients[i] = -1;
	if (!h->cfg.mb_enable)
		return 0;
	h->mb = modbus_new_tcp(h->cfg.mb_listen, h->cfg.mb_port);
	if (!h->mb) {
		err("modbus tcp: %s", modbus_strerror(errno));
		return -1;
	}
	/* a client that stops mid-request holds the loop at most this long */
	modbus_set_indication_timeout(h->mb, 0, 200000);
	modbus_set_byte_timeout(h->mb, 0, 200000);
	h->mb_listen = modbus_tcp_listen(h->mb, 16);
	if (h->mb_listen < 0) {
		err("modbus tcp listen %s:%d: %s", h->cfg.mb_listen, h->cfg.mb_port,
		    modbus_strerror(errno));
		return -1;
	}
	info("modbus: tcp %s:%d, %u registers (systems 1..%d), word order %d",
	     h->cfg.mb_listen, h->cfg.mb_port, h->nregs, h->cfg.systems, h->cfg.word_order);
	if (*h->cfg.rtu_device) {
		h->rtu = modbus_new_rtu(h->cfg.rtu_device, h->cfg.rtu_baud, h->cfg.rtu_parity[0], 8, 1);
		if (!h->rtu || modbus_set_slave(h->rtu, h->cfg.rtu_slave) ||
		    modbus_connect(h->rtu)) {
			err("modbus rtu %s: %s", h->cfg.rtu_device, modbus_strerror(errno));
			return -1;
		}
		/* TIOCSRS485 fails on ptys and many USB adapters: only on request */
		if (h->cfg.rtu_rs485 && modbus_rtu_set_serial_mode(h->rtu, MODBUS_RTU_RS485))
			warn("modbus rtu: RS-485 mode: %s", modbus_strerror(errno));
		modbus_set_indication_timeout(h->rtu, 0, 200000);
		info("modbus: rtu %s %d %s slave %d", h->cfg.rtu_device, h->cfg.rtu_baud,
		     h->cfg.rtu_parity, h->cfg.rtu_slave);
	}
	return 0;
}

/*
 * libmodbus reads a request with blocking waits between bytes, so a
 * client that trickles a request byte by byte would hold the loop (and
 * the meters) for as long as it likes. A TCP request is therefore only
 * handed to modbus_receive() once it is complete in the socket (MSG_PEEK
 * of the MBAP header's length); a partial one is looked at again 20 ms
 * later, and a client whose request stays incomplete for 1 s is dropped.
 */
#define PARTIAL_RECHECK	(20 * MS)
#define PARTIAL_MAX	SEC

static int64_t partial_since[64], hold_until[64];

void mb_poll_add(struct hmd *h)
{
	int64_t now = now_mono();

	if (h->mb_listen >= 0)
		poll_add(h, h->mb_listen, POLLIN, S_MB_LISTEN, NULL);
	for (int i = 0; i < h->cfg.mb_max_clients; i++)
		if (h->mb_clients[i] >= 0 && hold_until[i] <= now)
			poll_add(h, h->mb_clients[i], POLLIN, S_MB_CLIENT, NULL);
	if (h->rtu)
		poll_add(h, modbus_get_socket(h->rtu), POLLIN, S_MB_RTU, NULL);
}

int64_t mb_next_deadline(struct hmd *h)
{
	int64_t d = 0, now = now_mono();

	for (int i = 0; i < h->cfg.mb_max_clients; i++)
		if (h->mb_clients[i] >= 0 && hold_until[i] > now && (!d || hold_until[i] < d))
			d = hold_until[i];
	return d;
}

static void drop_client(struct hmd *h, int fd)
{
	for (int i = 0; i < 64; i++)
		if (h->mb_clients[i] == fd) {
			h->mb_clients[i] = -1;
			partial_since[i] = hold_until[i] = 0;
		}
	close(fd);
	dbg("modbus: client fd %d closed", fd);
}

static int is_write_fc(int fc)
{
	return fc == 0x05 || fc == 0x06 || fc == 0x0F || fc == 0x10 || fc == 0x16 || fc == 0x17;
}

/* one request from ctx; returns -1 when the connection is to be closed */
static int serve(struct hmd *h, modbus_t *ctx)
{
	uint8_t req[MODBUS_TCP_MAX_ADU_LENGTH > MODBUS_RTU_MAX_ADU_LENGTH ?
		    MODBUS_TCP_MAX_ADU_LENGTH : MODBUS_RTU_MAX_ADU_LENGTH];
	int rc = modbus_receive(ctx, req), hl, fc;
	modbus_mapping_t *map = h->map;

	if (rc == 0)
		return 0;	/* RTU: addressed to another slave */
	if (rc < 0)
		return -1;
	hl = modbus_get_header_length(ctx);
	fc = req[hl];
	h->mb_requests++;
	if (is_write_fc(fc)) {
		h->mb_exceptions++;
		modbus_reply_exception(ctx, req, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
		return 0;
	}
	if (fc == 0x04 && map->nb_input_registers)
		memcpy(map->tab_input_registers, map->tab_registers,
		       map->nb_registers * sizeof(uint16_t));
	if (modbus_reply(ctx, req, rc, map) < 0)
		return -1;
	return 0;
}

void mb_event(struct hmd *h, int kind, int fd, short revents)
{
	modbus_t *mb = h->mb;

	if (kind == S_MB_LISTEN) {
		int s = h->mb_listen, c = modbus_tcp_accept(mb, &s);

		if (c < 0)
			return;
		for (int i = 0; i < h->cfg.mb_max_clients; i++)
			if (h->mb_clients[i] < 0) {
				h->mb_clients[i] = c;
				partial_since[i] = hold_until[i] = 0;
				dbg("modbus: client fd %d", c);
				return;
			}
		warn("modbus: more than %d clients, refused", h->cfg.mb_max_clients);
		close(c);
		return;
	}
	if (kind == S_MB_RTU) {
		serve(h, h->rtu);
		return;
	}
	if (revents & (POLLERR | POLLNVAL)) {
		drop_client(h, fd);
		return;
	}
	for (int i = 0; i < 64; i++) {
		uint8_t b[MODBUS_TCP_MAX_ADU_LENGTH];
		int64_t now;
		ssize_t r;
		size_t len;

		if (h->mb_clients[i] != fd)
			continue;
		r = recv(fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			drop_client(h, fd);
			return;
		}
		if (r < 0)
			return;
		len = r >= 6 ? (size_t)(b[4] << 8 | b[5]) : 0;
		if (r >= 6 && (len < 2 || len > MODBUS_TCP_MAX_ADU_LENGTH - 6)) {
			dbg("modbus: client fd %d: not a Modbus TCP request", fd);
			drop_client(h, fd);
			return;
		}
		if (r >= 6 && (size_t)r >= 6 + len) {
			partial_since[i] = hold_until[i] = 0;
			break;
		}
		now = now_mono();
		if (!partial_since[i])
			partial_since[i] = now;
		if (now - partial_since[i] > PARTIAL_MAX) {
			warn("modbus: client fd %d: request incomplete for 1 s, dropped", fd);
			drop_client(h, fd);
			return;
		}
		hold_until[i] = now + PARTIAL_RECHECK;
		return;
	}
	modbus_set_socket(mb, fd);
	if (serve(h, mb) < 0)
		drop_client(h, fd);
}

void mb_close(struct hmd *h)
{
	for (int i = 0; i < 64; i++)
		if (h->mb_clients[i] >= 0)
			close(h->mb_clients[i]);
	if (h->mb_listen >= 0)
		close(h->mb_listen);
	if (h->mb) {
		modbus_set_socket(h->mb, -1);
		modbus_free(h->mb);
	}
	if (h->rtu) {
		modbus_close(h->rtu);
		modbus_free(h->rtu);
	}
	if (h->map)
		modbus_mapping_free(h->map);
}
