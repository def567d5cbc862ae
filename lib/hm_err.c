// SPDX-License-Identifier: GPL-2.0
/*
 * hm_err.c - error strings and small shared helpers of lib/.
 */
#include "hm_err.h"
#include "hm_shim.h"
#include "reading.h"

static const char * const hm_err_str[HM_ERR_COUNT] = {
	[HM_OK] = "success",
	[HM_EINVAL] = "invalid argument",
	[HM_ENOSPC] = "buffer too small",
	[HM_EBADCS] = "checksum error",
	[HM_EPARITY] = "parity error in frame",
	[HM_EFRAMING] = "framing error in frame",
	[HM_EOVERRUN] = "receiver overrun in frame",
	[HM_EBREAK] = "break in frame",
	[HM_ETRUNC] = "truncated frame or record",
	[HM_ELENGTH] = "bad length",
	[HM_ESTOP] = "bad stop byte",
	[HM_EFORMAT] = "malformed frame content",
	[HM_EBCD] = "invalid BCD digit",
	[HM_EOVERFLOW] = "value overflows 64 bits",
	[HM_EUNSUPPORTED] = "unsupported frame or record",
	[HM_ETOOMANY] = "too many extension bytes or records",
	[HM_EMETERERR] = "meter reported an error",
	[HM_EALARM] = "meter reported an alarm",
	[HM_EBUSY] = "meter application busy",
	[HM_EUNIT] = "unknown or unexpected unit",
	[HM_ENOENT] = "no such profile or layout",
	[HM_EPROTO] = "unexpected frame type or direction",
	[HM_ENOTSUPP] = "command not available for this profile",
};

const char *hm_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= HM_ERR_COUNT)
		return "unknown error";
	return hm_err_str[err];
}

void hm_reading_init(struct hm_reading *rd)
{
	memset(rd, 0, sizeof(*rd));
}

void hm_identity_init(struct hm_identity *id)
{
	memset(id, 0, sizeof(*id));
	id->medium = 0xff;
}

static const char * const hm_qnames[HM_Q_COUNT] = {
	[HM_Q_ENERGY] = "energy",
	[HM_Q_COOLING_ENERGY] = "cooling_energy",
	[HM_Q_VOLUME] = "volume",
	[HM_Q_POWER] = "power",
	[HM_Q_FLOW] = "flow",
	[HM_Q_SUPPLY_TEMP] = "supply_temp",
	[HM_Q_RETURN_TEMP] = "return_temp",
	[HM_Q_TEMP_DIFF] = "temp_diff",
	[HM_Q_OPERATING_TIME] = "operating_time",
	[HM_Q_METER_TIME] = "meter_time",
};

const char *hm_quantity_name(unsigned int q)
{
	return q < HM_Q_COUNT ? hm_qnames[q] : "?";
}

static const char * const hm_media[] = {
	"other", "oil", "electricity", "gas", "heat", "steam", "warm water",
	"water", "heat cost allocator", "compressed air", "cooling (outlet)",
	"cooling (inlet)", "heat (inlet)", "heat/cooling", "bus/system",
	"unknown", "irrigation water", "water data logger", "gas data logger",
	"gas converter", "calorific value", "hot water", "cold water",
	"dual water", "pressure", "a/d converter",
};

const char *hm_medium_name(u8 medium)
{
	if (medium < HM_ARRAY_SIZE(hm_media))
		return hm_media[medium];
	return medium == 0xff ? "unknown" : "reserved";
}
