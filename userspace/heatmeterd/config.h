/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heatmeterd configuration: one INI file (default
 * /etc/heatmeter/heatmeterd.conf), parsed with libinih, every key
 * validated; credentials in their own 0600 file.
 * Documentation/heatmeterd.rst lists every key.
 */
#ifndef HMD_CONFIG_H
#define HMD_CONFIG_H

#include <stdint.h>

#define HMD_MAX_SYSTEMS	20	/* 5-digit 4xxxx references reach 49999 */

enum { WO_ABCD, WO_CDAB, WO_BADC, WO_DCBA };
enum { MNO_LAST4, MNO_INDEX, MNO_LOW16 };

struct hmd_config {
	/* [daemon] */
	int log_level;			/* 0 err .. 3 debug */
	char state_dir[256];
	char credentials[256];
	/* [meters] */
	char source[256];		/* "udev" or a directory of fifos (tests) */
	int stale_after_s;
	char system_meter[HMD_MAX_SYSTEMS + 1][48]; /* [systems] n = address */
	int systems;			/* heating systems in the image */
	/* [modbus] */
	int mb_enable;
	char mb_listen[64];
	int mb_port;
	int mb_max_clients;
	int word_order;
	int meter_no_mode;
	int mb_input_mirror;
	int mb_stale_nan;
	char rtu_device[128];
	int rtu_baud;
	char rtu_parity[2];
	int rtu_slave;
	int rtu_rs485;
	/* [platform] */
	int pf_enable;
	int pf_server;			/* mode = server */
	char pf_host[128];
	int pf_port;			/* required: the standard gives none */
	int protocol_id;
	int crc_scope;			/* dlt_crc_scope, or -1 = auto */
	int crc_msb;
	int max_frame;
	int payload_le;
	int config_byte_order;		/* 0 auto, 1 be, 2 le */
	int config_layout_second;
	int config_ack;
	int address_reference;
	int devid8_suffix;
	int call_exception_byte;
	int adopt_password;
	int login_timeout_s;
	int heartbeat_s;
	int heartbeat_timeout_s;
	int heartbeat_max_missed;
	int clock_encoding;		/* dlt_clock_enc */
	int clock_tiebreak_bcd;
	int clock_utc_offset_min;
	int clock_sync_s;
	int set_system_clock;
	int backlog_timestamped;
	int backlog_rate;		/* frames/s */
	int change_min_interval_ms;
	int reconnect_min_s, reconnect_max_s;
	char vendor_code[HMD_MAX_SYSTEMS + 1][17];	/* 16 hex digits */
	char product_code[HMD_MAX_SYSTEMS + 1][17];
	/* [spool] */
	int64_t spool_max_bytes;
	int64_t spool_max_age_s;
	/* credentials file */
	char login_id[13];
	char password[13];
};

void config_defaults(struct hmd_config *c);
/*
 * Parses an INI text (file or, for the fuzzer, a string) over the current
 * values and validates the result. Returns 0, or -1 with a message.
 */
int config_load(struct hmd_config *c, const char *path, char *err, int errlen);
int config_load_string(struct hmd_config *c, const char *text, char *err, int errlen);
/* Credentials: must be a regular file with mode 0600 (or stricter). */
int config_load_credentials(struct hmd_config *c, const char *path, char *err,
			    int errlen);
/* Prints the documented key list with defaults (heatmeterd --print-config). */
void config_print(const struct hmd_config *c);

#endif
