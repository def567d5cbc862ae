# SPDX-License-Identifier: GPL-2.0
. /tests/lib.sh
if insmod /lib/modules/heatmeter.ko 2>/tmp/insmod.err; then
	ok load/insmod
else
	nok load/insmod "$(cat /tmp/insmod.err)"
fi
check load/class-exists yes "$([ -d /sys/class/heatmeter_bus ] && echo yes)"
check load/ldisc-param 29 "$(cat /sys/module/heatmeter/parameters/ldisc 2>/dev/null)"
check load/ldisc-registered yes "$(grep -q '^heatmeter' /proc/tty/ldiscs && echo yes)"
