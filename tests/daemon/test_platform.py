#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""heatmeterd's DL/T 2690.8 platform link against dlt-platform-sim (its own
codec) on loopback: login, configuration and its acknowledgement, clock,
heartbeats, periodic and on-change packets, information call, control
command; then faults (bad CRC, oversized L, garbage, stalled platform,
platform down, kill -9 of the daemon) after which every reading must
still arrive. Usage: test_platform.py HEATMETERD"""
import importlib.machinery
import os
import re
import shutil
import signal
import struct
import sys
import time

import hmtest
from hmtest import Daemon, Meters, free_port, reading, result, workdir

binary = sys.argv[1]
sim = importlib.machinery.SourceFileLoader(
    'sim', os.path.join(hmtest.REPO, 'userspace/heatmeterd/dlt-platform-sim')).load_module()

TABLES = [(0, 1, 1, 2, [(106, 4), (114, 2)])]   # energy (Real), fault code (Word)
CRED = 'id = s2b3mnx934xs\npassword = xd32cvj431kw\n'


def f32(x):
    return struct.unpack('>f', struct.pack('>f', x))[0]


def energies(pf):
    out = set()
    for e in pf.find(dir='rx'):
        if e.get('kind') in ('change', 'periodic', 'backlog-ts') and len(e['data']) >= 8:
            out.add(struct.unpack('>f', bytes.fromhex(e['data'][:8]))[0])
    return out


class Feed:
    """Readings with distinct energies; remembers what it sent."""

    def __init__(self, meters):
        self.m = meters
        self.k = 0
        self.sent = []

    def some(self, n, gap=0.06):
        for _ in range(n):
            self.k += 1
            e = 1000000 * self.k        # 1 kWh steps: distinct float32 GJ values
            self.m.send(0, reading(self.k, energy=e, supply_temp=70000))
            self.sent.append(f32(e * 3.6e-9))
            time.sleep(gap)


def wait_all(pf, feed, timeout=15):
    t = time.time() + timeout
    while time.time() < t:
        missing = set(feed.sent) - energies(pf)
        if not missing:
            return set()
        time.sleep(0.1)
    return set(feed.sent) - energies(pf)


def conf(wd, md, port, mode='client', extra=''):
    return """
