// SPDX-License-Identifier: GPL-2.0
/*
 * hmsim - meter configuration: profiles, key=value settings, vectors and
 * the builtin demo line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "hmsim.h"
#include "sim.h"

static const char *const profile_names[] = {
	[PR_CJT188] = "cjt188",
	[PR_DELU_US] = "delu-ultrasonic",
	[PR_DELU_MECH] = "delu-mechanical",
	[PR_LICHUANG] = "lichuang",
	[PR_TIANGANG] = "tiangang-mbus",
	[PR_MBUS] = "mbus",
};

const char *profile_name(enum profile p)
{
	return profile_names[p];
}

static const char *const qty_names[Q_COUNT] = {
	[Q_ENERGY] = "energy",
	[Q_SETTLE] = "settlement_energy",
	[Q_VOLUME] = "volume",
	[Q_POWER] = "power",
	[Q_FLOW] = "flow",
	[Q_SUPPLY] = "supply_temp",
	[Q_RETURN] = "return_temp",
	[Q_TDIFF] = "temp_diff",
	[Q_OPTIME] = "operating_time",
};

static const char *const fld_names[CF_COUNT] = {
	[CF_SETTLE] = "settlement_energy", [CF_ENERGY] = "energy",
	[CF_POWER] = "power", [CF_FLOW] = "flow", [CF_VOLUME] = "volume",
	[CF_SUPPLY] = "supply_temp", [CF_RETURN] = "return_temp",
	[CF_OPTIME] = "operating_time",
};

#define GENERIC_RECORDS "0C78/0C06/0C14/0C2B/0C3B/0A5A/0A5E/0B61/0C22/046D"
#define TIANGANG_TEST_RECORDS "0C03/0C11/0B59/0B5D"

static const struct cj_field std_fields[CF_COUNT] = {
	[CF_SETTLE] = { 4, 2, 0x05, -1 },
	[CF_ENERGY] = { 4, 2, 0x05, -1 },
	[CF_POWER] = { 4, 2, 0x17, -1 },
	[CF_FLOW] = { 4, 4, 0x35, -1 },
	[CF_VOLUME] = { 4, 2, 0x2C, -1 },
	[CF_SUPPLY] = { 3, 2, -1, -1 },
	[CF_RETURN] = { 3, 2, -1, -1 },
	[CF_OPTIME] = { 3, 0, -1, -1 },
};

/* Delu mechanical high-resolution 901F (delu-verification-protocol) */
static const struct cj_field delu_mech_fields[CF_COUNT] = {
	[CF_SETTLE] = { 4, 2, 0x05, 0x05 },
	[CF_ENERGY] = { 4, 2, 0x02, -1 },
	[CF_POWER] = { 4, 2, 0x17, 0x05 },
	[CF_FLOW] = { 4, 2, 0x35, -1 },
	[CF_VOLUME] = { 4, 2, 0x29, -1 },
	[CF_SUPPLY] = { 3, 2, -1, -1 },
	[CF_RETURN] = { 3, 2, -1, -1 },
	[CF_OPTIME] = { 3, 2, -1, -1 },
};

static int set_records(struct meter *m, bool test, const char *s, char *err,
		       size_t errlen)
{
	int n = mrecs_parse(s, test ? m->trec : m->rec, MAX_RECORDS, err,
			    errlen);

	if (n < 0)
		return -1;
	if (test)
		m->ntrec = n;
	else
		m->nrec = n;
	return 0;
}

/* set profile defaults; keeps values, address and faults */
static int apply_profile(struct meter *m, enum profile p)
{
	char err[128];

	m->profile = p;
	m->proto = (p == PR_TIANGANG || p == PR_MBUS) ? P_MBUS : P_CJT188;
	memcpy(m->fld, p == PR_DELU_MECH ? delu_mech_fields : std_fields,
	       sizeof(m->fld));
	m->type = 0x20;
	m->reply_type = 0x20;
	m->di_order = 0;
	m->ser = -1;
	m->preamble = 2;
	m->filler = 0xFF;
	m->strict_test_mode = false;
	switch (p) {
	case PR_DELU_US:
		m->reply_type = 0x25;
		m->di_order = 2;
		m->ser = 0x01;
		m->preamble = 6;
		m->filler = 0x33;
		m->strict_test_mode = true;
		break;
	case PR_DELU_MECH:
		m->di_order = 1;
		m->preamble = 5;
		m->filler = 0x33;
		break;
	case PR_LICHUANG:
		m->di_order = 1;
		break;
	default:
		break;
	}
	m->nrec = m->ntrec = 0;
	if (m->proto == P_MBUS) {
		set_records(m, false, GENERIC_RECORDS, err, sizeof(err));
		if (p == PR_TIANGANG)
			set_records(m, true, TIANGANG_TEST_RECORDS, err,
				    sizeof(err));
	}
	return 0;
}

