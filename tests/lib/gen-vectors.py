#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Convert the shared test vectors into one C header of const structs.

usage: gen-vectors.py SHARED_DIR OUT.h

- SHARED_DIR/vectors/cjt188/vectors.txt: blocks of key: value lines,
  then the project's own tests/lib/cjt188-vectors.txt (same format plus
  meter_time, frame_start and mode; profile "none" = no profile named).
- SHARED_DIR/vectors/mbus/libmbus/{test,error,unsupported}-frames/*.hex
  with the expectations of heat meters taken from *.norm.xml: the first
  storage-0, tariff-0, device-0 instantaneous record of each quantity,
  converted exactly (decimal arithmetic) to the driver's milli-units.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal, ROUND_HALF_UP

QUANT = {
    "energy": "HM_Q_ENERGY",
    "cooling_energy": "HM_Q_COOLING_ENERGY",
    "volume": "HM_Q_VOLUME",
    "power": "HM_Q_POWER",
    "flow": "HM_Q_FLOW",
    "supply_temp": "HM_Q_SUPPLY_TEMP",
    "return_temp": "HM_Q_RETURN_TEMP",
    "temp_diff": "HM_Q_TEMP_DIFF",
    "operating_time": "HM_Q_OPERATING_TIME",
    "meter_time": "HM_Q_METER_TIME",
}

# libmbus quantity -> (our key, unit expected in .norm.xml, factor to milli-units)
LIBMBUS = {
    "Energy": ("energy", {"Wh": Decimal(1000), "kWh": Decimal(1000000),
                          "J": Decimal(1000) / Decimal(3600)}),
    "Volume": ("volume", {"m^3": Decimal(1000000), "l": Decimal(1000)}),
    "Power": ("power", {"W": Decimal(1000)}),
    "Volume flow": ("flow", {"m^3/h": Decimal(1000000)}),
    # the .norm.xml files say ISO-8859-1 but hold UTF-8: accept both readings
    "Flow temperature": ("supply_temp", {"°C": Decimal(1000), "Â°C": Decimal(1000)}),
    "Return temperature": ("return_temp", {"°C": Decimal(1000), "Â°C": Decimal(1000)}),
}


TYPES = r"""
struct hm_vec_cjt {
	const char *name;
	const char *profile;
	int reply;
	const u8 *hex;
	unsigned int len;
	int checksum_ok;	/* 1 ok, 0 bad, -1 unspecified */
	int meter_type;		/* -1: not asserted */
	const char *address;
	const char *id;
	const char *manufacturer;
	u32 expect_mask;
	u32 absent_mask;
	s64 expect[HM_Q_COUNT];
	const char *meter_time;	/* "YYYY-MM-DD hh:mm:ss" or NULL */
	int frame_start;	/* -1: the frame follows the FE preamble */
	int mode;		/* enum hm_frame_mode of the framer */
};

struct hm_vec_mbus {
	const char *name;
	int kind;		/* 0 test frame, 1 error frame, 2 unsupported */
	int heat;		/* medium is heat: values are asserted */
	const u8 *hex;
	unsigned int len;
	const char *id;
	const char *manufacturer;
	u32 expect_mask;
	s64 expect[HM_Q_COUNT];
};

