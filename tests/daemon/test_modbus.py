#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""heatmeterd's Modbus server read by real clients (pymodbus, mbpoll) on
loopback; fake meters are FIFOs. Usage: test_modbus.py HEATMETERD"""
import os
import shutil
import struct
import subprocess
import sys
import threading
import time

from hmtest import Daemon, Meters, free_port, reading, result, wait_port, workdir
import hmtest
from pymodbus.client import ModbusTcpClient

binary = sys.argv[1]


def f32(x):
    return struct.unpack('>f', struct.pack('>f', x))[0]


def regs_to_float(r0, r1, order):
    b = struct.pack('>HH', r0, r1)
    if order == 'cdab':
        b = b[2:] + b[:2]
    elif order == 'badc':
        b = bytes([b[1], b[0], b[3], b[2]])
    elif order == 'dcba':
        b = b[::-1]
    return struct.unpack('>f', b)[0]


def run(order):
    wd = workdir()
    md = os.path.join(wd, 'dev')
    os.mkdir(md)
    m = Meters(md)
    m.add(0, 'cjt188', '11110021098754')
    m.add(1, 'mbus', '5', '12345678')
    port = free_port()
    d = Daemon(binary, """
[daemon]
state_dir = %s/state
[meters]
source = %s
stale_after = 2
systems = 3
[modbus]
listen = 127.0.0.1
port = %d
float_word_order = %s
""" % (wd, md, port, order), wd)
    d.start()
    try:
        if not result('modbus/%s/starts' % order, wait_port(port), 'port not open'):
            return
        vals = dict(supply_temp=75500, return_temp=45250, energy=1234567890,
                    volume=123456789, power=2500000, flow=1500000)
        m.send(0, reading(1, **vals))
        vals2 = dict(supply_temp=-1250, return_temp=20000, temp_diff=-21250,
                     energy=98765432109876, volume=5, power=1, flow=7)
        m.send(1, reading(1, status=0x04, **vals2))
        time.sleep(0.3)
        c = ModbusTcpClient('127.0.0.1', port=port)
        c.connect()
        r = c.read_holding_registers(100, 26, slave=1)
        r2 = c.read_holding_registers(600, 26, slave=1)
        r3 = c.read_holding_registers(1100, 26, slave=1)
        if not result('modbus/%s/read' % order, not r.isError() and not r2.isError()
                      and not r3.isError(), str(r)):
            return
        R, R2, R3 = r.registers, r2.registers, r3.registers
        exp = [('supply', 0, vals['supply_temp'] * 1e-3), ('return', 2, vals['return_temp'] * 1e-3),
               ('diff', 4, (75500 - 45250) * 1e-3), ('energy-GJ', 6, vals['energy'] * 3.6e-9),
               ('volume-m3', 8, vals['volume'] * 1e-6), ('power-GJh', 10, vals['power'] * 3.6e-9),
               ('flow-m3h', 12, vals['flow'] * 1e-6)]
        bad = [n for n, o, v in exp if regs_to_float(R[o], R[o + 1], order) != f32(v)]
        result('modbus/%s/system1-floats' % order, not bad, 'mismatch: %s' % bad)
        exp2 = [('supply', 0, -1.25), ('diff', 4, -21.25), ('energy', 6, vals2['energy'] * 3.6e-9),
                ('volume', 8, 5e-6)]
        bad = [n for n, o, v in exp2 if regs_to_float(R2[o], R2[o + 1], order) != f32(v)]
        result('modbus/%s/system2-offset-500' % order, not bad, 'mismatch: %s' % bad)
        result('modbus/%s/meter-number' % order, R[15] == 8754 and R[16:20] == [0x0011, 0x1100, 0x2109, 0x8754]
               and R2[15] == 5678 and R2[20] == 2, '%s %s' % (R[15:21], R2[15:21]))
        result('modbus/%s/fault-codes' % order, R[14] == 0 and R2[14] == 0x0404
               and R3[14] == 0x81, 'faults %04x %04x %04x' % (R[14], R2[14], R3[14]))
        result('modbus/%s/selftest-float' % order, regs_to_float(R[23], R[24], order) == 123456.0,
               str(R[23:25]))
        # writes to read-only points: exception 02
        w = c.write_register(100, 1, slave=1)
        w2 = c.write_registers(114, [1, 2], slave=1)
        result('modbus/%s/write-exception-02' % order, w.isError() and w2.isError() and
               getattr(w, 'exception_code', 0) == 2 and getattr(w2, 'exception_code', 0) == 2, str(w))
        r = c.read_holding_registers(100, 2, slave=1)
        result('modbus/%s/write-changed-nothing' % order, r.registers == R[0:2], str(r.registers))
        out = c.read_holding_registers(60000, 2, slave=1)
        result('modbus/%s/outside-image-exception' % order, out.isError(), str(out))
        if order == 'abcd':
            # mbpoll: 1-based references, -B = ABCD
            p = subprocess.run(['mbpoll', '-m', 'tcp', '-p', str(port), '-a', '1', '-t', '4:float',
                                '-B', '-r', '101', '-c', '7', '-1', '127.0.0.1'],
                               capture_output=True, text=True, timeout=20)
            got = {}
            for line in p.stdout.splitlines():
                if line.startswith('['):
                    k, v = line.split('\t', 1) if '\t' in line else line.split(None, 1)
                    got[int(k.strip('[]: '))] = float(v.strip())
            want = {101 + o: float('%g' % f32(v)) for n, o, v in exp}
            ok = len(got) == 7 and all(abs(got[k] - want[k]) <= 1e-6 * max(1, abs(want[k])) for k in want)
            result('modbus/abcd/mbpoll-floats', ok, 'mbpoll: %r want %r %s' % (got, want, p.stderr[-200:]))
            # several clients at once, and no torn float while values change
            stop = threading.Event()
            torn = []

            def writer():
                k = 0
                while not stop.is_set():
                    k += 1
                    e = 1000000000 * (1 + k % 2)  # 3.6 or 7.2 GJ
                    m.send(0, reading(1 + k, energy=e, supply_temp=10000 * (1 + k % 2)))
                    time.sleep(0.001)

            def client():
                cc = ModbusTcpClient('127.0.0.1', port=port)
                cc.connect()
                for _ in range(300):
                    rr = cc.read_holding_registers(100, 8, slave=1)
                    if rr.isError():
                        torn.append('error')
                        break
                    e = regs_to_float(rr.registers[6], rr.registers[7], order)
                    t = regs_to_float(rr.registers[0], rr.registers[1], order)
                    if e not in (f32(3.6), f32(7.2)) or t not in (10.0, 20.0):
                        torn.append((e, t))
                cc.close()
            wt = threading.Thread(target=writer)
            wt.start()
            cls = [threading.Thread(target=client) for _ in range(4)]
            t0 = time.time()
            for t in cls:
                t.start()
            for t in cls:
                t.join()
            dt = time.time() - t0
            stop.set()
            wt.join()
            result('modbus/abcd/4-clients-no-torn-float', not torn, str(torn[:3]))
            print('# modbus: 4 clients x 300 reads of 8 registers while a meter changes: %.0f reads/s'
                  % (1200 / dt))
            # a client that trickles its request byte by byte holds nobody up
            import socket as so
            slow = so.create_connection(('127.0.0.1', port))
            # a write of 10 registers: 33 bytes, 4.8 s when trickled
            req = bytes([0, 1, 0, 0, 0, 27, 1, 16, 0, 100, 0, 10, 20]) + bytes(20)
            trickle = threading.Event()

            def trickler():
                for k in range(len(req) - 1):
                    if trickle.is_set():
                        return
                    try:
                        slow.send(req[k:k + 1])
                    except OSError:
                        return
                    time.sleep(0.15)
            tt = threading.Thread(target=trickler)
            tt.start()
            time.sleep(0.2)
            t0 = time.time()
            for _ in range(50):
                rr = c.read_holding_registers(100, 2, slave=1)
            dt = time.time() - t0
            result('modbus/abcd/slow-client-holds-nobody', not rr.isError() and dt < 2.0,
                   '50 reads took %.2f s' % dt)
            slow.settimeout(3)
            try:
                gone = slow.recv(10) == b''
            except OSError:
                gone = True
            trickle.set()
            tt.join()
            slow.close()
            result('modbus/abcd/incomplete-request-dropped', gone, 'still connected')
            # staleness: no reading for stale_after (2 s) -> fault b0, values kept
            time.sleep(3.2)
            r = c.read_holding_registers(100, 26, slave=1)
            result('modbus/abcd/stale-after', r.registers[14] & 1 and r.registers[22] >= 2
                   and regs_to_float(r.registers[0], r.registers[1], order) in (10.0, 20.0),
                   str(r.registers[14:23]))
            m.send(0, reading(99999, error=-110))
            time.sleep(0.2)
            r = c.read_holding_registers(114, 9, slave=1)
            result('modbus/abcd/failed-reading-errno', r.registers[0] & 0x41 == 0x41 and r.registers[7] == 110,
                   str(r.registers))
            m.remove(1)
            time.sleep(1.5)
            r = c.read_holding_registers(614, 1, slave=1)
            result('modbus/abcd/meter-gone', r.registers[0] & 0x81 == 0x81, '%04x' % r.registers[0])
        c.close()
        result('modbus/%s/clean-exit' % order, d.stop() == 0, 'exit status')
    finally:
        d.stop(9)
        if hmtest.failed:
            sys.stdout.write(''.join('# ' + l + '\n' for l in d.logtext().splitlines()[-30:]))
        shutil.rmtree(wd, ignore_errors=True)


def run_rtu():
    """RTU on a pty pair (socat), read with mbpoll -m rtu."""
    if not shutil.which('socat'):
        result('modbus/rtu', False, 'socat missing (make install-deps)')
        return
    wd = workdir()
    md = os.path.join(wd, 'dev')
    os.mkdir(md)
    m = Meters(md)
    m.add(0)
    a, b = os.path.join(wd, 'ptyA'), os.path.join(wd, 'ptyB')
    so = subprocess.Popen(['socat', 'pty,raw,echo=0,link=' + a, 'pty,raw,echo=0,link=' + b],
                          stderr=subprocess.DEVNULL)
    t = time.time() + 5
    while not (os.path.exists(a) and os.path.exists(b)) and time.time() < t:
        time.sleep(0.05)
    port = free_port()
    d = Daemon(binary, """