void meter_init(struct meter *m, int idx)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "m%d", idx);
	memset(m->addr, 0, sizeof(m->addr));
	m->primary = 1;
	snprintf(m->id, sizeof(m->id), "00000000");
	m->man = man_code("HMS");
	m->version = 1;
	m->medium = 0x04;
	m->latency_ms = -1;
	m->time_now = true;
	m->date_hy = true;
	m->telegrams = 1;
	m->due_storage = 1;
	m->bauds = 1 << 0 | 1 << 3 | 1 << 5;	/* 300, 2400, 9600 */
	m->baud_watchdog_s = 30;
	apply_profile(m, PR_CJT188);
}

static int parse_profile(const char *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(profile_names); i++)
		if (!strcasecmp(s, profile_names[i]))
			return (int)i;
	if (!strcasecmp(s, "standard") || !strcasecmp(s, "cjt188-standard"))
		return PR_CJT188;
	if (!strcasecmp(s, "generic") || !strcasecmp(s, "generic-mbus") ||
	    !strcasecmp(s, "tiangang"))
		return !strcasecmp(s, "tiangang") ? PR_TIANGANG : PR_MBUS;
	return -1;
}

static bool parse_num(const char *s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 0);
	return !errno && end != s && *end == 0;
}

static const char *const fault_names[] = {
	[F_NONE] = "none", [F_CHECKSUM] = "checksum", [F_STOP] = "stop",
	[F_TRUNCATE] = "truncate", [F_SILENCE] = "silence",
	[F_GARBAGE_BEFORE] = "garbage-before",
	[F_GARBAGE_AFTER] = "garbage-after", [F_GARBAGE] = "garbage",
	[F_ECHO] = "echo", [F_COLLISION] = "collision",
	[F_PARITY] = "parity", [F_SLOW] = "slow", [F_VANISH] = "vanish",
	[F_GLITCH] = "glitch", [F_E5_TRAIL] = "e5-trail",
};

const char *fault_name(enum fault_kind k)
{
	return fault_names[k];
}

/* KIND[:every|once|N] (vanish: vanish[:N] = silent after N replies) */
int fault_parse(const char *s, struct fault *f, char *err, size_t errlen)
{
	char buf[64], *arg;
	size_t i;
	long long n;

	snprintf(buf, sizeof(buf), "%s", s);
	arg = strchr(buf, ':');
	if (arg)
		*arg++ = 0;
	memset(f, 0, sizeof(*f));
	for (i = 1; i < ARRAY_SIZE(fault_names); i++)
		if (!strcasecmp(buf, fault_names[i]))
			f->kind = (enum fault_kind)i;
	if (!strcasecmp(buf, "bad-checksum") || !strcasecmp(buf, "cs"))
		f->kind = F_CHECKSUM;
	if (!strcasecmp(buf, "bad-stop"))
		f->kind = F_STOP;
	if (!strcasecmp(buf, "truncation"))
		f->kind = F_TRUNCATE;
	if (f->kind == F_NONE) {
		snprintf(err, errlen, "unknown fault '%s'", buf);
		return -1;
	}
	f->mode = FM_EVERY;
	if (f->kind == F_VANISH) {
		f->n = 0;
		if (arg && !parse_num(arg, &n)) {
			snprintf(err, errlen, "vanish wants a number: '%s'", s);
			return -1;
		}
		if (arg)
			f->n = (long)n;
		return 0;
	}
	if (!arg || !strcasecmp(arg, "every") || !strcasecmp(arg, "always"))
		return 0;
	if (!strcasecmp(arg, "once")) {
		f->mode = FM_ONCE;
		return 0;
	}
	if (parse_num(arg, &n) && n > 0) {
		f->mode = FM_NTH;
		f->n = (long)n;
		return 0;
	}
	snprintf(err, errlen, "bad fault mode in '%s'", s);
	return -1;
}

