// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of heatmeterd's pure parts: frame codec, configuration file,
 * clock reply, register image, spool, INI configuration. Vectors from
 * ../shared/facts/platform-modbus-hwmon.md (computed independently there).
 */
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "config.h"
#include "dlt.h"
#include "image.h"
#include "spool.h"

static int failed;

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - daemon/unit/", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failed = 1;
}

static int hexeq(const uint8_t *p, size_t n, const char *hex)
{
	char buf[1024] = "";

	for (size_t i = 0; i < n && 3 * i + 3 < sizeof(buf); i++)
		sprintf(buf + strlen(buf), "%s%02X", i ? " " : "", p[i]);
	if (strcmp(buf, hex))
		fprintf(stderr, "# got  %s\n# want %s\n", buf, hex);
	return !strcmp(buf, hex);
}

static const struct dlt_opts def = { DLT_CRC_FRAME, 0, 4096 };

static void t_codec(void)
{
	uint8_t f[64], hb[2] = { 0x7B, 0x7D }, clk[2] = { 0x6A, 0x02 };
	struct dlt_opts o = def;
	struct dlt_frame fr;
	size_t n;
	int bad = 0;

	ok(dlt_crc16((const uint8_t *)"123456789", 9, 0xffff) == 0x4B37, "crc16-modbus-check");
	n = dlt_encode(&o, 3, 1, hb, 2, f, sizeof(f));
	ok(n == 11 && hexeq(f, n, "03 00 01 00 02 00 7B 7D E2 A6 16"), "heartbeat-vector");
	ok(dlt_crc16(f, 10, 0xffff) == 0, "crc-residue-zero");
	o.crc_msb = 1;
	n = dlt_encode(&o, 3, 1, hb, 2, f, sizeof(f));
	ok(hexeq(f, n, "03 00 01 00 02 00 7B 7D A6 E2 16"), "heartbeat-msb-vector");
	o.crc_msb = 0;
	o.crc_scope = DLT_CRC_DATA;
	n = dlt_encode(&o, 3, 1, hb, 2, f, sizeof(f));
	ok(f[8] == 0xE3 && f[9] == 0x61, "heartbeat-data-scope-0x61E3");
	o.crc_scope = DLT_CRC_LEN_DATA;
	n = dlt_encode(&o, 3, 1, hb, 2, f, sizeof(f));
	ok(f[8] == 0xE3 && f[9] == 0x4D, "heartbeat-len-data-scope-0x4DE3");
	o = def;
	n = dlt_encode(&o, 4, 1, clk, 2, f, sizeof(f));
	ok(hexeq(f, n, "04 00 01 00 02 00 6A 02 EE F0 16"), "clock-request-vector");
	for (size_t i = 0; i < n; i++)
		bad |= dlt_decode(&o, f, i, &fr) != DLT_NEED_MORE;
	ok(!bad, "decode-every-prefix-needs-more");
	ok(dlt_decode(&o, f, n, &fr) == (int)n && fr.a == 4 && fr.b == 1 && fr.l == 2 &&
	   fr.d[0] == 0x6A, "decode-roundtrip");
	f[9] ^= 1;
	ok(dlt_decode(&o, f, n, &fr) == DLT_E_CRC, "decode-bad-crc");
	f[9] ^= 1;
	f[10] = 0x17;
	ok(dlt_decode(&o, f, n, &fr) == DLT_E_END, "decode-bad-end");
	f[10] = 0x16;
	f[5] = 0x20;	/* L = 0x2002 */
	ok(dlt_decode(&o, f, n, &fr) == DLT_E_OVERSIZE, "decode-oversize-L");
	f[5] = 0;
	o.crc_scope = DLT_CRC_PROTO_LEN_DATA;
	o.crc_msb = 1;
	n = dlt_encode(&o, 4, 1, clk, 2, f, sizeof(f));
	o = def;
	ok(dlt_probe(&o, f, n) && o.crc_scope == DLT_CRC_PROTO_LEN_DATA && o.crc_msb == 1,
	   "probe-latches-scope-and-order");
	ok(dlt_encode(&def, 1, 1, NULL, 0, f, 8) == 0, "encode-refuses-small-buffer");
}

