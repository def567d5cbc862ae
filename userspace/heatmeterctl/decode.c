// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeterctl decode [--json] [--profile NAME] [--mode auto|cjt188|mbus]
 *                     [--subunit1] [FILE|-]
 * heatmeterctl decode --list-profiles
 *
 * Reads a hex dump (whitespace, newlines, FE preambles, '#' comments
 * allowed), finds the first frame with lib/'s framer and prints what it
 * says in human units, or with --json one JSON object whose keys carry
 * the unit (energy_kwh, ...). A bad frame prints the reason on stderr and
 * exits 1.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "heatmeterctl.h"
#include "cjt188.h"
#include "frame.h"
#include "hm_err.h"
#include "mbus.h"
#include "profile.h"
#include "reading.h"

#define MAX_INPUT 65536

static int read_hex(FILE *f, unsigned char *out, size_t *len)
{
	int c, hi = -1, comment = 0;
	size_t n = 0;

	while ((c = fgetc(f)) != EOF) {
		int v;

		if (comment) {
			comment = c != '\n';
			continue;
		}
		if (c == '#') {
			comment = 1;
			continue;
		}
		if (isspace(c) || c == ',' || c == ':')
			continue;
		if (c == 'x' || c == 'X') {
			/* "0x" prefix: the 0 was taken as a high nibble */
			if (hi == 0) {
				hi = -1;
				continue;
			}
			return -1;
		}
		if (!isxdigit(c))
			return -1;
		v = isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= MAX_INPUT)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return -1;
	*len = n;
	return 0;
}

/* the decoded frame as one object: identity, then quantities in units */
static struct json_object *to_json(const struct hm_identity *id,
				   const struct hm_profile *prof,
				   const struct hm_reading *rd)
{
	struct json_object *o = json_object_new_object();
	unsigned int q;
	char buf[40];

	if (id->protocol == HM_PROTO_CJT188) {
		json_object_object_add(o, "protocol", json_object_new_string("cjt188"));
		snprintf(buf, sizeof(buf), "0x%02x", id->meter_type);
		json_object_object_add(o, "meter_type", json_object_new_string(buf));
		json_object_object_add(o, "address", json_object_new_string(id->address));
		if (prof)
			json_object_object_add(o, "profile", json_object_new_string(prof->name));
	} else {
		json_object_object_add(o, "protocol", json_object_new_string("mbus"));
		json_object_object_add(o, "address", json_object_new_string(id->address));
	}
	if (id->id[0])
		json_object_object_add(o, "id", json_object_new_string(id->id));
	if (id->manufacturer[0])
		json_object_object_add(o, "manufacturer",
				       json_object_new_string(id->manufacturer));
	if (id->protocol == HM_PROTO_MBUS) {
		if (id->medium != 0xff) {
			json_object_object_add(o, "medium", json_object_new_string(
				hm_medium_name(id->medium)));
			json_object_object_add(o, "version", json_object_new_int(id->version));
		}
		if (id->fabrication[0])
			json_object_object_add(o, "fabrication",
					       json_object_new_string(id->fabrication));
	}
	for (q = 0; q < HM_Q_METER_TIME; q++)
		if (rd->valid & HM_QBIT(q))
			hmctl_json_fixed(o, hmctl_quantities[q].json, rd->values[q],
					 hmctl_quantities[q].shift);
	if (rd->valid & HM_QBIT(HM_Q_METER_TIME)) {
		const struct hm_datetime *t = &rd->meter_time;

		if (t->has_time)
			snprintf(buf, sizeof(buf), "%04u-%02u-%02uT%02u:%02u:%02u",
				 t->year, t->month, t->day, t->hour, t->minute,
				 t->second);
		else
			snprintf(buf, sizeof(buf), "%04u-%02u-%02u", t->year,
				 t->month, t->day);
		json_object_object_add(o, "meter_time", json_object_new_string(buf));
	}
	if (rd->flags & HM_RD_HAS_STATUS)
		json_object_object_add(o, "status", json_object_new_int64(rd->status));
	if (rd->flags & HM_RD_HIGHRES)
		json_object_object_add(o, "high_resolution", json_object_new_boolean(1));
	if (rd->flags & HM_RD_MORE_RECORDS)
		json_object_object_add(o, "more_records", json_object_new_boolean(1));
	return o;
}