static int parse_time(const char *s, struct meter *m)
{
	struct tm tm;

	if (!strcasecmp(s, "now")) {
		m->time_now = true;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%d%*[T ]%d:%d:%d", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	m->clock = tm;
	m->time_now = false;
	return 0;
}

static int parse_address(const char *s, u8 *addr)
{
	char d[15];
	int i, n = 0;

	for (; *s && n < 15; s++)
		if (isxdigit((unsigned char)*s))
			d[n++] = *s;
	if (n != 14 || *s)
		return -1;
	d[14] = 0;
	/* A6..A0 as written; A0 first on the wire */
	for (i = 0; i < 7; i++) {
		u8 b;

		if (hex_parse((char[]){ d[2 * i], d[2 * i + 1], 0 }, &b, 1) != 1)
			return -1;
		addr[6 - i] = b;
	}
	return 0;
}

/* one key=value for a meter */
int meter_set(struct meter *m, const char *key, const char *val, char *err,
	      size_t errlen)
{
	long long n;
	int i;
	bool num = parse_num(val, &n);

	for (i = 0; i < Q_COUNT; i++) {
		if (strcmp(key, qty_names[i]))
			continue;
		if (!*val || !strcasecmp(val, "absent")) {
			m->have[i] = false;
			return 0;
		}
		if (!num)
			goto bad;
		m->v[i] = n;
		m->have[i] = true;
		return 0;
	}
	for (i = 0; i < CF_COUNT; i++) {
		char k[48];

		snprintf(k, sizeof(k), "%s_unit", fld_names[i]);
		if (!strcmp(key, k)) {
			if (!num)
				goto bad;
			m->fld[i].unit = (int)n;
			m->fld[i].unit_absent = -1;
			return 0;
		}
		snprintf(k, sizeof(k), "%s_dec", fld_names[i]);
		if (!strcmp(key, k)) {
			if (!num || n < 0 || n > 8)
				goto bad;
			m->fld[i].dec = (int)n;
			return 0;
		}
	}
	if (!strcmp(key, "name")) {
		snprintf(m->name, sizeof(m->name), "%s", val);
	} else if (!strcmp(key, "profile")) {
		i = parse_profile(val);
		if (i < 0)
			goto bad;
		apply_profile(m, (enum profile)i);
	} else if (!strcmp(key, "protocol")) {
		if (!strcasecmp(val, "cjt188")) {
			if (m->proto != P_CJT188)
				apply_profile(m, PR_CJT188);
		} else if (!strcasecmp(val, "mbus")) {
			if (m->proto != P_MBUS)
				apply_profile(m, PR_MBUS);
		} else {
			goto bad;
		}
	} else if (!strcmp(key, "address")) {
		if (parse_address(val, m->addr))
			goto bad;
	} else if (!strcmp(key, "type") || !strcmp(key, "meter_type")) {
		if (!num || n < 0 || n > 255)
			goto bad;
		m->type = (int)n;
		if (!strcmp(key, "meter_type"))
			m->reply_type = (int)n;
	} else if (!strcmp(key, "reply_type")) {
		if (!num || n < 0 || n > 255)
			goto bad;
		m->reply_type = (int)n;
	} else if (!strcmp(key, "di_order")) {
		if (!strcasecmp(val, "echo"))
			m->di_order = 0;
		else if (!strcasecmp(val, "901f") || !strcasecmp(val, "903f") ||
			 !strcasecmp(val, "high-first"))
			m->di_order = 1;
		else if (!strcasecmp(val, "1f90") || !strcasecmp(val, "3f90") ||
			 !strcasecmp(val, "low-first"))
			m->di_order = 2;
		else
			goto bad;
	} else if (!strcmp(key, "ser")) {
		if (!strcasecmp(val, "echo"))
			m->ser = -1;
		else if (num && n >= 0 && n <= 255)
			m->ser = (int)n;
		else
			goto bad;
	} else if (!strcmp(key, "preamble")) {
		if (!num || n < 0 || n > 64)
			goto bad;
		m->preamble = (int)n;
	} else if (!strcmp(key, "filler")) {
		if (!num || n < 0 || n > 255)
			goto bad;
		m->filler = (int)n;
	} else if (!strcmp(key, "unit_first")) {
		m->unit_first = num && n;
	} else if (!strcmp(key, "bcd_msb_first")) {
		m->bcd_msb_first = num && n;
	} else if (!strcmp(key, "strict_test_mode")) {
		m->strict_test_mode = num && n;
	} else if (!strcmp(key, "st") || !strcmp(key, "cj_status")) {
		if (hex_parse(val, m->st, 2) != 2)
			goto bad;
	} else if (!strcmp(key, "time") || !strcmp(key, "meter_time")) {
		if (parse_time(val, m))
			goto bad;
	} else if (!strcmp(key, "date_hy")) {
		m->date_hy = num && n;
	} else if (!strcmp(key, "clock_hex")) {
		if (!*val) {
			m->clock_raw_set = false;
			return 0;
		}
		if (hex_parse(val, m->clock_raw, 7) != 7)
			goto bad;
		m->clock_raw_set = true;
	} else if (!strcmp(key, "primary")) {
		if (!num || n < 0 || n > 250)
			goto bad;
		m->primary = (int)n;
	} else if (!strcmp(key, "id")) {
		size_t l = strlen(val);

		if (l == 0 || l > 8)
			goto bad;
		for (i = 0; val[i]; i++)
			if (!isxdigit((unsigned char)val[i]))
				goto bad;
		snprintf(m->id, sizeof(m->id), "%08d", 0);
		memcpy(m->id + 8 - l, val, l);
	} else if (!strcmp(key, "manufacturer") || !strcmp(key, "man")) {
		m->man = man_code(val);
	} else if (!strcmp(key, "version")) {
		if (!num || n < 0 || n > 255)
			goto bad;
		m->version = (int)n;
	} else if (!strcmp(key, "medium")) {
		if (!num || n < 0 || n > 255)
			goto bad;
		m->medium = (int)n;
	} else if (!strcmp(key, "access")) {
		if (!num || n < 0 || n > 255)
			goto bad;
		m->access = (int)n;
	} else if (!strcmp(key, "status")) {
		if (!num || n < 0 || n > 255)
			goto bad;
		m->mstatus = (int)n;
	} else if (!strcmp(key, "records")) {
		return set_records(m, false, val, err, errlen);
	} else if (!strcmp(key, "test_records")) {
		return set_records(m, true, val, err, errlen);
	} else if (!strcmp(key, "test_mode")) {
		m->test_mode = num && n;
	} else if (!strcmp(key, "test_mode_expiry")) {
		if (!num || n < 0)
			goto bad;
		m->test_mode_expiry = (long)n;
	} else if (!strcmp(key, "reply_hex")) {
		m->reply_hex_len = hex_parse(val, m->reply_hex, MAX_FRAME);
		if (m->reply_hex_len < 0) {
			m->reply_hex_len = 0;
			goto bad;
		}
	} else if (!strcmp(key, "latency")) {
		if (!num || n < 0)
			goto bad;
		m->latency_ms = (int)n;
	} else if (!strcmp(key, "skew_us")) {
		if (!num || n < 0 || n > 10000000)
			goto bad;
		m->skew_us = (int)n;
	} else if (!strcmp(key, "telegrams")) {
		if (!num || n < 1 || n > MAX_RECORDS)
			goto bad;
		m->telegrams = (int)n;
	} else if (!strcmp(key, "due_energy") || !strcmp(key, "due_volume")) {
		bool e = key[4] == 'e';

		if (!*val || !strcasecmp(val, "absent")) {
			*(e ? &m->have_due_energy : &m->have_due_volume) = false;
			return 0;
		}
		if (!num || n < 0)
			goto bad;
		*(e ? &m->due_energy : &m->due_volume) = n;
		*(e ? &m->have_due_energy : &m->have_due_volume) = true;
	} else if (!strcmp(key, "due_date")) {
		struct tm tm;

		memset(&tm, 0, sizeof(tm));
		if (sscanf(val, "%d-%d-%d", &tm.tm_year, &tm.tm_mon,
			   &tm.tm_mday) != 3 || tm.tm_mon < 1 ||
		    tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31)
			goto bad;
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		m->due_date = tm;
		m->have_due_date = true;
	} else if (!strcmp(key, "due_storage")) {
		if (!num || n < 1 || n > 31)
			goto bad;
		m->due_storage = (int)n;
	} else if (!strcmp(key, "baud")) {
		if (!num || n < 0)
			goto bad;
		m->baud = (int)n;
	} else if (!strcmp(key, "bauds")) {
		char b[128], *t, *sv = NULL;
		unsigned int mask = 0;

		snprintf(b, sizeof(b), "%s", val);
		for (t = strtok_r(b, ",/+ ", &sv); t;
		     t = strtok_r(NULL, ",/+ ", &sv)) {
			int r = atoi(t);

			for (i = 0; i < 8 && mbus_rates[i] != r; i++)
				;
			if (i == 8)
				goto bad;
			mask |= 1U << i;
		}
		m->bauds = mask;
	} else if (!strcmp(key, "baud_switch")) {
		if (!strcasecmp(val, "ok"))
			m->baud_ignore = false;
		else if (!strcasecmp(val, "ignore"))
			m->baud_ignore = true;
		else
			goto bad;
	} else if (!strcmp(key, "baud_watchdog_s")) {
		if (!num || n < 0)
			goto bad;
		m->baud_watchdog_s = (int)n;
	} else if (!strcmp(key, "fault")) {
		if (m->nfaults >= MAX_FAULTS) {
			snprintf(err, errlen, "too many faults");
			return -1;
		}
		if (fault_parse(val, &m->faults[m->nfaults], err, errlen))
			return -1;
		m->nfaults++;
	} else {
		snprintf(err, errlen, "unknown meter key '%s'", key);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad value for %s: '%s'", key, val);
	return -1;
}

/* apply key=value pairs: profile and protocol first, then the rest */
int meter_apply(struct meter *m, char **keys, char **vals, int n, char *err,
		size_t errlen)
{
	int pass, i;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			bool first = !strcmp(keys[i], "profile") ||
				     !strcmp(keys[i], "protocol");

			if (first != (pass == 0))
				continue;
			if (meter_set(m, keys[i], vals[i], err, errlen))
				return -1;
		}
	}
	return 0;
}

