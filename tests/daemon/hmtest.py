# SPDX-License-Identifier: GPL-2.0
"""Helpers for the heatmeterd host tests: fake meters (FIFOs carrying
struct heatmeter_reading), a daemon under test, result lines."""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

READING = struct.Struct('<IIiI16qHBBBBBBIIQII6q')
assert READING.size == 224
Q = dict(energy=0, cooling_energy=1, volume=2, power=3, flow=4, supply_temp=5,
         return_temp=6, temp_diff=7, operating_time=8)
RD_STATUS = 1 << 2

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
failed = 0


def result(name, cond, why=''):
    global failed
    if cond:
        print('ok - daemon/%s' % name)
    else:
        failed = 1
        print('not ok - daemon/%s: %s' % (name, why))
    sys.stdout.flush()
    return cond


def reading(seq, error=0, status=None, **vals):
    values = [0] * 16
    valid = 0
    for k, v in vals.items():
        values[Q[k]] = v
        valid |= 1 << Q[k]
    flags = RD_STATUS if status is not None else 0
    return READING.pack(224, flags, error, valid if not error else 0, *values,
                        0, 0, 0, 0, 0, 0, 0, status or 0, 1, seq, 0, 0,
                        0, 0, 0, 0, 0, time.time_ns())


class Meters:
    """A directory of FIFOs standing in for /dev/heatmeterN."""

    def __init__(self, d):
        self.dir = d
        self.fds = {}

    def add(self, n, proto='cjt188', address='11110021098754', mid=''):
        p = os.path.join(self.dir, 'heatmeter%d' % n)
        with open(p + '.info', 'w') as f:
            f.write('%s %s %s\n' % (proto, address, mid))
        os.mkfifo(p)
        # O_RDWR: opening never blocks and the fifo never hangs up
        self.fds[n] = os.open(p, os.O_RDWR | os.O_NONBLOCK)

    def send(self, n, rec):
        os.write(self.fds[n], rec)

    def remove(self, n):
        os.close(self.fds.pop(n))
        os.unlink(os.path.join(self.dir, 'heatmeter%d' % n))


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=10.0):
    t = time.time() + timeout
    while time.time() < t:
        try:
            socket.create_connection(('127.0.0.1', port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Daemon:
    def __init__(self, binary, conf_text, workdir, cred=None):
        self.binary = binary
        self.dir = workdir
        self.conf = os.path.join(workdir, 'heatmeterd.conf')
        with open(self.conf, 'w') as f:
            f.write(conf_text)
        if cred is not None:
            cp = os.path.join(workdir, 'credentials')
            with open(cp, 'w') as f:
                f.write(cred)
            os.chmod(cp, 0o600)
        self.log = os.path.join(workdir, 'heatmeterd.log')
        self.p = None

    def start(self):
        lf = open(self.log, 'a')
        self.p = subprocess.Popen([self.binary, '-c', self.conf, '--foreground', '-v'],
                                  stdout=lf, stderr=lf)
        lf.close()

    def stop(self, sig=15):
        if self.p and self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        rc = self.p.returncode if self.p else None
        self.p = None
        return rc

    def logtext(self):
        with open(self.log, errors='replace') as f:
            return f.read()


def workdir():
    return tempfile.mkdtemp(prefix='hmd-test-')


def wait_log(d, text, timeout=5.0):
    t = time.time() + timeout
    while time.time() < t:
        if text in d.logtext():
            return True
        time.sleep(0.05)
    return False
