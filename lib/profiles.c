// SPDX-License-Identifier: GPL-2.0
/*
 * profiles.c - vendor profiles (constant data only).
 *
 * Sources: CJ/T 188-2004 tables 12/13, the Delu verification protocol
 * (reference/delu-verification-protocol.zh.txt) and public bench software
 * as summarized in PROTOCOLS.md.
 */
#include "profile.h"
#include "hm_shim.h"

/* 4-byte BCD value + unit byte directly after it */
#define FU(q, off, dec) \
	{ (q), (off), 4, HM_ENC_BCD, (dec), HM_USRC_NEXT, 0, 0 }
#define FUS(q, off, dec) \
	{ (q), (off), 4, HM_ENC_BCD, (dec), HM_USRC_NEXT, 0, \
	  HM_FF_SIGN80 }
/* not reported, unit byte after it takes the units of quantity @uq */
#define FUI(uq, off, dec) \
	{ HM_FIELD_IGNORE, (off), 4, HM_ENC_BCD, (dec), HM_USRC_NEXT, (uq), 0 }
/* fixed unit */
#define FX(q, off, n, dec, u, fl) \
	{ (q), (off), (n), HM_ENC_BCD, (dec), HM_USRC_FIXED, (u), (fl) }
#define FE(q, off, n, enc) \
	{ (q), (off), (n), (enc), 0, HM_USRC_FIXED, HM_UNIT_NONE, 0 }

/* CJ/T 188-2004 DI 901F heat reply (L = 0x2E), offsets after SER */
static const struct hm_field std_heat_fields[] = {
	FUI(HM_Q_ENERGY, 0, 2),			/* settlement-day heat */
	FU(HM_Q_ENERGY, 5, 2),
	FUS(HM_Q_POWER, 10, 2),
	FUS(HM_Q_FLOW, 15, 4),
	FU(HM_Q_VOLUME, 20, 2),
	FX(HM_Q_SUPPLY_TEMP, 25, 3, 2, HM_UNIT_CELSIUS, HM_FF_SIGN80),
	FX(HM_Q_RETURN_TEMP, 28, 3, 2, HM_UNIT_CELSIUS, HM_FF_SIGN80),
	FX(HM_Q_OPERATING_TIME, 31, 3, 0, HM_UNIT_HOUR, 0),
	FE(HM_Q_METER_TIME, 34, 7, HM_ENC_DATETIME),
	FE(HM_FIELD_STATUS, 41, 2, HM_ENC_STATUS),
};

/* DI 901F water reply (L = 0x16) */
static const struct hm_field std_water_fields[] = {
	FU(HM_Q_VOLUME, 0, 2),
	FUI(HM_Q_VOLUME, 5, 2),			/* settlement-day volume */
	FE(HM_Q_METER_TIME, 10, 7, HM_ENC_DATETIME),
	FE(HM_FIELD_STATUS, 17, 2, HM_ENC_STATUS),
};

/* Delu mechanical: 901F layout, flow and operating time with 2 decimals */
static const struct hm_field delu_mech_fields[] = {
	FUI(HM_Q_ENERGY, 0, 2),
	FU(HM_Q_ENERGY, 5, 2),
	FU(HM_Q_POWER, 10, 2),
	FU(HM_Q_FLOW, 15, 2),
	FU(HM_Q_VOLUME, 20, 2),
	FX(HM_Q_SUPPLY_TEMP, 25, 3, 2, HM_UNIT_CELSIUS, 0),
	FX(HM_Q_RETURN_TEMP, 28, 3, 2, HM_UNIT_CELSIUS, 0),
	FX(HM_Q_OPERATING_TIME, 31, 3, 2, HM_UNIT_HOUR, 0),
	FE(HM_Q_METER_TIME, 34, 7, HM_ENC_DATETIME),
	FE(HM_FIELD_STATUS, 41, 2, HM_ENC_STATUS),
};

/* Delu ultrasonic DI 903F (sent 3F 90) high-resolution reply, L = 0x3A */
static const struct hm_field delu_us_fields[] = {
	FX(HM_Q_SUPPLY_TEMP, 0, 3, 2, HM_UNIT_CELSIUS, 0),
	FU(HM_Q_VOLUME, 6, 6),
	FU(HM_Q_ENERGY, 11, 4),
	FE(HM_FIELD_ID, 28, 4, HM_ENC_ID_BCD),
	FX(HM_Q_RETURN_TEMP, 46, 3, 2, HM_UNIT_CELSIUS, 0),
};