/* "k=v,k=v,..." */
int meter_spec(struct meter *m, const char *spec, char *err, size_t errlen)
{
	char buf[2048], *tok, *save = NULL;
	char *keys[64], *vals[64];
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		/* bauds=300,2400,9600: a bare number continues the value */
		if (!eq && n > 0 && tok > buf && !tok[-1] &&
		    strspn(tok, "0123456789") == strlen(tok)) {
			tok[-1] = ',';
			continue;
		}
		if (!eq) {
			snprintf(err, errlen, "'%s' is not key=value", tok);
			return -1;
		}
		if (n >= 64) {
			snprintf(err, errlen, "too many keys");
			return -1;
		}
		*eq = 0;
		keys[n] = tok;
		vals[n++] = eq + 1;
	}
	return meter_apply(m, keys, vals, n, err, errlen);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

struct section {
	struct meter *m;
	char *keys[128], *vals[128];
	int n;
};

static int section_flush(struct section *sec, const char *path, char *err,
			 size_t errlen)
{
	char e2[160];
	int i, rc = 0;

	if (sec->m && meter_apply(sec->m, sec->keys, sec->vals, sec->n, e2,
				  sizeof(e2))) {
		snprintf(err, errlen, "%s: [meter] %s", path, e2);
		rc = -1;
	}
	for (i = 0; i < sec->n; i++) {
		free(sec->keys[i]);
		free(sec->vals[i]);
	}
	sec->n = 0;
	sec->m = NULL;
	return rc;
}

