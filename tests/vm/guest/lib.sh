# SPDX-License-Identifier: GPL-2.0
# Helpers for guest test scripts. Each test prints exactly one
# "ok - vm/<name>" or "not ok - vm/<name>: <reason>" line.
KVER=$(uname -r)
LDISC=29

ok() { echo "ok - vm/$1"; }
nok() { echo "not ok - vm/$1: $2"; }
# check NAME EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "expected '$2', got '$3'"; fi
}
# wait_for PATH [tenths]: wait until PATH exists
wait_for() {
	n=${2:-50}
	while [ ! -e "$1" ] && [ "$n" -gt 0 ]; do usleep 100000; n=$((n - 1)); done
	[ -e "$1" ]
}
wait_gone() {
	n=${2:-50}
	while [ -e "$1" ] && [ "$n" -gt 0 ]; do usleep 100000; n=$((n - 1)); done
	[ ! -e "$1" ]
}
# the single bus directory under /sys/class/heatmeter_bus
bus_dir() { ls -d /sys/class/heatmeter_bus/hmbus* 2>/dev/null | head -n1; }