/* HuiZhong: standard 901F layout with BCD most significant byte first */
#define FUM(q, off, dec) \
	{ (q), (off), 4, HM_ENC_BCD_MSB, (dec), HM_USRC_NEXT, 0, 0 }
static const struct hm_field huizhong_fields[] = {
	FUM(HM_FIELD_IGNORE, 0, 2),
	FUM(HM_Q_ENERGY, 5, 2),
	FUM(HM_Q_POWER, 10, 2),
	FUM(HM_Q_FLOW, 15, 4),
	FUM(HM_Q_VOLUME, 20, 2),
	{ HM_Q_SUPPLY_TEMP, 25, 3, HM_ENC_BCD_MSB, 2, HM_USRC_FIXED,
	  HM_UNIT_CELSIUS, 0 },
	{ HM_Q_RETURN_TEMP, 28, 3, HM_ENC_BCD_MSB, 2, HM_USRC_FIXED,
	  HM_UNIT_CELSIUS, 0 },
	{ HM_Q_OPERATING_TIME, 31, 3, HM_ENC_BCD_MSB, 0, HM_USRC_FIXED,
	  HM_UNIT_HOUR, 0 },
	FE(HM_FIELD_STATUS, 41, 2, HM_ENC_STATUS),
};

static const struct hm_layout std_layouts[] = {
	{
		.di = { 0x90, 0x1f }, .reply_c = 0x81, .min_l = 0x2e,
		.type_min = 0x20, .type_max = 0x29,
		.flags = HM_LF_DI_EITHER | HM_LF_UNIT_SWAP,
		.nfields = HM_ARRAY_SIZE(std_heat_fields), .fields = std_heat_fields,
	},
	{
		.di = { 0x90, 0x1f }, .reply_c = 0x81, .min_l = 0x16,
		.type_min = 0x10, .type_max = 0x19,
		.flags = HM_LF_DI_EITHER | HM_LF_UNIT_SWAP,
		.nfields = HM_ARRAY_SIZE(std_water_fields), .fields = std_water_fields,
	},
};

static const struct hm_layout delu_us_layouts[] = {
	{
		.di = { 0x3f, 0x90 }, .reply_c = 0x81, .min_l = 0x3a,
		.type_min = 0x20, .type_max = 0x29,
		.flags = HM_LF_HIGHRES,
		.nfields = HM_ARRAY_SIZE(delu_us_fields), .fields = delu_us_fields,
	},
	{
		.di = { 0x90, 0x1f }, .reply_c = 0x81, .min_l = 0x2e,
		.type_min = 0x20, .type_max = 0x29,
		.flags = HM_LF_DI_EITHER | HM_LF_UNIT_SWAP | HM_LF_NO_AUTO,
		.nfields = HM_ARRAY_SIZE(std_heat_fields), .fields = std_heat_fields,
	},
};

static const struct hm_layout delu_mech_layouts[] = {
	{
		.di = { 0x90, 0x1f }, .reply_c = 0x81, .min_l = 0x2e,
		.type_min = 0x20, .type_max = 0x29,
		.flags = HM_LF_HIGHRES,
		.nfields = HM_ARRAY_SIZE(delu_mech_fields), .fields = delu_mech_fields,
	},
};

static const struct hm_layout huizhong_layouts[] = {
	{
		.di = { 0x90, 0x1f }, .reply_c = 0x81, .min_l = 0x2e,
		.type_min = 0x20, .type_max = 0x29,
		.flags = HM_LF_DI_EITHER,
		.nfields = HM_ARRAY_SIZE(huizhong_fields), .fields = huizhong_fields,
	},
};

#define CJT(c, n, fl, ...) \
	{ HM_PROTO_CJT188, (c), 0, (n), (fl), { __VA_ARGS__ } }
#define MBUS(c, ci, n, fl, ...) \
	{ HM_PROTO_MBUS, (c), (ci), (n), (fl), { __VA_ARGS__ } }
#define NONE { HM_PROTO_NONE, 0, 0, 0, 0, { 0 } }

#define WIRE_2400E(pre) { 2400, 'E', 8, 1, (pre), 0, 0, 0, 0, 0, 0 }

