# SPDX-License-Identifier: GPL-2.0
# Attach to a pty whose master echoes; send bytes out through the debugfs
# monitor and see them come back through receive_buf.
. /tests/lib.sh
hmecho > /tmp/echo.pty &
echo_pid=$!
wait_for /tmp/echo.pty 20; usleep 200000
pty=$(cat /tmp/echo.pty)
ldattach "$LDISC" "$pty"
bus=$(wait_for /sys/class/heatmeter_bus/hmbus0 && bus_dir)
check pty/attach /sys/class/heatmeter_bus/hmbus0 "$bus"
check pty/tty-attr "pts${pty#/dev/pts/}" "$(cat "$bus/tty" 2>/dev/null)"
dbg=/sys/kernel/debug/heatmeter/$(basename "$bus")
echo "FE FE 68 20 AA AA AA AA AA AA AA 01 03 90 1F 00 E1 16" > "$dbg/tx"
usleep 300000
check pty/tx-bytes 18 "$(cat "$bus/stats/tx_bytes")"
check pty/rx-bytes 18 "$(cat "$bus/stats/rx_bytes")"
check pty/echoed "fe fe 68 20 aa aa aa aa aa aa aa 01 03 90 1f 00 e1 16" "$(cat "$dbg/monitor")"
check pty/no-parity-on-pty 0 "$(cat "$bus/stats/parity_errors")"
check pty/tx-rejects-junk yes "$(echo 'zz' > "$dbg/tx" 2>/dev/null || echo yes)"
# A pty's discipline lives until both ends are closed: closing the master
# hangs the slave up, which detaches.
kill $echo_pid
killall ldattach
wait_gone "$bus"
check pty/hangup-removes-bus gone "$([ -e "$bus" ] || echo gone)"
# Attaching needs CAP_SYS_ADMIN: ldattach as an unprivileged user fails.
hmecho > /tmp/echo.pty &
echo_pid=$!
usleep 300000
pty=$(cat /tmp/echo.pty)
chmod 666 "$pty"
if setpriv --reuid=1000 --regid=1000 --clear-groups ldattach "$LDISC" "$pty" 2>/dev/null; then
	nok pty/attach-needs-cap-sys-admin "attached without CAP_SYS_ADMIN"
	killall ldattach
else
	check pty/attach-needs-cap-sys-admin "" "$(bus_dir)"
fi
kill $echo_pid