/* config file: global key=value lines, then [meter] sections */
int config_load(struct sim *s, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	struct section sec = { 0 };
	int ln = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = trim(line), *eq;
		char e2[160];

		ln++;
		if (!*p || *p == '#' || *p == ';')
			continue;
		if (!strcmp(p, "[meter]")) {
			if (section_flush(&sec, path, err, errlen))
				goto fail;
			sec.m = sim_new_meter(s);
			if (!sec.m) {
				snprintf(err, errlen, "%s:%d: too many meters",
					 path, ln);
				goto fail;
			}
			continue;
		}
		eq = strchr(p, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected key=value", path,
				 ln);
			goto fail;
		}
		*eq = 0;
		if (sec.m) {
			if (sec.n >= 128) {
				snprintf(err, errlen, "%s:%d: too many keys",
					 path, ln);
				goto fail;
			}
			sec.keys[sec.n] = strdup(trim(p));
			sec.vals[sec.n++] = strdup(trim(eq + 1));
			continue;
		}
		if (sim_set_global(s, trim(p), trim(eq + 1), e2, sizeof(e2))) {
			snprintf(err, errlen, "%s:%d: %s", path, ln, e2);
			goto fail;
		}
	}
	fclose(f);
	return section_flush(&sec, path, err, errlen);
