#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the test initramfs: mount, run every /tests/*.sh, report, power off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts -o ptmxmode=0666 devpts /dev/pts
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
# Kernel messages up to KERN_WARNING still reach the console live; the
# whole log is dumped at the end for the host to scan.
dmesg -n 5

. /tests/lib.sh
# kmemleak (debug kernel): forget what boot left, report what the tests leak
KMEMLEAK=/sys/kernel/debug/kmemleak
[ -e $KMEMLEAK ] && echo clear > $KMEMLEAK
echo "HMVM: kernel $(uname -r) mode ${HMVM_MODE:-test}"
mode=$(sed -n 's/.*hmvm=\([a-z]*\).*/\1/p' /proc/cmdline)
for t in /tests/[0-9]*.sh; do
	case "$mode" in demo|bench) break ;; esac
	echo "HMVM: running $t"
	t0=$(cut -d' ' -f1 /proc/uptime)
	sh "$t" 2>&1 | tee -a /tmp/results
	echo "# vm-time $(basename "$t"): $(awk -v a="$t0" '{ printf "%.1f", $1 - a }' /proc/uptime) s" | tee -a /tmp/results
done
[ "$mode" = demo ] && sh /tests/demo.sh
# make bench: the figures, as "bench: " lines (tests/vm/bench)
if [ "$mode" = bench ]; then
	for t in /tests/bench/*.sh; do
		echo "HMVM: running $t"
		sh "$t" 2>&1 | tee -a /tmp/results
	done
fi
if [ -e $KMEMLEAK ] && [ "$mode" != demo ] && [ "$mode" != bench ]; then
	# objects must stay unreferenced over two scans to be reported
	echo scan > $KMEMLEAK; sleep 1; echo scan > $KMEMLEAK
	if grep -q unreferenced $KMEMLEAK; then
		echo "not ok - vm/kmemleak: $(grep -c unreferenced $KMEMLEAK) unreferenced objects" | tee -a /tmp/results
		cat $KMEMLEAK
	else
		echo "ok - vm/kmemleak" | tee -a /tmp/results
	fi
fi
echo "===HMVM-RESULTS==="
grep -E '^(not )?ok - |^# vm-time|^bench: ' /tmp/results 2>/dev/null
echo "===HMVM-DMESG==="
dmesg
echo "===HMVM-END==="
sync
# qemu runs with -no-reboot: a reboot ends it, with or without ACPI
reboot -f