static void t_clock(void)
{
	static const char *const vec[] = {
		"32 34 30 36 32 38 31 33 30 35 30 39",
		"00 18 00 06 00 1C 00 0D 00 05 00 09",
		"18 00 06 00 1C 00 0D 00 05 00 09 00",
		"00 24 00 06 00 28 00 13 00 05 00 09",
		"24 00 06 00 28 00 13 00 05 00 09 00",
	};
	static const int enc[] = { CLK_ASCII, CLK_BIN_BE, CLK_BIN_LE, CLK_BCD_BE, CLK_BCD_LE };
	struct dlt_tm want = { 2024, 6, 28, 13, 5, 9 }, tm;
	uint8_t b[12], fr[64], d[14] = { 0x6A, 0x02 };

	for (int i = 0; i < 5; i++) {
		int e;

		for (int k = 0; k < 12; k++)
			b[k] = strtoul(vec[i] + 3 * k, NULL, 16);
		memset(&tm, 0, sizeof(tm));
		e = dlt_clock_decode(b, 12, CLK_AUTO, 0, &tm);
		ok(e == enc[i] && !memcmp(&tm, &want, sizeof(tm)), "clock-auto-%d", enc[i]);
		dlt_clock_encode(&want, enc[i], b);
		ok(hexeq(b, 12, vec[i]), "clock-encode-%d", enc[i]);
	}
	dlt_clock_encode(&want, CLK_ASCII, d + 2);
	ok(hexeq(fr, dlt_encode(&def, 4, 1, d, 14, fr, sizeof(fr)),
		 "04 00 01 00 0E 00 6A 02 32 34 30 36 32 38 31 33 30 35 30 39 B1 F1 16"),
	   "clock-reply-ascii-frame-vector");
	memset(b, 0, 12);
	ok(dlt_clock_decode(b, 12, CLK_AUTO, 0, &tm) < 0, "clock-rejects-zero-month");
	b[1] = 24; b[3] = 13;	/* month 13 */
	ok(dlt_clock_decode(b, 12, CLK_BIN_BE, 0, &tm) < 0, "clock-rejects-month-13");
}

