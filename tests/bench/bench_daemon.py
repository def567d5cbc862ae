#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""heatmeterd end to end (printed, never asserted): Modbus requests/s with
libmodbus' own client (mbpoll) and pymodbus, reading -> on-change packet
latency at the platform simulator, daemon memory. bench_daemon.py HEATMETERD"""
import importlib.machinery
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'daemon'))
import hmtest  # noqa: E402
from hmtest import Daemon, Meters, free_port, reading, wait_port, workdir  # noqa: E402
from pymodbus.client import ModbusTcpClient  # noqa: E402

binary = sys.argv[1]
sim = importlib.machinery.SourceFileLoader(
    'sim', os.path.join(hmtest.REPO, 'userspace/heatmeterd/dlt-platform-sim')).load_module()
wd = workdir()
md = os.path.join(wd, 'dev')
os.mkdir(md)
m = Meters(md)
for i in range(20):
    m.add(i, 'cjt188', '%014d' % (11110021098754 + i))
mport, pport = free_port(), free_port()
pf = sim.Platform(listen=pport, tables=[(0, 1, 1, 60, [(106, 4)])]).start()
d = Daemon(binary, """
[daemon]
state_dir = %s/state
credentials = %s/credentials
log_level = warning
[meters]
source = %s
systems = 20
[modbus]
listen = 127.0.0.1
port = %d
[platform]
enable = true
host = 127.0.0.1
port = %d
change_min_interval_ms = 0
backlog_rate = 10000
""" % (wd, wd, md, mport, pport), wd, 'id = bench\npassword = bench\n')
d.start()
try:
    wait_port(mport)
    pf.wait(kind='config-ack', timeout=10)
    for i in range(20):
        m.send(i, reading(1, energy=1000 * i, supply_temp=50000))
    time.sleep(0.3)
    c = ModbusTcpClient('127.0.0.1', port=mport)
    c.connect()
    n = 2000
    t0 = time.time()
    for _ in range(n):
        c.read_holding_registers(100, 125, slave=1)
    t = time.time() - t0
    c.close()
    print('  modbus, pymodbus client, 125 registers per request: %.0f requests/s' % (n / t))
    t0 = time.time()
    subprocess.run(['mbpoll', '-m', 'tcp', '-p', str(mport), '-a', '1', '-r', '101', '-c', '100',
                    '-l', '0', '-1', '127.0.0.1'], capture_output=True)
    print('  modbus, one mbpoll run (connect, 100 registers, exit): %.1f ms' % ((time.time() - t0) * 1e3))
    lat = []
    for k in range(50):
        e = 10 ** 9 + 1000 * k
        want = '%08x' % int.from_bytes(__import__('struct').pack('>f', e * 3.6e-9), 'big')
        nb = len(pf.find(kind='change'))
        t0 = time.time()
        m.send(0, reading(100 + k, energy=e, supply_temp=50000))
        while time.time() - t0 < 2:
            ev = pf.find(kind='change')
            if len(ev) > nb and ev[-1]['data'][:8] == want:
                lat.append(time.time() - t0)
                break
            time.sleep(0.0005)
    if lat:
        print('  reading -> on-change packet at the platform (spooled, fdatasync, sent): '
              'median %.1f ms, max %.1f ms (%d samples)' % (statistics.median(lat) * 1e3,
                                                           max(lat) * 1e3, len(lat)))
    def cpu():
        f = open('/proc/%d/stat' % d.p.pid).read().split(')')[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')
    c0 = cpu()
    time.sleep(5)
    used = (cpu() - c0) * 12 * 1000
    tick = 12000.0 / os.sysconf('SC_CLK_TCK')
    print('  daemon idle (20 meters silent, platform online): %s ms CPU per minute'
          % ('%.0f' % used if used else 'under %.0f' % tick))
    with open('/proc/%d/status' % d.p.pid) as f:
        rss = [l for l in f if l.startswith('VmRSS')][0].split()[1]
    print('  daemon with 20 meters, 20 systems, platform link: VmRSS %s kB' % rss)
finally:
    d.stop()
    pf.stop()
    shutil.rmtree(wd, ignore_errors=True)
print('  heatmeterd binary: %d bytes' % os.path.getsize(binary))
