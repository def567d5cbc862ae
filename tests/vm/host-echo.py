#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Loopback peer on the host for a guest UART: connects to the unix socket
of qemu's '-chardev socket,server=on' and echoes every byte back, until the
socket closes or the time limit passes."""
import socket
import sys
import time

path, limit = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 600
deadline = time.monotonic() + limit
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
while True:
    try:
        s.connect(path)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("host-echo: cannot connect to " + path)
        time.sleep(0.05)
s.settimeout(1.0)
while time.monotonic() < deadline:
    try:
        data = s.recv(4096)
    except socket.timeout:
        continue
    except OSError:
        break
    if not data:
        break
    s.sendall(data)
