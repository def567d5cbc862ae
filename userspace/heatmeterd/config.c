// SPDX-License-Identifier: GPL-2.0
/* heatmeterd configuration: table-driven, so parser and --print-config agree. */
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "config.h"
#include "dlt.h"

enum kt { K_INT, K_I64, K_BOOL, K_STR, K_ENUM };

struct key {
	const char *sec, *name;
	enum kt t;
	size_t off, size;
	long long lo, hi;
	const char *const *names;	/* K_ENUM: values, index = stored int */
	int enum_base;
};

static const char *const levels[] = { "err", "warning", "info", "debug", NULL };
static const char *const word_orders[] = { "abcd", "cdab", "badc", "dcba", NULL };
static const char *const mno[] = { "last4", "index", "low16", NULL };
static const char *const modes[] = { "client", "server", NULL };
static const char *const scopes[] = { "auto", "frame", "data", "len_data", "proto_len_data", NULL };
static const char *const orders[] = { "lsb", "msb", NULL };
static const char *const beles[] = { "be", "le", NULL };
static const char *const cfgorders[] = { "auto", "be", "le", NULL };
static const char *const layouts[] = { "first", "second", NULL };
static const char *const amodes[] = { "pdu", "reference", NULL };
static const char *const devid8[] = { "prefix", "suffix", NULL };
static const char *const pwmodes[] = { "ignore", "adopt", NULL };
static const char *const clkenc[] = { "auto", "ascii", "bin_be", "bin_le", "bcd_be", "bcd_le", NULL };
static const char *const ties[] = { "bin", "bcd", NULL };
static const char *const backlog[] = { "plain", "timestamped", NULL };
static const char *const parities[] = { "N", "E", "O", NULL };

