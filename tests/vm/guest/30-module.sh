# SPDX-License-Identifier: GPL-2.0
# Module lifetime: rmmod refused while attached, clean after; the module
# loads by name (modprobe, depmod'ed tree); attach and hangup repeated.
. /tests/lib.sh
BUS=/sys/class/heatmeter_bus/hmbus0

# start_pty: an echoing pty master in the background; sets $pty, $echo_pid
start_pty() {
	rm -f /tmp/echo3.pty
	hmecho > /tmp/echo3.pty &
	echo_pid=$!
	n=50
	while [ ! -s /tmp/echo3.pty ] && [ $n -gt 0 ]; do usleep 20000; n=$((n - 1)); done
	pty=$(cat /tmp/echo3.pty)
}
# stop_pty: close the master (hangs the slave up) and the attaching process
stop_pty() {
	kill $echo_pid
	killall -q ldattach
	wait $echo_pid 2>/dev/null
}

start_pty
ldattach "$LDISC" "$pty"
wait_for $BUS
check module/rmmod-busy-refused yes "$(rmmod heatmeter 2>/dev/null || echo yes)"
stop_pty
wait_gone $BUS

i=0 fails=0
while [ $i -lt 50 ]; do
	start_pty
	ldattach "$LDISC" "$pty" || fails=$((fails + 1))
	wait_for $BUS 20 || fails=$((fails + 1))
	stop_pty
	wait_gone $BUS 20 || fails=$((fails + 1))
	i=$((i + 1))
done
check module/attach-hangup-50 0 "$fails"

if rmmod heatmeter 2>/tmp/rmmod.err; then ok module/rmmod; else nok module/rmmod "$(cat /tmp/rmmod.err)"; fi
check module/class-gone gone "$([ -e /sys/class/heatmeter_bus ] || echo gone)"

# modprobe by name: tests/vm/run put heatmeter.ko under updates/dkms of
# the guest's module tree, as dkms installs it, and ran depmod
if modprobe heatmeter 2>/tmp/modprobe.err; then
	ok module/modprobe-by-name
else
	nok module/modprobe-by-name "$(cat /tmp/modprobe.err)"
fi
check module/param-ldisc 29 "$(cat /sys/module/heatmeter/parameters/ldisc 2>/dev/null)"
start_pty
ldattach 29 "$pty"
check module/attach-after-modprobe yes "$(wait_for $BUS && echo yes)"
stop_pty
wait_gone $BUS
rmmod heatmeter
check module/bad-param-refused yes "$(insmod /lib/modules/heatmeter.ko ldisc=99 2>/dev/null || echo yes)"
insmod /lib/modules/heatmeter.ko
