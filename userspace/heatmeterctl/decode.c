// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeterctl decode [--profile NAME] [--mode auto|cjt188|mbus]
 *                     [--subunit1] [FILE|-]
 * heatmeterctl decode --list-profiles
 *
 * Reads a hex dump (whitespace, newlines, FE preambles, '#' comments
 * allowed), finds the first frame with lib/'s framer and prints one JSON
 * object in the driver's units. A bad frame prints the reason on stderr
 * and exits 1.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void json_str(const char *key, const char *s, int *first)
{
	printf("%s\"%s\": \"", *first ? "" : ", ", key);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
	*first = 0;
}

static void json_num(const char *key, long long v, int *first)
{
	printf("%s\"%s\": %lld", *first ? "" : ", ", key, v);
	*first = 0;
}

static void print_reading(const struct hm_reading *rd, int *first)
{
	unsigned int q;
	char buf[40];

	for (q = 0; q < HM_Q_COUNT; q++) {
		if (!(rd->valid & HM_QBIT(q)))
			continue;
		if (q == HM_Q_METER_TIME) {
			const struct hm_datetime *t = &rd->meter_time;

			if (t->has_time)
				snprintf(buf, sizeof(buf),
					 "%04u-%02u-%02uT%02u:%02u:%02u",
					 t->year, t->month, t->day, t->hour,
					 t->minute, t->second);
			else
				snprintf(buf, sizeof(buf), "%04u-%02u-%02u",
					 t->year, t->month, t->day);
			json_str("meter_time", buf, first);
			continue;
		}
		json_num(hm_quantity_name(q), (long long)rd->values[q], first);
	}
	if (rd->flags & HM_RD_HAS_STATUS)
		json_num("status", rd->status, first);
	if (rd->flags & HM_RD_HIGHRES) {
		printf(", \"high_resolution\": true");
	}
	if (rd->flags & HM_RD_MORE_RECORDS)
		printf(", \"more_records\": true");
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
		"usage: heatmeterctl decode [--profile NAME] [--mode auto|cjt188|mbus]\n"
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
	int c, r, first = 1, found = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:m:slh", opts, NULL)) != -1) {
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
		printf("{\"protocol\": \"mbus\", \"frame\": \"%s\"}\n",
		       hm_frame_type_name(res.type));
		return 0;
	}
	if (r) {
		fprintf(stderr, "decode: %s frame: %s\n",
			hm_frame_type_name(res.type), hm_strerror(r));
		return 1;
	}
	printf("{");
	if (id.protocol == HM_PROTO_CJT188) {
		char mt[8];

		json_str("protocol", "cjt188", &first);
		snprintf(mt, sizeof(mt), "0x%02x", id.meter_type);
		json_str("meter_type", mt, &first);
		json_str("address", id.address, &first);
		if (prof)
			json_str("profile", prof->name, &first);
	} else {
		json_str("protocol", "mbus", &first);
		json_str("address", id.address, &first);
	}
	if (id.id[0])
		json_str("id", id.id, &first);
	if (id.manufacturer[0])
		json_str("manufacturer", id.manufacturer, &first);
	if (id.protocol == HM_PROTO_MBUS) {
		if (id.medium != 0xff) {
			json_str("medium", hm_medium_name(id.medium), &first);
			json_num("version", id.version, &first);
		}
		if (id.fabrication[0])
			json_str("fabrication", id.fabrication, &first);
	}
	print_reading(&rd, &first);
	printf("}\n");
	return 0;
}