fail:
	{
		char e3[160];

		section_flush(&sec, path, e3, sizeof(e3));
	}
	fclose(f);
	return -1;
}

/* load one named block of shared/vectors/cjt188/vectors.txt as a meter */
int vector_load(struct meter *m, const char *file, const char *name,
		char *err, size_t errlen)
{
	FILE *f = fopen(file, "r");
	char line[1024], hex[4096] = "", dir[32] = "";
	bool in = false, found = false, inhex = false;

	if (!f) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = trim(line), *c, *k, *v;
		char e2[160];

		if (!*p) {
			if (in)
				break;
			continue;
		}
		if (*p == '#')
			continue;
		c = strchr(p, ':');
		if (!c || (inhex && isxdigit((unsigned char)p[0]) &&
			   isxdigit((unsigned char)p[1]) &&
			   (p[2] == ' ' || !p[2]))) {
			if (in && inhex) {
				strncat(hex, " ", sizeof(hex) - strlen(hex) - 1);
				strncat(hex, p, sizeof(hex) - strlen(hex) - 1);
			}
			continue;
		}
		*c = 0;
		k = trim(p);
		v = trim(c + 1);
		inhex = false;
		if (!strcmp(k, "name")) {
			in = !strcmp(v, name);
			if (in)
				found = true;
			continue;
		}
		if (!in)
			continue;
		if (!strcmp(k, "hex")) {
			snprintf(hex, sizeof(hex), "%s", v);
			inhex = true;
		} else if (!strcmp(k, "dir")) {
			snprintf(dir, sizeof(dir), "%s", v);
		} else if (!strcmp(k, "profile") || !strcmp(k, "address") ||
			   !strcmp(k, "id") || !strcmp(k, "manufacturer") ||
			   !strcmp(k, "reply_type")) {
			if (meter_set(m, k, v, e2, sizeof(e2)))
				goto bad;
		} else if (!strcmp(k, "meter_type")) {
			if (meter_set(m, "reply_type", v, e2, sizeof(e2)))
				goto bad;
		} else {
			int i;

			for (i = 0; i < Q_COUNT; i++)
				if (!strcmp(k, qty_names[i]) &&
				    meter_set(m, k, v, e2, sizeof(e2)))
					goto bad;
		}
		continue;
bad:
		snprintf(err, errlen, "%s:%s: %s", file, name, e2);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (!found) {
		snprintf(err, errlen, "%s: no vector named '%s'", file, name);
		return -1;
	}
	if (strcmp(dir, "reply")) {
		snprintf(err, errlen, "vector '%s' is not a reply", name);
		return -1;
	}
	m->reply_hex_len = hex_parse(hex, m->reply_hex, MAX_FRAME);
	if (m->reply_hex_len <= 0) {
		snprintf(err, errlen, "vector '%s': bad hex", name);
		return -1;
	}
	/* M-Bus reply: take the primary address from the telegram */
	if (m->proto == P_MBUS) {
		int i = 0;

		while (i < m->reply_hex_len && m->reply_hex[i] != 0x68)
			i++;
		if (i + 5 < m->reply_hex_len)
			m->primary = m->reply_hex[i + 5];
	}
	snprintf(m->name, sizeof(m->name), "%.31s", name);
	return 0;
}