static void t_pcfg(void)
{
	static struct pcfg c, p;
	struct pcfg_opts po = { .image_regs = image_regs(2) };
	uint8_t buf[2048];
	char err[200];
	size_t n;
	int bad = 0;

	memset(&c, 0, sizeof(c));
	c.version = 1;
	c.ntables = 2;
	c.t[0] = (struct pcfg_table){ .client_id = 0, .table_no = 1, .on_change = 1, .period = 10, .nrec = 2 };
	c.t[0].rec[0] = (struct pcfg_rec){ 9, 100, 4 };
	c.t[0].rec[1] = (struct pcfg_rec){ 9, 114, 2 };
	c.t[1] = (struct pcfg_table){ .client_id = 2, .table_no = 2, .period = 0, .nrec = 1 };
	c.t[1].rec[0] = (struct pcfg_rec){ 9, 606, 8 };
	for (int be = 0; be < 2; be++)
		for (int lay = 0; lay < 2; lay++) {
			n = pcfg_build(&c, be, lay, buf, sizeof(buf));
			po.layout_second = lay;
			ok(n && pcfg_parse(&po, buf, n, &p, err, sizeof(err)) == 0 && p.be == be &&
			   p.ntables == 2 && p.t[0].rec[1].addr == 114 && p.t[1].rec[0].type == 8 &&
			   p.t[1].period == 10 && p.t[0].on_change == 1,
			   "pcfg-roundtrip-be%d-layout%d", be, lay);
		}
	po.layout_second = 0;
	n = pcfg_build(&c, 1, 0, buf, sizeof(buf));
	ok(buf[0] == 0xAA && buf[1] == 0xAA && buf[2] == 0 && buf[3] == 6 &&
	   (size_t)(buf[22] << 8 | buf[23]) == n, "pcfg-header-marker-and-length");
	for (size_t i = 0; i < n; i++)
		bad |= pcfg_parse(&po, buf, i, &p, err, sizeof(err)) != -1;
	ok(!bad, "pcfg-every-truncation-rejected");
	c.t[1].rec[0].type = 3;
	n = pcfg_build(&c, 1, 0, buf, sizeof(buf));
	ok(pcfg_parse(&po, buf, n, &p, err, sizeof(err)) == -1 && strstr(err, "type"),
	   "pcfg-rejects-unknown-type");
	c.t[1].rec[0].type = 2;
	c.t[1].rec[0].addr = image_regs(2);
	n = pcfg_build(&c, 1, 0, buf, sizeof(buf));
	ok(pcfg_parse(&po, buf, n, &p, err, sizeof(err)) == -1, "pcfg-rejects-address-outside-image");
	c.t[1].rec[0].addr = 40107;
	n = pcfg_build(&c, 1, 0, buf, sizeof(buf));
	po.address_reference = 1;
	ok(pcfg_parse(&po, buf, n, &p, err, sizeof(err)) == -1, "pcfg-reference-mode-rejects-pdu-address");
	c.t[0].rec[0].addr = 40101;
	c.t[0].rec[1].addr = 40115;
	n = pcfg_build(&c, 1, 0, buf, sizeof(buf));
	ok(pcfg_parse(&po, buf, n, &p, err, sizeof(err)) == 0 && p.t[0].rec[0].addr == 100 &&
	   p.t[1].rec[0].addr == 106, "pcfg-reference-mode");
	po.address_reference = 0;
	c.t[0].client_id = 300;
	n = pcfg_build(&c, 1, 0, buf, sizeof(buf));
	ok(pcfg_parse(&po, buf, n, &p, err, sizeof(err)) == -1, "pcfg-rejects-client-id-over-255");
}

