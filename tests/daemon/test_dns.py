#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""heatmeterd: resolving the platform's host name never stalls the loop.
A preloaded getaddrinfo (slowdns.so) takes 4 s for *.slow.test; meanwhile
Modbus reads must be answered at once, and after it the link logs in.
Usage: test_dns.py HEATMETERD SLOWDNS_SO"""
import importlib.machinery
import os
import shutil
import subprocess
import sys
import time

import hmtest
from hmtest import Daemon, Meters, free_port, reading, result, workdir
from pymodbus.client import ModbusTcpClient

binary, shim = sys.argv[1], sys.argv[2]
sim = importlib.machinery.SourceFileLoader(
    'sim', os.path.join(hmtest.REPO, 'userspace/heatmeterd/dlt-platform-sim')).load_module()
HANG = 4
wd = workdir()
pf = d = None
try:
    md = os.path.join(wd, 'dev')
    os.mkdir(md)
    m = Meters(md)
    m.add(0)
    mark = os.path.join(wd, 'resolving')
    mport, pport = free_port(), free_port()
    pf = sim.Platform(listen=pport, tables=[(0, 1, 1, 60, [(106, 4)])]).start()
    d = Daemon(binary, """
[daemon]
state_dir = %s/state
credentials = %s/credentials
[meters]
source = %s
[modbus]
listen = 127.0.0.1
port = %d
[platform]
enable = true
host = platform.slow.test
port = %d
""" % (wd, wd, md, mport, pport), wd, 'id = dns\npassword = dns\n')
    # ASan wants to be first in the library list; the shim only wraps a libc call
    env = dict(os.environ, LD_PRELOAD=shim, SLOWDNS_MARK=mark, SLOWDNS_SECONDS=str(HANG),
               ASAN_OPTIONS='verify_asan_link_order=0')
    lf = open(d.log, 'a')
    t_start = time.time()
    d.p = subprocess.Popen([binary, '-c', d.conf, '--foreground', '-v'], env=env,
                           stdout=lf, stderr=lf)
    lf.close()
    t = time.time() + 5
    while time.time() < t and not os.path.exists(mark):
        time.sleep(0.02)
    result('dns/resolution-started', os.path.exists(mark), d.logtext()[-300:])
    # while getaddrinfo hangs: a reading arrives and Modbus serves it at once
    m.send(0, reading(1, energy=3600000000, supply_temp=55000))
    lat, vals = [], []
    c = ModbusTcpClient('127.0.0.1', port=mport, timeout=HANG + 2)
    c.connect()
    t_end = t_start + HANG - 1.0
    while time.time() < t_end:
        t0 = time.time()
        r = c.read_holding_registers(100, 16, slave=1)
        lat.append(time.time() - t0)
        if not r.isError():
            vals.append(r.registers[6:8])
        time.sleep(0.1)
    c.close()
    logged_in = bool(pf.find(kind='login'))
    result('dns/modbus-served-while-resolving',
           len(lat) >= 5 and max(lat) < 0.5 and len(vals) == len(lat) and not logged_in,
           '%d reads, slowest %.2f s, %d answered, logged in already: %s'
           % (len(lat), max(lat or [0]), len(vals), logged_in))
    # 40107 accumulated heat: 3.6e9 mWh = 12.96 GJ = 0x414F5C29 (ABCD)
    result('dns/reading-visible-while-resolving', bool(vals) and vals[-1] == [0x414f, 0x5c29], str(vals[-1:]))
    result('dns/login-after-resolution', pf.wait(kind='login', timeout=HANG + 10),
           d.logtext()[-400:])
finally:
    if d:
        d.stop()
    if pf:
        pf.stop()
    shutil.rmtree(wd, ignore_errors=True)
sys.exit(hmtest.failed)