[daemon]
state_dir = %s/state
credentials = %s/credentials
[meters]
source = %s
[modbus]
enable = false
[platform]
enable = true
mode = %s
host = 127.0.0.1
port = %d
heartbeat_interval = 2
heartbeat_timeout = 1
reconnect_min = 1
reconnect_max = 2
change_min_interval_ms = 0
backlog_rate = 1000
login_timeout = 3
%s
[systems]
1 = heatmeter0
vendor_code.1 = 0100010001000100
product_code.1 = 0100010E01000100
""" % (wd, wd, md, mode, port, extra)


def main():
    wd = workdir()
    md = os.path.join(wd, 'dev')
    os.mkdir(md)
    m = Meters(md)
    m.add(0)
    feed = Feed(m)
    port = free_port()
    pf = sim.Platform(listen=port, tables=TABLES).start()
    d = Daemon(binary, conf(wd, md, port), wd, CRED)
    d.start()
    try:
        result('platform/login', pf.wait(kind='login', timeout=10) and
               pf.find(kind='login')[0]['id'] == 's2b3mnx934xs' and
               pf.find(kind='login')[0]['password'] == 'xd32cvj431kw' and
               pf.find(kind='login')[0]['codes'] == ['0100010001000100' + '0100010e01000100'],
               str(pf.find(kind='login')))
        result('platform/config-ack', pf.wait(kind='config-ack') and
               pf.find(kind='config-ack')[0]['result'] == 0, str(pf.find(kind='config-ack')))
        result('platform/config-persisted', os.path.exists(os.path.join(wd, 'state/platform.cfg')), '')
        result('platform/clock-sync', pf.wait(kind='clock-request') and
               hmtest.wait_log(d, 'platform: clock'), 'no clock request/handling')
        feed.some(5)
        miss = wait_all(pf, feed, 5)
        result('platform/on-change-packets', not miss and pf.find(kind='change'),
               'missing %s' % sorted(miss))
        result('platform/periodic-packets', pf.wait(kind='periodic', timeout=5) and
               pf.find(kind='periodic')[-1]['client'] == 0 and pf.find(kind='periodic')[-1]['table'] == 1,
               'none')
        result('platform/heartbeat', pf.wait(kind='heartbeat', timeout=5), 'none')
        # information call 0x65: energy registers 106, 107 (PDU, system 1)
        pf.call([106, 107])
        ok = pf.wait(kind='call-reply', timeout=5)
        rep = pf.find(kind='call-reply')[-1] if ok else {}
        if ok:
            v = struct.unpack('>f', struct.pack('>HH', rep['pairs'][0][1], rep['pairs'][1][1]))[0]
        result('platform/information-call', ok and rep['fc'] == 0x65 and
               [p[0] for p in rep['pairs']] == [106, 107] and v == feed.sent[-1], str(rep))
        pf.call([60000])
        result('platform/information-call-refused', pf.wait(kind='call-reply', n=2, timeout=5) and
               pf.find(kind='call-reply')[-1]['fc'] == 0xE5, str(pf.find(kind='call-reply')))
        # device id (table 8 in the first 4 of 8 bytes): station n -> system n,
        # station 0 -> the meter heatmeterN with N = device number
        want = rep.get('pairs', [[0, 0]])[0][1]
        outcome = []
        for devid in (b'\x01\0\0\0\0\0\0\0', b'\x02\0\0\0\0\0\0\0',
                      b'\x00\0\0\0\0\0\0\0', b'\x00\0\0\x05\0\0\0\0'):
            n = len(pf.find(kind='call-reply'))
            pf.call([106], devid)
            pf.wait(kind='call-reply', n=n + 1, timeout=5)
            r = pf.find(kind='call-reply')[-1]
            outcome.append((r['fc'], r['pairs'][0][1] if r['pairs'] else None))
        result('platform/information-call-stations', outcome ==
               [(0x65, want), (0xE5, None), (0x65, want), (0xE5, None)], str(outcome))
        pf.control(0x06, struct.pack('>HH', 100, 1))
        result('platform/control-write-refused', pf.wait(kind='control-reply', timeout=5) and
               pf.find(kind='control-reply')[-1]['fc'] == 0x86 and
               pf.find(kind='control-reply')[-1]['data'] == '02', str(pf.find(kind='control-reply')))
        bad = list(TABLES[0])
        bad[4] = [(106, 3)]
        pf.send(7, sim.config_file([tuple(bad)], version=2))
        result('platform/config-rejected-previous-kept',
               pf.wait(kind='config-ack', n=2, timeout=5) and
               pf.find(kind='config-ack')[-1]['result'] == 1 and
               pf.wait(kind='periodic', n=len(pf.find(kind='periodic')) + 1, timeout=5),
               str(pf.find(kind='config-ack')))

        # ---- faults: the link recovers and nothing is lost ----
        def fault(name, inject, recover=None, during=3, why='bad frame'):
            logins = len(pf.find(kind='login'))
            closed = d.logtext().count('connection closed: ' + why)
            inject()
            feed.some(during)
            if recover:
                recover()
            relog = pf.wait(kind='login', n=logins + 1, timeout=12)
            miss = wait_all(pf, feed, 15)
            dropped = d.logtext().count('connection closed: ' + why) > closed
            result('platform/fault-%s' % name, relog and not miss and dropped,
                   'relogin %s, link dropped for "%s" %s, missing %s' % (relog, why, dropped, sorted(miss)))

        fault('bad-crc', lambda: pf.send(3, b'\x7b\x7d', bad_crc=True))
        fault('oversized-L', lambda: pf.raw(struct.pack('<HHH', 7, 1, 60000) + b'\0' * 32))
        fault('garbage', lambda: pf.raw(b'GET / HTTP/1.0\r\n\r\n' * 3))

        def stall():
            pf.stalled = True

        def unstall():
            time.sleep(3)
            pf.close_conn()
            pf.stalled = False
        fault('stalled', stall, unstall, why='heartbeat not answered')

        # platform down: readings while nobody listens, then it comes back
        n_before = len(feed.sent)
        pf.stop()
        feed.some(5)
        time.sleep(1)
        pf2 = sim.Platform(listen=port, tables=TABLES).start()
        pf2.events.extend(pf.events)
        miss = wait_all(pf2, feed, 15)
        result('platform/fault-platform-down', not miss and len(feed.sent) > n_before,
               'missing %s' % sorted(miss))
        pf = pf2

        # kill -9 with records in the spool: nothing acknowledged to it is lost
        pf.stop()
        feed.some(8, gap=0.05)
        time.sleep(0.5)
        d.stop(signal.SIGKILL)
        d.start()
        time.sleep(0.3)
        pf3 = sim.Platform(listen=port, tables=TABLES).start()
        pf3.events.extend(pf.events)
        miss = wait_all(pf3, feed, 15)
        pend = re.findall(r'spool .*: (\d+) records pending', d.logtext())
        result('platform/kill-9-loses-nothing', not miss and len(pend) >= 2 and int(pend[-1]) >= 8,
               'missing %s, pending at restart %s' % (sorted(miss), pend))
        pf = pf3
        print('# platform: %d readings sent, %d distinct energies received, %d upload frames'
              % (len(feed.sent), len(energies(pf)),
                 len([e for e in pf.find(dir='rx') if e.get('kind') in ('change', 'periodic')])))
        result('platform/clean-exit', d.stop() == 0, 'exit status')
    finally:
        d.stop(9)
        pf.stop()
        if hmtest.failed:
            sys.stdout.write(''.join('# ' + l + '\n' for l in d.logtext().splitlines()[-40:]))
        shutil.rmtree(wd, ignore_errors=True)

    # server mode: the platform connects; the daemon still logs in first
    wd = workdir()
    md = os.path.join(wd, 'dev')
    os.mkdir(md)
    m = Meters(md)
    m.add(0)
    feed = Feed(m)
    port = free_port()
    d = Daemon(binary, conf(wd, md, port, 'server', 'clock_encoding = ascii'), wd, CRED)
    d.start()
    pf = sim.Platform(connect=('127.0.0.1', port), tables=TABLES, clock_enc='ascii').start()
    try:
        ok = pf.wait(kind='login', timeout=10) and pf.wait(kind='config-ack', timeout=5)
        feed.some(3)
        miss = wait_all(pf, feed, 10)
        result('platform/server-mode', ok and not miss, 'login %s missing %s' % (ok, sorted(miss)))
        result('platform/clock-ascii', hmtest.wait_log(d, 'encoding 1'), 'not decoded')
        result('platform/server-clean-exit', d.stop() == 0, 'exit status')
    finally:
        d.stop(9)
        pf.stop()
        if hmtest.failed:
            sys.stdout.write(''.join('# ' + l + '\n' for l in d.logtext().splitlines()[-40:]))
        shutil.rmtree(wd, ignore_errors=True)


def timestamped():
    """backlog_mode = timestamped: what was spooled before the login comes
    as A=0x8006 with its time; the platform's B = 0 is accepted."""
    wd = workdir()
    md = os.path.join(wd, 'dev')
    os.mkdir(md)
    m = Meters(md)
    m.add(0)
    feed = Feed(m)
    port = free_port()
    pf = sim.Platform(listen=port, tables=TABLES)
    pf.b = 0
    pf.start()
    d = Daemon(binary, conf(wd, md, port, extra='backlog_mode = timestamped'), wd, CRED)
    d.start()
    try:
        pf.wait(kind='config-ack', timeout=10)
        pf.stop()
        feed.some(4)
        time.sleep(0.5)
        pf2 = sim.Platform(listen=port, tables=TABLES)
        pf2.b = 0
        pf2.start()
        miss = wait_all(pf2, feed, 15)
        ts = pf2.find(kind='backlog-ts')
        now8 = time.strftime('%Y-%m-%d %H:%M', time.gmtime(time.time() + 8 * 3600))
        result('platform/backlog-timestamped', not miss and len(ts) >= 4 and
               all(t['time'][:16] <= now8 for t in ts) and ts[-1]['time'][:13] == now8[:13],
               'missing %s, %s' % (sorted(miss), [t.get('time') for t in ts][:4]))
        pf = pf2
        pf.call([106])
        rep = pf.find(kind='call-reply')[-1] if pf.wait(kind='call-reply', timeout=5) else {}
        hb = [e for e in pf.find(kind='heartbeat') if e['t'] > pf2.events[0]['t']]
        result('platform/other-protocol-id-accepted', rep.get('b') == 0 and hb and hb[-1]['b'] == 1 and
               d.stop() == 0 and 'protocol id 0x0000' in d.logtext(),
               'reply B %s, own frames B %s' % (rep.get('b'), hb[-1]['b'] if hb else None))
    finally:
        d.stop(9)
        pf.stop()
        if hmtest.failed:
            sys.stdout.write(''.join('# ' + l + '\n' for l in d.logtext().splitlines()[-40:]))
        shutil.rmtree(wd, ignore_errors=True)