/* text: "key value [unit]" lines, the same fields as the JSON */
static void print_text(struct json_object *o)
{
	unsigned int q;

	json_object_object_foreach(o, key, val) {
		const char *unit = "";

		for (q = 0; q < HM_Q_METER_TIME; q++)
			if (!strcmp(key, hmctl_quantities[q].json)) {
				key = (char *)hmctl_quantities[q].attr;
				unit = hmctl_quantities[q].unit;
			}
		printf("%-15s %s%s%s\n", key, json_object_get_string(val),
		       *unit ? " " : "", unit);
	}
}

static void list_profiles(void)
{
	unsigned int i;

	for (i = 0; i < hm_profile_count(); i++) {
		const struct hm_profile *p = hm_profile_get(i);

		printf("%-16s %-6s %s\n", p->name,
		       p->protocol == HM_PROTO_MBUS ? "mbus" : "cjt188",
		       p->description);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heatmeterctl decode [--json] [--profile NAME] [--mode auto|cjt188|mbus]\n"
		"                           [--subunit1] [FILE|-]\n"
		"       heatmeterctl decode --list-profiles\n");
}

int hmctl_decode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "subunit1", no_argument, NULL, 's' },
		{ "list-profiles", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static unsigned char in[MAX_INPUT];
	static struct hm_framer fr;
	const struct hm_profile *prof = NULL;
	enum hm_frame_mode mode = HM_MODE_AUTO;
	unsigned int mflags = 0;
	struct hm_frame_result res;
	struct hm_identity id;
	struct hm_reading rd;
	size_t len = 0, off = 0;
	FILE *f = stdin;
	struct json_object *o;
	int c, r, json = 0, found = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:m:sljh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			prof = hm_profile_find(optarg);
			if (!prof) {
				fprintf(stderr, "decode: unknown profile '%s' (see --list-profiles)\n",
					optarg);
				return 2;
			}
			break;
		case 'm':
			if (!strcmp(optarg, "auto"))
				mode = HM_MODE_AUTO;
			else if (!strcmp(optarg, "cjt188"))
				mode = HM_MODE_CJT188;
			else if (!strcmp(optarg, "mbus"))
				mode = HM_MODE_MBUS;
			else {
				usage(stderr);
				return 2;
			}
			break;
		case 's':
			mflags |= HM_MBUS_DF_SUBUNIT1;
			break;
		case 'j':
			json = 1;
			break;
		case 'l':
			list_profiles();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && strcmp(argv[optind], "-")) {
		f = fopen(argv[optind], "r");
		if (!f) {
			perror(argv[optind]);
			return 2;
		}
	}
	r = read_hex(f, in, &len);
	if (f != stdin)
		fclose(f);
	if (r) {
		fprintf(stderr, "decode: input is not a hex dump\n");
		return 2;
	}
	hm_framer_init(&fr, mode);
	while (!found) {
		off += hm_framer_push(&fr, in + off, NULL, len - off, &res);
		if (res.len) {
			found = 1;
			break;
		}
		if (off >= len) {
			if (!hm_framer_midframe(&fr))
				break;
			/* end of input: treat as the inter-byte timeout */
			hm_framer_timeout(&fr);
		}
	}
	if (!found) {
		fprintf(stderr, "decode: no frame found (%s)\n",
			fr.stats.truncated ? hm_strerror(-HM_ETRUNC) :
					     "no start byte");
		return 1;
	}
	if (res.status) {
		fprintf(stderr, "decode: bad %s frame: %s\n",
			hm_frame_type_name(res.type), hm_strerror(res.status));
		return 1;
	}
	switch (res.type) {
	case HM_FRAME_CJT188:
		r = hm_cjt188_decode(res.data, res.len, prof, &id, &rd);
		if (!prof && !r)
			prof = hm_profile_match(res.data, res.len);
		break;
	case HM_FRAME_MBUS_LONG:
		r = hm_mbus_decode(res.data, res.len, mflags, &id, &rd);
		break;
	default:
		o = json_object_new_object();
		json_object_object_add(o, "protocol", json_object_new_string("mbus"));
		json_object_object_add(o, "frame", json_object_new_string(
			hm_frame_type_name(res.type)));
		if (json)
			hmctl_json_print(o);
		else
			print_text(o);
		json_object_put(o);
		return 0;
	}
	if (r) {
		fprintf(stderr, "decode: %s frame: %s\n",
			hm_frame_type_name(res.type), hm_strerror(r));
		return 1;
	}
	o = to_json(&id, prof, &rd);
	if (json)
		hmctl_json_print(o);
	else
		print_text(o);
	json_object_put(o);
	return 0;
}