#define O(f) offsetof(struct hmd_config, f), sizeof(((struct hmd_config *)0)->f)
static const struct key keys[] = {
	{ "daemon", "log_level", K_ENUM, O(log_level), 0, 0, levels, 0 },
	{ "daemon", "state_dir", K_STR, O(state_dir), 1, 0, NULL, 0 },
	{ "daemon", "credentials", K_STR, O(credentials), 0, 0, NULL, 0 },
	{ "meters", "source", K_STR, O(source), 1, 0, NULL, 0 },
	{ "meters", "stale_after", K_INT, O(stale_after_s), 1, 86400 * 7, NULL, 0 },
	{ "meters", "systems", K_INT, O(systems), 1, HMD_MAX_SYSTEMS, NULL, 0 },
	{ "modbus", "enable", K_BOOL, O(mb_enable), 0, 1, NULL, 0 },
	{ "modbus", "listen", K_STR, O(mb_listen), 1, 0, NULL, 0 },
	{ "modbus", "port", K_INT, O(mb_port), 1, 65535, NULL, 0 },
	{ "modbus", "max_clients", K_INT, O(mb_max_clients), 1, 64, NULL, 0 },
	{ "modbus", "float_word_order", K_ENUM, O(word_order), 0, 0, word_orders, 0 },
	{ "modbus", "meter_no_mode", K_ENUM, O(meter_no_mode), 0, 0, mno, 0 },
	{ "modbus", "input_registers", K_BOOL, O(mb_input_mirror), 0, 1, NULL, 0 },
	{ "modbus", "stale_nan", K_BOOL, O(mb_stale_nan), 0, 1, NULL, 0 },
	{ "modbus", "rtu_device", K_STR, O(rtu_device), 0, 0, NULL, 0 },
	{ "modbus", "rtu_baud", K_INT, O(rtu_baud), 300, 921600, NULL, 0 },
	{ "modbus", "rtu_parity", K_STR, O(rtu_parity), 1, 0, parities, 0 },
	{ "modbus", "rtu_slave", K_INT, O(rtu_slave), 1, 247, NULL, 0 },
	{ "modbus", "rtu_rs485", K_BOOL, O(rtu_rs485), 0, 1, NULL, 0 },
	{ "platform", "enable", K_BOOL, O(pf_enable), 0, 1, NULL, 0 },
	{ "platform", "mode", K_ENUM, O(pf_server), 0, 0, modes, 0 },
	{ "platform", "host", K_STR, O(pf_host), 0, 0, NULL, 0 },
	{ "platform", "port", K_INT, O(pf_port), 0, 65535, NULL, 0 },
	{ "platform", "protocol_id", K_INT, O(protocol_id), 0, 65535, NULL, 0 },
	{ "platform", "crc_scope", K_ENUM, O(crc_scope), 0, 0, scopes, -1 },
	{ "platform", "crc_order", K_ENUM, O(crc_msb), 0, 0, orders, 0 },
	{ "platform", "max_frame", K_INT, O(max_frame), 64, 65535, NULL, 0 },
	{ "platform", "payload_byte_order", K_ENUM, O(payload_le), 0, 0, beles, 0 },
	{ "platform", "config_byte_order", K_ENUM, O(config_byte_order), 0, 0, cfgorders, 0 },
	{ "platform", "config_layout", K_ENUM, O(config_layout_second), 0, 0, layouts, 0 },
	{ "platform", "config_ack", K_BOOL, O(config_ack), 0, 1, NULL, 0 },
	{ "platform", "address_mode", K_ENUM, O(address_reference), 0, 0, amodes, 0 },
	{ "platform", "devid8_layout", K_ENUM, O(devid8_suffix), 0, 0, devid8, 0 },
	{ "platform", "call_exception_byte", K_BOOL, O(call_exception_byte), 0, 1, NULL, 0 },
	{ "platform", "on_new_password", K_ENUM, O(adopt_password), 0, 0, pwmodes, 0 },
	{ "platform", "login_timeout", K_INT, O(login_timeout_s), 1, 600, NULL, 0 },
	{ "platform", "heartbeat_interval", K_INT, O(heartbeat_s), 1, 3600, NULL, 0 },
	{ "platform", "heartbeat_timeout", K_INT, O(heartbeat_timeout_s), 1, 600, NULL, 0 },
	{ "platform", "heartbeat_max_missed", K_INT, O(heartbeat_max_missed), 1, 100, NULL, 0 },
	{ "platform", "clock_encoding", K_ENUM, O(clock_encoding), 0, 0, clkenc, 0 },
	{ "platform", "clock_tiebreak", K_ENUM, O(clock_tiebreak_bcd), 0, 0, ties, 0 },
	{ "platform", "clock_utc_offset", K_INT, O(clock_utc_offset_min), -720, 840, NULL, 0 },
	{ "platform", "clock_sync_interval", K_INT, O(clock_sync_s), 0, 86400 * 30, NULL, 0 },
	{ "platform", "set_system_clock", K_BOOL, O(set_system_clock), 0, 1, NULL, 0 },
	{ "platform", "backlog_mode", K_ENUM, O(backlog_timestamped), 0, 0, backlog, 0 },
	{ "platform", "backlog_rate", K_INT, O(backlog_rate), 1, 10000, NULL, 0 },
	{ "platform", "change_min_interval_ms", K_INT, O(change_min_interval_ms), 0, 3600000, NULL, 0 },
	{ "platform", "reconnect_min", K_INT, O(reconnect_min_s), 1, 3600, NULL, 0 },
	{ "platform", "reconnect_max", K_INT, O(reconnect_max_s), 1, 3600, NULL, 0 },
	{ "spool", "max_bytes", K_I64, O(spool_max_bytes), 4096, 1LL << 40, NULL, 0 },
	{ "spool", "max_age", K_I64, O(spool_max_age_s), 60, 86400LL * 3650, NULL, 0 },
};

void config_defaults(struct hmd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = 2;
	strcpy(c->state_dir, "/var/lib/heatmeterd");
	strcpy(c->credentials, "/etc/heatmeter/credentials");
	strcpy(c->source, "udev");
	c->stale_after_s = 900;
	c->systems = 1;
	c->mb_enable = 1;
	strcpy(c->mb_listen, "0.0.0.0");
	c->mb_port = 502;
	c->mb_max_clients = 8;
	c->rtu_baud = 9600;
	strcpy(c->rtu_parity, "E");
	c->rtu_slave = 1;
	c->protocol_id = 1;
	c->crc_scope = DLT_CRC_FRAME;
	c->max_frame = 4096;
	c->config_ack = 1;
	c->login_timeout_s = 10;
	c->heartbeat_s = 30;
	c->heartbeat_timeout_s = 10;
	c->heartbeat_max_missed = 1;
	c->clock_utc_offset_min = 480;
	c->clock_sync_s = 86400;
	c->backlog_rate = 50;
	c->change_min_interval_ms = 1000;
	c->reconnect_min_s = 1;
	c->reconnect_max_s = 60;
	c->spool_max_bytes = 64LL << 20;
	c->spool_max_age_s = 30LL * 86400;
}