def spool_energies(path):
    """The spool file read with this test's own parser: magic 'HMS1', len,
    seq, time, A, zero, payload, CRC-32; stops at the first bad record."""
    import zlib
    out = set()
    try:
        b = open(path, 'rb').read()
    except OSError:
        return out
    off = 0
    while off + 28 <= len(b):
        magic, ln = struct.unpack_from('<II', b, off)
        if magic != 0x31534d48 or off + 32 + ln > len(b):
            break
        crc = struct.unpack_from('<I', b, off + 28 + ln)[0]
        if zlib.crc32(b[off:off + 28 + ln]) != crc:
            break
        payload = b[off + 28:off + 28 + ln]
        if len(payload) >= 6:
            out.add(struct.unpack('>f', payload[2:6])[0])
        off += 32 + ln
    return out


def kill_storm():
    """kill -9 again and again while readings stream in and the platform
    is down: whatever reached the spool file must reach the platform."""
    import threading
    wd = workdir()
    md = os.path.join(wd, 'dev')
    os.mkdir(md)
    m = Meters(md)
    m.add(0)
    feed = Feed(m)
    port = free_port()
    pf = sim.Platform(listen=port, tables=TABLES).start()
    d = Daemon(binary, conf(wd, md, port), wd, CRED)
    d.start()
    try:
        pf.wait(kind='config-ack', timeout=10)
        pf.stop()
        th = threading.Thread(target=feed.some, args=(60, 0.02))
        th.start()
        kills = 0
        while th.is_alive():
            time.sleep(0.17)
            d.stop(signal.SIGKILL)
            kills += 1
            d.start()
        th.join()
        time.sleep(0.5)
        d.stop(signal.SIGKILL)
        spooled = spool_energies(os.path.join(wd, 'state/spool/spool'))
        d.start()
        pf = sim.Platform(listen=port, tables=TABLES).start()
        t = time.time() + 15
        while time.time() < t and spooled - energies(pf):
            time.sleep(0.1)
        miss = spooled - energies(pf)
        result('platform/kill-9-storm-spool-delivered', spooled and not miss,
               '%d spooled, missing %s' % (len(spooled), sorted(miss)[:5]))
        print('# kill -9 storm: %d kills during 60 readings; %d readings in the spool, all delivered: %s'
              % (kills, len(set(feed.sent) & spooled), not miss))
        result('platform/kill-9-storm-clean-exit', d.stop() == 0, 'exit status')
    finally:
        d.stop(9)
        pf.stop()
        if hmtest.failed:
            sys.stdout.write(''.join('# ' + l + '\n' for l in d.logtext().splitlines()[-30:]))
        shutil.rmtree(wd, ignore_errors=True)


main()
timestamped()
kill_storm()
sys.exit(hmtest.failed)
