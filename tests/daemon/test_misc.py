#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""heatmeterd: configuration checks, credentials mode, sd_notify (READY,
watchdog, STOPPING), log levels. Usage: test_misc.py HEATMETERD"""
import os
import shutil
import socket
import subprocess
import sys
import time

import hmtest
from hmtest import Daemon, free_port, result, workdir

binary = sys.argv[1]
wd = workdir()
try:
    example = os.path.join(hmtest.REPO, 'userspace/heatmeterd/heatmeterd.conf')
    p = subprocess.run([binary, '-c', example, '--check-config'], capture_output=True, text=True)
    result('misc/example-config-valid', p.returncode == 0, p.stderr)
    bad = os.path.join(wd, 'bad.conf')
    open(bad, 'w').write('[modbus]\nport = 1502\nfloat_word_order = abdc\n')
    p = subprocess.run([binary, '-c', bad, '--check-config'], capture_output=True, text=True)
    result('misc/bad-config-line', p.returncode == 1 and 'line 3' in p.stderr and
           'float_word_order' in p.stderr, p.stderr)
    cred = os.path.join(wd, 'cred')
    open(cred, 'w').write('id = abc\npassword = def\n')
    os.chmod(cred, 0o644)
    pc = os.path.join(wd, 'pf.conf')
    open(pc, 'w').write('[daemon]\ncredentials = %s\n[platform]\nenable = true\nhost = 127.0.0.1\n'
                        'port = 9\n' % cred)
    p = subprocess.run([binary, '-c', pc, '--check-config'], capture_output=True, text=True)
    result('misc/credentials-0644-refused', p.returncode == 1 and '0600' in p.stderr, p.stderr)
    os.chmod(cred, 0o600)
    p = subprocess.run([binary, '-c', pc, '--check-config'], capture_output=True, text=True)
    result('misc/credentials-0600-accepted', p.returncode == 0, p.stderr)

    # sd_notify: READY=1, WATCHDOG=1 at half WATCHDOG_USEC, STOPPING=1
    ns = os.path.join(wd, 'notify')
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(ns)
    s.settimeout(0.2)
    os.mkdir(os.path.join(wd, 'dev'))
    port = free_port()
    d = Daemon(binary, '[daemon]\nlog_level = err\n[meters]\nsource = %s/dev\n[modbus]\n'
               'listen = 127.0.0.1\nport = %d\n' % (wd, port), wd)
    env = dict(os.environ, NOTIFY_SOCKET=ns, WATCHDOG_USEC='200000')
    lf = open(d.log, 'a')
    d.p = subprocess.Popen([binary, '-c', d.conf], env=env, stdout=lf, stderr=lf)
    msgs = []
    t = time.time() + 2
    while time.time() < t:
        try:
            msgs.append(s.recv(4096).decode())
        except socket.timeout:
            pass
    result('misc/sd-notify-ready', any('READY=1' in m for m in msgs), str(msgs[:3]))
    result('misc/sd-notify-watchdog', sum('WATCHDOG=1' in m for m in msgs) >= 10,
           '%d watchdog pings in 2 s at WATCHDOG_USEC=200000' % sum('WATCHDOG=1' in m for m in msgs))
    d.p.terminate()
    d.p.wait(10)
    try:
        while True:
            msgs.append(s.recv(4096).decode())
    except socket.timeout:
        pass
    result('misc/sd-notify-stopping', any('STOPPING=1' in m for m in msgs) and d.p.returncode == 0,
           str(msgs[-2:]))
    result('misc/log-level-err-quiet', 'info:' not in d.logtext() and 'debug:' not in d.logtext(),
           d.logtext()[:200])
finally:
    shutil.rmtree(wd, ignore_errors=True)
sys.exit(hmtest.failed)