/* builtin demo line: values from the shared vectors */
static const char *const demo_specs[][2] = {
	{ "delu-ultrasonic",
	  "profile=delu-ultrasonic,address=11110021098754,"
	  "energy=200,volume=201,supply_temp=28740,return_temp=28300" },
	{ "delu-mechanical",
	  "profile=delu-mechanical,address=00000012345678,"
	  "energy=1279000,flow=1250000,volume=184450,supply_temp=21130,"
	  "return_temp=22100,operating_time=3600000,"
	  "clock_hex=20 08 08 08 33 33 33,st=23 30" },
	{ "cjt188",
	  "profile=cjt188,address=00000987654321,"
	  "settlement_energy=1234560000,energy=2345670000,power=12340000,"
	  "flow=1234500,volume=5678900000,supply_temp=75310,"
	  "return_temp=45120,operating_time=44442000,"
	  "time=2024-01-15T13:45:30" },
	{ "mbus",
	  "profile=tiangang-mbus,primary=4,id=21000004,manufacturer=PLO,"
	  "version=2,medium=4,access=0x0E,energy=229671000,volume=6507510,"
	  "power=12340000,flow=1234500,supply_temp=20600,return_temp=20490,"
	  "operating_time=44442000,time=2024-01-15T13:45:30" },
};

int demo_load(struct sim *s, const char *which, char *err, size_t errlen)
{
	size_t i;
	int added = 0;

	for (i = 0; i < ARRAY_SIZE(demo_specs); i++) {
		struct meter *m;

		if (which && *which && !strstr(which, demo_specs[i][0]))
			continue;
		/* "cjt188" must not match inside e.g. nothing else; exact */
		if (which && *which) {
			char list[256], *t, *sv = NULL;
			bool hit = false;

			snprintf(list, sizeof(list), "%s", which);
			for (t = strtok_r(list, ",", &sv); t;
			     t = strtok_r(NULL, ",", &sv))
				if (!strcmp(t, demo_specs[i][0]))
					hit = true;
			if (!hit)
				continue;
		}
		m = sim_new_meter(s);
		if (!m) {
			snprintf(err, errlen, "too many meters");
			return -1;
		}
		if (meter_spec(m, demo_specs[i][1], err, errlen))
			return -1;
		snprintf(m->name, sizeof(m->name), "demo-%s", demo_specs[i][0]);
		added++;
	}
	if (!added) {
		snprintf(err, errlen, "no demo meter matches '%s'", which);
		return -1;
	}
	return 0;
}

/* ---- generated lines --------------------------------------------------- */

