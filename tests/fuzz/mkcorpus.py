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
