#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Seed fuzz corpora from the shared vectors: mkcorpus.py SHARED OUTDIR"""
import os
import sys

shared, out = sys.argv[1], sys.argv[2]
frames = []
block = []
for line in open(os.path.join(shared, "vectors", "cjt188", "vectors.txt"), encoding="utf-8"):
    if line.startswith("hex:"):
        block = line[4:].split()
    elif line[:1] in " \t" and block:
        block += line.split()
    else:
        if block:
            frames.append(bytes(int(t, 16) for t in block))
        block = []
if block:
    frames.append(bytes(int(t, 16) for t in block))
base = os.path.join(shared, "vectors", "mbus", "libmbus")
for sub in ("test-frames", "error-frames", "unsupported-frames"):
    for fn in sorted(os.listdir(os.path.join(base, sub))):
        if fn.endswith(".hex"):
            try:
                frames.append(bytes(int(t, 16) for t in open(os.path.join(base, sub, fn)).read().split()))
            except ValueError:
                pass
for name in ("framer", "cjt188", "mbus"):
    os.makedirs(os.path.join(out, name), exist_ok=True)
for i, f in enumerate(frames):
    open(os.path.join(out, "framer", "%03d" % i), "wb").write(bytes([i & 0xff]) + f)
    g = f.lstrip(b"\xfe")
    if g[:1] == b"\x68" and len(g) > 13 and g[3:4] != b"\x68":
        open(os.path.join(out, "cjt188", "%03d" % i), "wb").write(g[:-2])
    if g[:1] == b"\x68" and len(g) > 9 and g[3:4] == b"\x68":
        open(os.path.join(out, "mbus", "%03d" % i), "wb").write(g[4:-2])

# heatmeterd: DL/T 2690.8 frames (first byte: options) and INI text
import struct


def crc16(b):
    c = 0xFFFF
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
    return c


def dlt(a, d):
    h = struct.pack("<HHH", a, 1, len(d)) + d
    return h + struct.pack("<H", crc16(h)) + b"\x16"


cfg = (b"\xAA\xAA\x00\x06\x00\x01" + b"\0" * 16 + struct.pack(">H", 24 + 6 + 11 + 8 + 3) +
       b"\0\0\0\0\x00\x01" + struct.pack(">HIBHH", 0, 1, 1, 10, 2) +
       b"\x09\x00\x64\x04\x09\x00\x72\x02" + b"\0\0\0")
seeds = [dlt(3, b"{}"), dlt(4, b"\x6a\x02"), dlt(4, b"\x6a\x02" + b"240628130509"),
         dlt(7, cfg), dlt(2, b"\xff" * 8 + b"\x65\x00\x02\x00\x64\x00\x65"),
         dlt(1, b"s2b3mnx934xsxd32cvj431kw")]
os.makedirs(os.path.join(out, "dlt"), exist_ok=True)
for i, s in enumerate(seeds):
    open(os.path.join(out, "dlt", "seed%d" % i), "wb").write(b"\x00" + s + (dlt(3, b"{}") if i else b""))
open(os.path.join(out, "dlt", "cfg"), "wb").write(b"\x00" + cfg)
os.makedirs(os.path.join(out, "ini"), exist_ok=True)
conf = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "userspace", "heatmeterd", "heatmeterd.conf")
text = open(conf).read()
open(os.path.join(out, "ini", "example"), "w").write(text)
open(os.path.join(out, "ini", "set"), "w").write(
    "[modbus]\nport = 1502\nfloat_word_order = cdab\n[platform]\nenable = true\nhost = h\n"
    "port = 9\ncrc_scope = auto\n[systems]\n1 = heatmeter0\nvendor_code.1 = 0100010001000100\n")