struct pctx {
	struct hmd_config *c;
	char *err;
	int errlen;
	int bad;
};

/* libinih (Debian's 55) returns the first failing line: finish() adds it */
static int set_err(struct pctx *p, const char *sec, const char *name,
		   const char *why)
{
	if (!p->bad)
		snprintf(p->err, p->errlen, "[%s] %s: %s", sec, name, why);
	p->bad = 1;
	return 0;
}

static int is_hex16(const char *v)
{
	if (strlen(v) != 16)
		return 0;
	for (int i = 0; i < 16; i++)
		if (!strchr("0123456789abcdefABCDEF", v[i]))
			return 0;
	return 1;
}

static int handler(void *user, const char *sec, const char *name,
		   const char *val)
{
	struct pctx *p = user;
	struct hmd_config *c = p->c;
	char *end;

	if (!strcmp(sec, "systems")) {
		/* n = meter address ("cjt188-11110021098754", "heatmeter3"),
		 * vendor_code.n / product_code.n = 16 hex digits (login, table 4) */
		long n;
		const char *k = name;
		int which = 0;

		if (!strncmp(k, "vendor_code.", 12)) {
			which = 1;
			k += 12;
		} else if (!strncmp(k, "product_code.", 13)) {
			which = 2;
			k += 13;
		}
		n = strtol(k, &end, 10);
		if (*k == 0 || *end || n < 1 || n > HMD_MAX_SYSTEMS)
			return set_err(p, sec, name, "system number 1..20 expected");
		if (which == 0) {
			if (strlen(val) >= sizeof(c->system_meter[0]) || !*val)
				return set_err(p, sec, name, "meter address too long or empty");
			strncpy(c->system_meter[n], val, sizeof(c->system_meter[n]));
			if (n > c->systems)
				c->systems = n;
		} else {
			if (!is_hex16(val))
				return set_err(p, sec, name, "16 hex digits expected");
			strncpy(which == 1 ? c->vendor_code[n] : c->product_code[n], val, 17);
		}
		return 1;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		void *f = (char *)c + k->off;
		long long v;

		if (strcmp(sec, k->sec) || strcmp(name, k->name))
			continue;
		switch (k->t) {
		case K_INT:
		case K_I64:
			errno = 0;
			v = strtoll(val, &end, 0);
			if (errno || end == val || *end || v < k->lo || v > k->hi) {
				char m[96];

				snprintf(m, sizeof(m), "integer %lld..%lld expected", k->lo, k->hi);
				return set_err(p, sec, name, m);
			}
			if (k->t == K_INT)
				*(int *)f = v;
			else
				*(int64_t *)f = v;
			return 1;
		case K_BOOL:
			if (!strcmp(val, "1") || !strcasecmp(val, "true") || !strcasecmp(val, "yes") ||
			    !strcasecmp(val, "on"))
				*(int *)f = 1;
			else if (!strcmp(val, "0") || !strcasecmp(val, "false") ||
				 !strcasecmp(val, "no") || !strcasecmp(val, "off"))
				*(int *)f = 0;
			else
				return set_err(p, sec, name, "true or false expected");
			return 1;
		case K_ENUM:
			for (int j = 0; k->names[j]; j++)
				if (!strcasecmp(val, k->names[j])) {
					*(int *)f = j + k->enum_base;
					return 1;
				}
			return set_err(p, sec, name, "unknown value");
		case K_STR:
			if (strlen(val) >= k->size || (k->lo && !*val))
				return set_err(p, sec, name, "too long or empty");
			if (k->names) {
				int ok = 0;

				for (int j = 0; k->names[j]; j++)
					ok |= !strcmp(val, k->names[j]);
				if (!ok)
					return set_err(p, sec, name, "unknown value");
			}
			strncpy(f, val, k->size);	/* zero-filled: values compare whole */
			return 1;
		}
	}
	return set_err(p, sec, name, "unknown key");
}