/* splitmix64: the generator of --gen mbus-random (documented, stable) */
static u64 gen_rand(u64 *st)
{
	u64 z = (*st += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static bool id_taken(struct sim *s, const char *id, int man)
{
	int i;

	for (i = 0; i < s->nmeters; i++)
		if (s->meters[i].proto == P_MBUS &&
		    !strcmp(s->meters[i].id, id) && s->meters[i].man == man)
			return true;
	return false;
}

/*
 * Values of a generated meter, from its ID read as a decimal number D:
 * energy (D mod 10^6) kWh, volume (D mod 10^6) x 10 L, power (D mod 1000) W,
 * flow (D mod 1000) L/h, supply 60 + (D mod 100) / 10 degC, return 40 degC,
 * operating time (D mod 10000) h.
 */
static void gen_values(struct meter *m)
{
	s64 d = strtoll(m->id, NULL, 10);

	m->v[Q_ENERGY] = (d % 1000000) * 1000000;
	m->v[Q_VOLUME] = (d % 1000000) * 10000;
	m->v[Q_POWER] = (d % 1000) * 1000;
	m->v[Q_FLOW] = (d % 1000) * 1000;
	m->v[Q_SUPPLY] = 60000 + (d % 100) * 100;
	m->v[Q_RETURN] = 40000;
	m->v[Q_OPTIME] = (d % 10000) * 3600;
	m->have[Q_ENERGY] = m->have[Q_VOLUME] = m->have[Q_POWER] = true;
	m->have[Q_FLOW] = m->have[Q_SUPPLY] = m->have[Q_RETURN] = true;
	m->have[Q_OPTIME] = true;
}

/*
 * --gen mbus-random:N[:seed=S][:groups=G][:man=ABC][:primary=P][:k=v...]
 * --gen mbus-consecutive:N[:start=DDDDDDDD][:man=ABC][:primary=P][:k=v...]
 * Other k=v are meter keys applied to every generated meter.
 */
int gen_load(struct sim *s, const char *spec, char *err, size_t errlen)
{
	char buf[1024], *tok, *save = NULL, *keys[32], *vals[32];
	char pfx[16][8];
	int plen[16];
	int kind, cnt, nk = 0, groups = 4, primary = 0, man, i, g;
	long long start = 10000000, seed = 1;
	const char *mans = "HMS";
	u64 st;

	snprintf(buf, sizeof(buf), "%s", spec);
	tok = strtok_r(buf, ":", &save);
	if (!tok)
		goto bad;
	if (!strcmp(tok, "mbus-random"))
		kind = 0;
	else if (!strcmp(tok, "mbus-consecutive"))
		kind = 1;
	else
		goto bad;
	tok = strtok_r(NULL, ":", &save);
	if (!tok || !parse_num(tok, (long long *)&start) || start < 1 ||
	    start > MAX_METERS)
		goto bad;
	cnt = (int)start;
	start = 10000000;
	while ((tok = strtok_r(NULL, ":", &save))) {
		char *eq = strchr(tok, '=');
		long long v;

		if (!eq)
			goto bad;
		*eq++ = 0;
		if (!strcmp(tok, "seed") && parse_num(eq, &v)) {
			seed = v;
		} else if (!strcmp(tok, "groups") && parse_num(eq, &v) &&
			   v >= 1 && v <= 16) {
			groups = (int)v;
		} else if (!strcmp(tok, "start") && strlen(eq) <= 8 &&
			   strspn(eq, "0123456789") == strlen(eq) && *eq) {
			start = strtoll(eq, NULL, 10);
		} else if (!strcmp(tok, "man") || !strcmp(tok, "manufacturer")) {
			mans = eq;
		} else if (!strcmp(tok, "primary") && parse_num(eq, &v) &&
			   v >= 0 && v <= 250) {
			primary = (int)v;
		} else if (nk < 32) {
			keys[nk] = tok;
			vals[nk++] = eq;
		} else {
			goto bad;
		}
	}
	if (primary && primary + cnt - 1 > 250) {
		snprintf(err, errlen, "--gen %s: primary %d..%d exceeds 250",
			 spec, primary, primary + cnt - 1);
		return -1;
	}
	if (kind == 1 && start + cnt - 1 > 99999999) {
		snprintf(err, errlen, "--gen %s: IDs exceed 99999999", spec);
		return -1;
	}
	man = man_code(mans);
	st = (u64)seed;
	/* leading-digit groups: 3 to 6 digits each */
	for (g = 0; g < groups; g++) {
		plen[g] = 3 + (int)(gen_rand(&st) % 4);
		for (i = 0; i < plen[g]; i++)
			pfx[g][i] = (char)('0' + gen_rand(&st) % 10);
	}
	for (i = 0; i < cnt; i++) {
		struct meter *m = sim_new_meter(s);
		char id[9];
		int tries = 0, j;

		if (!m) {
			snprintf(err, errlen, "too many meters");
			return -1;
		}
		if (kind == 1) {
			snprintf(id, sizeof(id), "%08lld", start + i);
		} else {
			do {
				g = (int)(gen_rand(&st) % (u64)groups);
				memcpy(id, pfx[g], (size_t)plen[g]);
				for (j = plen[g]; j < 8; j++)
					id[j] = (char)('0' +
						       gen_rand(&st) % 10);
				id[8] = 0;
			} while (id_taken(s, id, man) && ++tries < 100000);
			if (tries >= 100000) {
				snprintf(err, errlen, "--gen %s: no free IDs",
					 spec);
				return -1;
			}
		}
		apply_profile(m, PR_MBUS);
		snprintf(m->id, sizeof(m->id), "%s", id);
		m->man = man;
		m->primary = primary ? primary + i : 0;
		gen_values(m);
		snprintf(m->name, sizeof(m->name), "gen%d", s->ngen++);
		if (meter_apply(m, keys, vals, nk, err, errlen))
			return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad --gen '%s' (see --help)", spec);
	return -1;
}
