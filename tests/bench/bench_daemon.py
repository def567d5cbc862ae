#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""heatmeterd end to end (printed, never asserted): Modbus requests/s with
libmodbus' own client (mbpoll), pymodbus and 8 libmodbus clients at once
(mbload), reading -> on-change packet latency at the platform simulator,
platform packets/s through the spool (live and replayed after an outage),
daemon memory with 20 and with 250 meters.
bench_daemon.py HEATMETERD MBLOAD"""
import fcntl
import importlib.machinery
import os
import shutil
import statistics
import struct
import subprocess
import termios
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'daemon'))
import hmtest  # noqa: E402
from hmtest import Daemon, Meters, free_port, reading, wait_log, wait_port, workdir  # noqa: E402
from pymodbus.client import ModbusTcpClient  # noqa: E402

binary, mbload = sys.argv[1], sys.argv[2]
TABLES = [(0, 1, 1, 60, [(106, 4)])]    # on-change + 60 s periodic: accumulated heat


def status(pid, *keys):
    with open('/proc/%d/status' % pid) as f:
        v = dict(l.split(':', 1) for l in f)
    return [v[k].split()[0] for k in keys]


def rx_uploads(pf, since=0):
    return [e for e in pf.find(dir='rx') if e.get('kind') in ('change', 'periodic', 'backlog-ts')
            and e['t'] >= since]


def settle(pf, since, quiet=1.0, timeout=60):
    """wait until no upload arrived for `quiet` s; returns the uploads since `since`"""
    t_end = time.time() + timeout
    n, t_n = -1, time.time()
    while time.time() < t_end:
        k = len(rx_uploads(pf, since))
        if k != n:
            n, t_n = k, time.time()
        elif time.time() - t_n >= quiet:
            break
        time.sleep(0.05)
    return rx_uploads(pf, since)


def flood(m, seconds, k0, gap=0.0002):
    """distinct readings to meter 0 as fast as the fifo takes them"""
    k = k0
    t_end = time.time() + seconds
    while time.time() < t_end:
        try:
            m.send(0, reading(k, energy=2 * 10 ** 9 + 1000 * k, supply_temp=50000))
            k += 1
        except BlockingIOError:
            pass
        time.sleep(gap)
    return k

sim = importlib.machinery.SourceFileLoader(
    'sim', os.path.join(hmtest.REPO, 'userspace/heatmeterd/dlt-platform-sim')).load_module()


def setup(n, first_addr, platform_extra=''):
    """n fake meters from first_addr, a platform simulator and a daemon
    (not started) serving 20 systems: wd, md, m, mport, pport, pf, d"""
    wd = workdir()
    md = os.path.join(wd, 'dev')
    os.mkdir(md)
    m = Meters(md)
    for i in range(n):
        m.add(i, 'cjt188', '%014d' % (first_addr + i))
    mport, pport = free_port(), free_port()
    pf = sim.Platform(listen=pport, tables=TABLES).start()
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
""" % (wd, wd, md, mport, pport) + platform_extra, wd, 'id = bench\npassword = bench\n')
    return wd, md, m, mport, pport, pf, d


wd, md, m, mport, pport, pf, d = setup(20, 11110021098754, """change_min_interval_ms = 0
backlog_rate = 10000
reconnect_max = 1
""")
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
    rss, hwm = status(d.p.pid, 'VmRSS', 'VmHWM')
    print('  daemon with 20 meters, 20 systems, platform link: VmRSS %s kB, VmHWM %s kB' % (rss, hwm))

    # 8 Modbus clients at once (C, libmodbus: the clients are not the bottleneck)
    sys.stdout.flush()
    subprocess.run([mbload, '127.0.0.1', str(mport), '8', '5', '20'])
    sys.stdout.flush()

    # platform packets through the spool, live: every reading a new value
    # (on-change, change_min_interval_ms = 0); each turn of the loop spools
    # what changed, fdatasync, sends
    t0 = time.time()
    k = flood(m, 3.0, 1000)
    up = settle(pf, t0)
    dt = max(e['t'] for e in up) - t0 if up else 1
    print('  platform packets through the spool, live (on-change, spooled + fdatasync + sent): '
          '%.0f packets/s (%d packets from %d readings in %.1f s)' % (len(up) / dt, len(up), k - 1000, dt))

    # ... and replayed after an outage: platform down, readings spooled, then
    # the platform back: from its login to the last backlog packet
    pf.stop()
    wait_log(d, 'connection closed', 5)
    k2 = flood(m, 3.0, k, gap=0.0005)
    time.sleep(0.5)
    pf = sim.Platform(listen=pport, tables=TABLES).start()
    if pf.wait(kind='login', timeout=15):
        t_login = pf.find(kind='login')[0]['t']
        up = settle(pf, t_login)
        dt = max(e['t'] for e in up) - t_login if up else 0
        if dt > 0:
            r = len(up) / dt
            print('  platform packets through the spool, backlog replay after an outage: '
                  '%.0f packets/s (limit backlog_rate 10000, ratio %.2f) (%d packets in %.2f s, '
                  '%d readings while offline)' % (r, r / 10000, len(up), dt, k2 - k))
    else:
        print('  platform packets through the spool, backlog replay: no login within 15 s')
finally:
    d.stop()
    pf.stop()
    shutil.rmtree(wd, ignore_errors=True)

# memory with 250 meters (a district-heating line): every meter read once
wd, md, m, mport, pport, pf, d = setup(250, 22220000000000)
d.start()
try:
    wait_port(mport)
    pf.wait(kind='config-ack', timeout=10)
    for i in range(250):
        m.send(i, reading(1, energy=1000 * i, supply_temp=50000, flow=1000, volume=10 ** 6))
    t_end = time.time() + 10
    left = 250
    while time.time() < t_end and left:
        left = 0
        for fd in m.fds.values():
            b = bytearray(4)
            fcntl.ioctl(fd, termios.FIONREAD, b)
            left += struct.unpack('i', b)[0] > 0
        time.sleep(0.05)
    time.sleep(0.5)
    c = ModbusTcpClient('127.0.0.1', port=mport)
    c.connect()
    for sy in range(1, 21):
        c.read_holding_registers((sy - 1) * 500 + 100, 16, slave=1)
    c.close()
    rss, hwm = status(d.p.pid, 'VmRSS', 'VmHWM')
    nfd = len(os.listdir('/proc/%d/fd' % d.p.pid))
    print('  daemon with 250 meters (%d read, 250 fifos open), 20 systems, platform link: '
          'VmRSS %s kB, VmHWM %s kB (%d fds)' % (250 - left, rss, hwm, nfd))
finally:
    d.stop()
    pf.stop()
    shutil.rmtree(wd, ignore_errors=True)
print('  heatmeterd binary: %d bytes' % os.path.getsize(binary))