static int validate(struct hmd_config *c, char *err, int errlen)
{
	if (c->pf_enable && !c->pf_port) {
		snprintf(err, errlen, "[platform] port is required (the standard defines none)");
		return -1;
	}
	if (c->pf_enable && !c->pf_server && !*c->pf_host) {
		snprintf(err, errlen, "[platform] host is required in client mode");
		return -1;
	}
	if (c->reconnect_min_s > c->reconnect_max_s) {
		snprintf(err, errlen, "[platform] reconnect_min exceeds reconnect_max");
		return -1;
	}
	return 0;
}

static int finish(struct pctx *p, int rc)
{
	if (rc < 0) {
		snprintf(p->err, p->errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (rc > 0) {
		char m[256];

		snprintf(m, sizeof(m), "line %d: %s", rc, p->bad ? p->err : "syntax error");
		snprintf(p->err, p->errlen, "%s", m);
		return -1;
	}
	return validate(p->c, p->err, p->errlen);
}

int config_load(struct hmd_config *c, const char *path, char *err, int errlen)
{
	struct pctx p = { c, err, errlen, 0 };

	return finish(&p, ini_parse(path, handler, &p));
}

int config_load_string(struct hmd_config *c, const char *text, char *err, int errlen)
{
	struct pctx p = { c, err, errlen, 0 };

	return finish(&p, ini_parse_string(text, handler, &p));
}

static int cred_handler(void *user, const char *sec, const char *name,
			const char *val)
{
	struct pctx *p = user;

	if (*sec && strcmp(sec, "credentials"))
		return set_err(p, sec, name, "unknown section");
	if (!strcmp(name, "id") || !strcmp(name, "password")) {
		/* ASCII, at most 12 bytes, NUL-padded on the wire (facts #6) */
		if (strlen(val) > 12)
			return set_err(p, sec, name, "at most 12 bytes");
		for (const char *q = val; *q; q++)
			if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
				return set_err(p, sec, name, "printable ASCII only");
		strncpy(!strcmp(name, "id") ? p->c->login_id : p->c->password, val, 13);
		return 1;
	}
	return set_err(p, sec, name, "unknown key");
}

int config_load_credentials(struct hmd_config *c, const char *path, char *err,
			    int errlen)
{
	struct pctx p = { c, err, errlen, 0 };
	struct stat st;

	if (stat(path, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		snprintf(err, errlen, "%s: must be a regular file with mode 0600", path);
		return -1;
	}
	if (finish(&p, ini_parse(path, cred_handler, &p)))
		return -1;
	if (!*c->login_id) {
		snprintf(err, errlen, "%s: no id", path);
		return -1;
	}
	return 0;
}

void config_print(const struct hmd_config *c)
{
	const char *sec = "";

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		const void *f = (const char *)c + k->off;

		if (strcmp(sec, k->sec))
			printf("%s[%s]\n", i ? "\n" : "", sec = k->sec);
		switch (k->t) {
		case K_INT: printf("%s = %d\n", k->name, *(const int *)f); break;
		case K_I64: printf("%s = %lld\n", k->name, (long long)*(const int64_t *)f); break;
		case K_BOOL: printf("%s = %s\n", k->name, *(const int *)f ? "true" : "false"); break;
		case K_ENUM: printf("%s = %s\n", k->name, k->names[*(const int *)f - k->enum_base]); break;
		case K_STR: printf("%s = %s\n", k->name, (const char *)f); break;
		}
	}
	printf("\n[systems]\n");
	for (int n = 1; n <= HMD_MAX_SYSTEMS; n++) {
		if (*c->system_meter[n])
			printf("%d = %s\n", n, c->system_meter[n]);
		if (*c->vendor_code[n])
			printf("vendor_code.%d = %s\n", n, c->vendor_code[n]);
		if (*c->product_code[n])
			printf("product_code.%d = %s\n", n, c->product_code[n]);
	}
}
