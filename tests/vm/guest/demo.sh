# SPDX-License-Identifier: GPL-2.0
# What a user sees: load, attach to the meter line (ttyS1, whose far end is
# the host), look at the bus, detach. Printed lines start with HMDEMO.
say() { echo "HMDEMO $*"; }
run() { say "\$ $*"; sh -c "$*" 2>&1 | sed 's/^/HMDEMO   /'; }
say "heatmeter demo on $(uname -r)"
run insmod /lib/modules/heatmeter.ko
run "grep heatmeter /proc/tty/ldiscs"
run ldattach -s 2400 -8 -e -1 29 /dev/ttyS1
sleep 1
run ls -l /sys/class/heatmeter_bus/
run "echo 'FE FE FE 68 20 AA AA AA AA AA AA AA 01 03 90 1F 00 E1 16' > /sys/kernel/debug/heatmeter/hmbus0/tx"
sleep 1
run "cd /sys/class/heatmeter_bus/hmbus0/stats && grep . *"
run cat /sys/kernel/debug/heatmeter/hmbus0/monitor
run killall ldattach
sleep 1
run rmmod heatmeter
say "done"