static void t_image(void)
{
	uint16_t r[2], regs[1200];
	struct meter_state m;
	struct img_opts o = { .stale_after_ns = 60000000000LL };
	uint16_t *s1 = regs + IMG_BASE;

	image_float(123456.0f, WO_ABCD, r);
	ok(r[0] == 0x47F1 && r[1] == 0x2000, "float-abcd-123456");
	image_float(123456.0f, WO_CDAB, r);
	ok(r[0] == 0x2000 && r[1] == 0x47F1, "float-cdab-123456");
	image_float(123456.0f, WO_BADC, r);
	ok(r[0] == 0xF147 && r[1] == 0x0020, "float-badc-123456");
	image_float(123456.0f, WO_DCBA, r);
	ok(r[0] == 0x0020 && r[1] == 0xF147, "float-dcba-123456");
	for (int wo = 0; wo < 4; wo++) {
		image_float(-12.5f, wo, r);
		ok(image_get_float(r, wo) == -12.5f, "float-roundtrip-%d", wo);
	}
	memset(&m, 0, sizeof(m));
	memset(regs, 0, sizeof(regs));
	m.present = m.have = 1;
	m.proto = HEATMETER_PROTO_CJT188;
	strcpy(m.address, "11110021098754");
	m.last.valid = 1u << HEATMETER_Q_SUPPLY_TEMP | 1u << HEATMETER_Q_ENERGY |
		       1u << HEATMETER_Q_VOLUME | 1u << HEATMETER_Q_RETURN_TEMP;
	m.last.values[HEATMETER_Q_SUPPLY_TEMP] = 75500;
	m.last.values[HEATMETER_Q_RETURN_TEMP] = 45250;
	m.last.values[HEATMETER_Q_ENERGY] = 1234567890;
	m.last.values[HEATMETER_Q_VOLUME] = 123456789;
	m.last_ok_ns = 1000;
	image_fill(regs, 1, &m, &o, 2000);
	ok(s1[0] == 0x4297 && s1[1] == 0, "image-40101-supply-75.5");
	ok(s1[6] == 0x408E && s1[7] == 0x38E3, "image-40107-energy-GJ");
	ok(s1[8] == 0x42F6 && s1[9] == 0xE9E0, "image-40109-volume-m3");
	ok(image_get_float(s1 + IMG_DIFF, 0) == 30.25f, "image-40105-diff-computed");
	ok(isnan(image_get_float(s1 + IMG_POWER, 0)), "image-unreported-is-nan");
	ok(s1[IMG_FAULT] == 0, "image-fault-ok");
	ok(s1[IMG_METER_NO] == 8754 && s1[16] == 0x0011 && s1[17] == 0x1100 &&
	   s1[18] == 0x2109 && s1[19] == 0x8754 && s1[IMG_ID_KIND] == 1,
	   "image-meter-number-last4-and-bcd");
	image_fill(regs, 1, &m, &o, 1000 + 61000000000LL);
	ok(s1[IMG_FAULT] == FAULT_STALE && s1[IMG_AGE] == 61 && s1[0] == 0x4297,
	   "image-stale-keeps-values");
	m.last_error = 110;
	m.present = 0;
	image_fill(regs, 1, &m, &o, 2000);
	ok(s1[IMG_FAULT] == (FAULT_STALE | FAULT_GONE | FAULT_NODATA) && s1[IMG_ERRNO] == 110,
	   "image-gone-fault-and-errno");
	m.present = 1;
	m.last_error = 0;
	m.last.flags = HEATMETER_RD_STATUS;
	m.last.status = 0x14;
	m.proto = HEATMETER_PROTO_MBUS;
	image_fill(regs, 3, &m, &o, 2000);
	ok(regs[1000 + IMG_BASE + IMG_FAULT] == (0x1400 | FAULT_METER | FAULT_BATTERY) &&
	   regs[1000 + IMG_BASE] == 0x4297 && regs[1000 + IMG_BASE + IMG_SYSTEM] == 3,
	   "image-system3-offset-1000-and-status");
	ok(image_regs(3) == 1000 + IMG_BASE + IMG_POINTS, "image-size");
}

static void t_spool(void)
{
	char dir[] = "/tmp/hmd-spool-XXXXXX", path[300];
	struct spool s;
	uint8_t b[64];
	const struct spool_ent *e;
	int good = 1, fd;

	if (!mkdtemp(dir)) {
		ok(0, "spool-tmpdir");
		return;
	}
	ok(spool_open(&s, dir, 1 << 20, 3600) == 0 && spool_pending(&s) == 0, "spool-open-empty");
	for (int i = 0; i < 100; i++) {
		b[0] = i;
		good &= spool_append(&s, 6, b, 1 + i % 40, 1000 + i) == (uint64_t)i + 1;
	}
	ok(good && spool_sync(&s) == 0, "spool-append-100");
	spool_close(&s);
	ok(spool_open(&s, dir, 1 << 20, 3600) == 0 && spool_pending(&s) == 100, "spool-reopen-100");
	e = spool_get(&s, 42, b, sizeof(b));
	ok(e && e->seq == 43 && e->len == 1 + 42 % 40 && b[0] == 42 && e->t_real == 1042 && e->a == 6,
	   "spool-get-record");
	ok(spool_ack(&s, 50) == 0 && spool_pending(&s) == 50, "spool-ack-50");
	spool_close(&s);
	ok(spool_open(&s, dir, 1 << 20, 3600) == 0 && spool_pending(&s) == 50 &&
	   spool_get(&s, 0, b, sizeof(b))->seq == 51, "spool-ack-persists");
	ok(spool_append(&s, 5, b, 4, 5000) == 101, "spool-seq-continues");
	spool_sync(&s);
	spool_close(&s);
	/* a torn record at the tail (crash mid-append): dropped, file truncated */
	snprintf(path, sizeof(path), "%s/spool", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	if (write(fd, "HMS1\x40\0\0\0garbage", 15) != 15)
		good = 0;
	close(fd);
	ok(spool_open(&s, dir, 1 << 20, 3600) == 0 && s.torn && spool_pending(&s) == 51,
	   "spool-torn-tail-truncated");
	/* a flipped bit in the last record: it fails its CRC */
	spool_close(&s);
	ok(spool_open(&s, dir, 400, 3600) == 0, "spool-reopen-small-bound");
	ok(spool_append(&s, 6, b, 40, 6000) && spool_pending(&s) < 52 && s.dropped > 0 &&
	   s.pending_bytes <= 400, "spool-size-bound-drops-oldest");
	{
		uint64_t d = s.dropped;

		spool_expire(&s, 6000 + 3601LL * 1000000000LL);
		ok(spool_pending(&s) == 0 && s.dropped > d, "spool-age-bound-drops");
	}
	ok(spool_ack(&s, s.next_seq - 1) == 0 && s.file_size == 0, "spool-empty-truncates");
	spool_close(&s);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path)) {}
}