static const struct hm_profile hm_profiles[] = {
	{
		.name = "delu-ultrasonic",
		.description = "Delu ultrasonic heat meter, optical port (DI 903F high-res)",
		.protocol = HM_PROTO_CJT188,
		.wire = { 2400, 'E', 8, 1, 4, 9600, 0xfe, 210, 0, 0, 0 },
		.req_type = 0x20,
		.read = CJT(0x01, 3, 0, 0x90, 0x1f, 0x00),
		.read_highres = CJT(0x01, 3, 0, 0x3f, 0x90, 0x03),
		.read_address = CJT(0x03, 3, 0, 0x81, 0x0a, 0x00),
		.test_enter = CJT(0x33, 0, HM_CMD_STATE, 0),
		.test_exit = NONE,
		.sim_flow = NONE,
		.zero = NONE,
		.nlayouts = HM_ARRAY_SIZE(delu_us_layouts),
		.layouts = delu_us_layouts,
	},
	{
		.name = "delu-mechanical",
		.description = "Delu mechanical heat meter (901F, 2-decimal flow and hours)",
		.protocol = HM_PROTO_CJT188,
		.wire = WIRE_2400E(4),
		.req_type = 0x20,
		.read = CJT(0x01, 3, 0, 0x90, 0x1f, 0x01),
		.read_highres = CJT(0x01, 3, 0, 0x90, 0x1f, 0x01),
		.read_address = CJT(0x03, 3, 0, 0x81, 0x0a, 0x00),
		.test_enter = CJT(0x33, 0, HM_CMD_STATE, 0),
		.test_exit = NONE,
		.sim_flow = NONE,
		.zero = CJT(0x24, 3, HM_CMD_STATE | HM_CMD_DESTRUCTIVE,
			    0xa0, 0x0e, 0x01),
		.flags = HM_PF_NO_AUTO,
		.nlayouts = HM_ARRAY_SIZE(delu_mech_layouts),
		.layouts = delu_mech_layouts,
	},
	{
		.name = "lichuang",
		.description = "LiChuang LCR-U heat meter (high-res reply C=A1 not decoded)",
		.protocol = HM_PROTO_CJT188,
		.wire = WIRE_2400E(3),
		.req_type = 0x20,
		.read = CJT(0x01, 3, 0, 0x90, 0x1f, 0x00),
		.read_highres = CJT(0x21, 3, 0, 0x61, 0x0a, 0x00),
		.read_address = CJT(0x03, 3, 0, 0x81, 0x0a, 0x00),
		.test_enter = MBUS(0x53, 0x50, 1, HM_CMD_STATE | HM_CMD_ACK_E5,
				   0x90),
		.test_exit = NONE,
		.sim_flow = NONE,
		.zero = NONE,
		.flags = HM_PF_NO_AUTO,
		.nlayouts = HM_ARRAY_SIZE(std_layouts),
		.layouts = std_layouts,
	},
	{
		.name = "huizhong",
		.description = "HuiZhong heat meter (BCD most significant byte first)",
		.protocol = HM_PROTO_CJT188,
		.wire = WIRE_2400E(3),
		.req_type = 0x20,
		.read = CJT(0x01, 3, 0, 0x90, 0x1f, 0x00),
		.read_highres = CJT(0x3a, 3, 0, 0x2a, 0x49, 0x06),
		.read_address = CJT(0x03, 3, 0, 0x81, 0x0a, 0x00),
		.test_enter = CJT(0x3b, 4, HM_CMD_STATE, 0xb2, 0x6c, 0x01, 0x01),
		.test_exit = CJT(0x3b, 4, HM_CMD_STATE, 0xb2, 0x6c, 0x01, 0x00),
		.sim_flow = NONE,
		.zero = NONE,
		.flags = HM_PF_NO_AUTO,
		.nlayouts = HM_ARRAY_SIZE(huizhong_layouts),
		.layouts = huizhong_layouts,
	},
	{
		.name = "tiangang-mbus",
		.description = "Tiangang heat meter, EN 13757 framing (26831 protocol)",
		.protocol = HM_PROTO_MBUS,
		.wire = { 2400, 'E', 8, 1, 0, 0, 0x00, 400, 0, 0, 0 },
		.req_type = 0x20,
		.read = MBUS(0x5b, 0, 0, 0),
		.read_highres = MBUS(0x53, 0x51, 4, 0, 0x0f, 0x09, 0x00, 0x04),
		.read_address = NONE,
		.test_enter = MBUS(0x53, 0x50, 1, HM_CMD_STATE | HM_CMD_ACK_E5,
				   0x90),
		.test_exit = NONE,
		.sim_flow = NONE,
		.zero = NONE,
		.flags = HM_PF_NO_AUTO,
		.nlayouts = 0,
		.layouts = NULL,
	},
	{
		.name = "ade-mbus",
		.description = "ADE heat meter, EN 13757 framing, optical wake-up",
		.protocol = HM_PROTO_MBUS,
		.wire = { 2400, 'E', 8, 1, 0, 0, 0x55, 200, 0xff, 10, 1300 },
		.req_type = 0x20,
		.read = MBUS(0x5b, 0, 0, 0),
		.read_highres = MBUS(0x5b, 0, 0, 0),
		.read_address = NONE,
		.test_enter = MBUS(0x53, 0x50, 1, HM_CMD_STATE | HM_CMD_ACK_E5,
				   0x90),
		.test_exit = MBUS(0x53, 0x50, 1, HM_CMD_STATE | HM_CMD_ACK_E5,
				  0x00),
		.sim_flow = NONE,
		.zero = NONE,
		.flags = HM_PF_NO_AUTO,
		.nlayouts = 0,
		.layouts = NULL,
	},
	{
		.name = "cjt188",
		.description = "CJ/T 188-2004 standard 901F (any DI order, unit before/after)",
		.protocol = HM_PROTO_CJT188,
		.wire = WIRE_2400E(3),
		.req_type = 0x20,
		.read = CJT(0x01, 3, 0, 0x90, 0x1f, 0x00),
		.read_highres = NONE,
		.read_address = CJT(0x03, 3, 0, 0x81, 0x0a, 0x00),
		.test_enter = NONE,
		.test_exit = NONE,
		.sim_flow = NONE,
		.zero = NONE,
		.nlayouts = HM_ARRAY_SIZE(std_layouts),
		.layouts = std_layouts,
	},
};