"""


def cstr(s):
    if s is None:
        return "NULL"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hexbytes(text):
    toks = text.split()
    return [int(t, 16) for t in toks]


def carray(data):
    out = []
    for i in range(0, len(data), 16):
        out.append("\t" + " ".join("0x%02x," % b for b in data[i:i + 16]))
    return "\n".join(out)


def parse_cjt(path):
    blocks, cur, last = [], {}, None
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                blocks.append(cur)
            cur, last = {}, None
            continue
        if line[0] in " \t" and last == "hex":
            cur["hex"] += " " + line.strip()
            continue
        key, _, val = line.partition(":")
        key, val = key.strip(), val.strip()
        cur[key] = val
        last = key
    if cur:
        blocks.append(cur)
    return blocks


def emit_cjt(blocks, out):
    for i, b in enumerate(blocks):
        out.append("static const u8 cjt_hex_%d[] = {\n%s\n};" % (i, carray(hexbytes(b["hex"]))))
    out.append("static const struct hm_vec_cjt hm_vec_cjt[] = {")
    for i, b in enumerate(blocks):
        exp, absent = [], []
        for k, v in b.items():
            if k in QUANT and k != "meter_time":
                exp.append((QUANT[k], int(v)))
        if "absent" in b:
            for a in b["absent"].split(","):
                a = a.strip()
                if a not in QUANT:
                    raise SystemExit("unknown absent key %r in %s" % (a, b["name"]))
                absent.append(QUANT[a])
        cs = {"ok": 1, "bad": 0}.get(b.get("checksum"), -1)
        mt = int(b["meter_type"], 16) if "meter_type" in b else -1
        qbits = [q for q, _ in exp]
        if "meter_time" in b:
            if not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", b["meter_time"]):
                raise SystemExit("bad meter_time in %s" % b["name"])
            qbits.append("HM_Q_METER_TIME")
        mode = {"auto": "HM_MODE_AUTO", "cjt188": "HM_MODE_CJT188",
                "mbus": "HM_MODE_MBUS"}[b.get("mode", "auto")]
        mask = " | ".join("HM_QBIT(%s)" % q for q in qbits) or "0"
        amask = " | ".join("HM_QBIT(%s)" % q for q in absent) or "0"
        vals = ", ".join("[%s] = %dLL" % (q, v) for q, v in exp)
        out.append("\t{")
        out.append("\t\t.name = %s," % cstr(b["name"]))
        out.append("\t\t.profile = %s," % cstr(b.get("profile")))
        out.append("\t\t.reply = %d," % (1 if b.get("dir") == "reply" else 0))
        out.append("\t\t.hex = cjt_hex_%d, .len = sizeof(cjt_hex_%d)," % (i, i))
        out.append("\t\t.checksum_ok = %d, .meter_type = %d," % (cs, mt))
        out.append("\t\t.address = %s, .id = %s, .manufacturer = %s," %
                   (cstr(b.get("address")), cstr(b.get("id")), cstr(b.get("manufacturer"))))
        out.append("\t\t.expect_mask = %s, .absent_mask = %s," % (mask, amask))
        out.append("\t\t.expect = { %s }," % (vals or "0"))
        out.append("\t\t.meter_time = %s, .frame_start = %d, .mode = %s," %
                   (cstr(b.get("meter_time")), int(b.get("frame_start", -1)), mode))
        out.append("\t},")
    out.append("};")


def to_milli(value, factor, name):
    d = Decimal(value) * factor
    # whole for BCD/integer records; real32 records (printed by libmbus with
    # 6 decimals) round to the nearest milli-unit like lib/ does
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def libmbus_expect(path, name):
    root = ET.parse(path).getroot()
    si = root.find("SlaveInformation")
    info = {}
    if si is not None:
        for k in ("Id", "Manufacturer", "Medium", "Version"):
            e = si.find(k)
            info[k] = e.text.strip() if e is not None and e.text else None
    exp = {}
    for rec in root.findall("DataRecord"):
        def tx(tag):
            e = rec.find(tag)
            return e.text.strip() if e is not None and e.text else ""
        if tx("Function") != "Instantaneous value":
            continue
        if tx("StorageNumber") != "0":
            continue
        if tx("Tariff") not in ("", "0") or tx("Device") not in ("", "0"):
            continue
        qn = tx("Quantity")
        if qn not in LIBMBUS:
            continue
        key, units = LIBMBUS[qn]
        if key in exp:
            continue
        unit = tx("Unit")
        if unit not in units:
            sys.stderr.write("gen-vectors: %s: unit %r for %s\n" % (name, unit, qn))
            continue
        exp[key] = to_milli(tx("Value"), units[unit], name)
    return info, exp


def emit_mbus(shared, out):
    base = os.path.join(shared, "vectors", "mbus", "libmbus")
    items = []
    for kind, sub in ((0, "test-frames"), (1, "error-frames"), (2, "unsupported-frames")):
        d = os.path.join(base, sub)
        for fn in sorted(os.listdir(d)):
            if not fn.endswith(".hex"):
                continue
            stem = fn[:-4]
            text = open(os.path.join(d, fn), encoding="latin-1").read()
            try:
                data = hexbytes(text)
            except ValueError:
                # not a hex dump (kept as an unsupported frame): raw bytes
                data = list(text.encode("latin-1"))
            info, exp, heat = {}, {}, 0
            norm = os.path.join(d, stem + ".norm.xml")
            if kind == 0 and os.path.exists(norm):
                info, exp = libmbus_expect(norm, stem)
                med = info.get("Medium") or ""
                heat = 1 if med.startswith("Heat") and "Cost" not in med else 0
            items.append((kind, sub + "/" + stem, data, info, exp if heat else {}, heat))
    for i, it in enumerate(items):
        out.append("static const u8 mbus_hex_%d[] = {\n%s\n};" % (i, carray(it[2]) or "\t0"))
    out.append("static const struct hm_vec_mbus hm_vec_mbus[] = {")
    for i, (kind, name, data, info, exp, heat) in enumerate(items):
        mask = " | ".join("HM_QBIT(%s)" % QUANT[k] for k in exp) or "0"
        vals = ", ".join("[%s] = %dLL" % (QUANT[k], v) for k, v in exp.items())
        out.append("\t{")
        out.append("\t\t.name = %s, .kind = %d, .heat = %d," % (cstr(name), kind, heat))
        out.append("\t\t.hex = mbus_hex_%d, .len = %d," % (i, len(data)))
        out.append("\t\t.id = %s, .manufacturer = %s," %
                   (cstr(info.get("Id")), cstr(info.get("Manufacturer"))))
        out.append("\t\t.expect_mask = %s," % mask)
        out.append("\t\t.expect = { %s }," % (vals or "0"))
        out.append("\t},")
    out.append("};")


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: gen-vectors.py SHARED_DIR OUT.h")
    shared, outp = sys.argv[1], sys.argv[2]
    out = ["/* SPDX-License-Identifier: GPL-2.0 */",
           "/* Generated by tests/lib/gen-vectors.py from the shared vectors. Do not edit. */",
           "/* libmbus frames: rscada/libmbus (BSD-3-Clause), credit rSCADA / Raditex Control */",
           "#ifndef HM_VECTORS_H", "#define HM_VECTORS_H", "",
           '#include "reading.h"', '#include "frame.h"', ""] + TYPES.strip("\n").split("\n") + [""]
    own = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cjt188-vectors.txt")
    blocks = parse_cjt(os.path.join(shared, "vectors", "cjt188", "vectors.txt"))
    if os.path.exists(own):
        blocks += parse_cjt(own)
    emit_cjt(blocks, out)
    out.append("")
    emit_mbus(shared, out)
    out += ["", "#endif", ""]
    tmp = outp + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out))
    os.replace(tmp, outp)


if __name__ == "__main__":
    main()