static void t_config(void)
{
	static struct hmd_config c;
	char err[256], dir[] = "/tmp/hmd-cfg-XXXXXX", path[300];
	FILE *f;

	config_defaults(&c);
	ok(config_load_string(&c, "[modbus]\nport = 1502\nfloat_word_order = cdab\n"
			      "[platform]\nenable = true\nhost = 127.0.0.1\nport = 9000\n"
			      "crc_scope = auto\n[systems]\n1 = cjt188-11110021098754\n"
			      "3 = heatmeter2\nvendor_code.1 = 0100010001000100\n",
			      err, sizeof(err)) == 0 && c.mb_port == 1502 && c.word_order == WO_CDAB &&
	   c.crc_scope == -1 && c.systems == 3 && !strcmp(c.system_meter[3], "heatmeter2"),
	   "config-parse");
	config_defaults(&c);
	ok(config_load_string(&c, "[modbus]\nport = 70000\n", err, sizeof(err)) == -1 &&
	   strstr(err, "line 2"), "config-rejects-range");
	config_defaults(&c);
	ok(config_load_string(&c, "[modbus]\nprot = 1\n", err, sizeof(err)) == -1 &&
	   strstr(err, "unknown key"), "config-rejects-unknown-key");
	config_defaults(&c);
	ok(config_load_string(&c, "[platform]\nenable = yes\nhost = x\n", err, sizeof(err)) == -1 &&
	   strstr(err, "port is required"), "config-platform-port-required");
	config_defaults(&c);
	ok(config_load_string(&c, "[systems]\nvendor_code.1 = 12\n", err, sizeof(err)) == -1,
	   "config-rejects-bad-vendor-code");
	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/cred", dir);
	f = fopen(path, "w");
	fprintf(f, "id = s2b3mnx934xs\npassword = xd32cvj431kw\n");
	fclose(f);
	chmod(path, 0644);
	ok(config_load_credentials(&c, path, err, sizeof(err)) == -1, "credentials-0644-refused");
	chmod(path, 0600);
	ok(config_load_credentials(&c, path, err, sizeof(err)) == 0 &&
	   !strcmp(c.login_id, "s2b3mnx934xs"), "credentials-0600");
	f = fopen(path, "w");
	fprintf(f, "id = s2b3mnx934xs0\n");
	fclose(f);
	ok(config_load_credentials(&c, path, err, sizeof(err)) == -1, "credentials-over-12-bytes");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	t_codec();
	t_clock();
	t_pcfg();
	t_image();
	t_spool();
	t_config();
	return failed;
}