[meters]
source = %s
[modbus]
listen = 127.0.0.1
port = %d
rtu_device = %s
rtu_baud = 9600
rtu_parity = E
rtu_slave = 7
""" % (md, port, a), wd)
    d.start()
    try:
        wait_port(port)
        m.send(0, reading(1, supply_temp=61250, energy=987654321))
        time.sleep(0.3)
        p = subprocess.run(['mbpoll', '-m', 'rtu', '-b', '9600', '-P', 'even', '-a', '7', '-t', '4:float',
                            '-B', '-r', '101', '-c', '4', '-1', b], capture_output=True, text=True, timeout=20)
        got = [float(l.split(None, 1)[1]) for l in p.stdout.splitlines()
               if l.startswith('[') and len(l.split(None, 1)) == 2]
        result('modbus/rtu/mbpoll-floats', len(got) == 4 and got[0] == 61.25 and
               abs(got[3] - 987654321 * 3.6e-9) < 1e-5, '%r %s' % (got, p.stderr[-200:]))
        p = subprocess.run(['mbpoll', '-m', 'rtu', '-b', '9600', '-P', 'even', '-a', '8', '-t', '4',
                            '-r', '101', '-c', '1', '-1', '-o', '0.5', b], capture_output=True, text=True,
                           timeout=20)
        result('modbus/rtu/other-slave-ignored', p.returncode != 0 and 'timed out' in (p.stdout + p.stderr).lower(),
               (p.stdout + p.stderr)[-200:])
        result('modbus/rtu/clean-exit', d.stop() == 0, 'exit status')
    finally:
        d.stop(9)
        so.terminate()
        so.wait()
        if hmtest.failed:
            sys.stdout.write(''.join('# ' + l + '\n' for l in d.logtext().splitlines()[-30:]))
        shutil.rmtree(wd, ignore_errors=True)


for o in ('abcd', 'cdab', 'dcba'):
    run(o)
run_rtu()
sys.exit(hmtest.failed)