unsigned int hm_profile_count(void)
{
	return HM_ARRAY_SIZE(hm_profiles);
}

const struct hm_profile *hm_profile_get(unsigned int idx)
{
	return idx < HM_ARRAY_SIZE(hm_profiles) ? &hm_profiles[idx] : NULL;
}

const struct hm_profile *hm_profile_default(void)
{
	return &hm_profiles[HM_ARRAY_SIZE(hm_profiles) - 1];
}

const struct hm_profile *hm_profile_find(const char *name)
{
	unsigned int i;

	if (!name)
		return NULL;
	for (i = 0; i < HM_ARRAY_SIZE(hm_profiles); i++)
		if (!strcmp(hm_profiles[i].name, name))
			return &hm_profiles[i];
	return NULL;
}

const struct hm_layout *hm_profile_find_layout(const struct hm_profile *prof,
					       u8 c, u8 t, const u8 *di, u8 l)
{
	unsigned int i;

	for (i = 0; i < prof->nlayouts; i++) {
		const struct hm_layout *lo = &prof->layouts[i];
		bool di_ok = di[0] == lo->di[0] && di[1] == lo->di[1];

		if (!di_ok && (lo->flags & HM_LF_DI_EITHER))
			di_ok = di[0] == lo->di[1] && di[1] == lo->di[0];
		if (di_ok && c == lo->reply_c && l >= lo->min_l &&
		    t >= lo->type_min && t <= lo->type_max)
			return lo;
	}
	return NULL;
}

const struct hm_profile *hm_profile_match(const u8 *frame, size_t len)
{
	unsigned int i;

	if (len < 16)
		return hm_profile_default();
	for (i = 0; i < HM_ARRAY_SIZE(hm_profiles); i++) {
		const struct hm_profile *p = &hm_profiles[i];
		const struct hm_layout *lo;

		if (p->flags & HM_PF_NO_AUTO || p->protocol != HM_PROTO_CJT188)
			continue;
		lo = hm_profile_find_layout(p, frame[9], frame[1], frame + 11,
					    frame[10]);
		if (lo && !(lo->flags & HM_LF_NO_AUTO))
			return p;
	}
	return hm_profile_default();
}
