# SPDX-License-Identifier: GPL-2.0
# Attach to the emulated 16550 (ttyS1) whose far end is a program on the
# host that echoes; 2400 8E1 as a meter line.
. /tests/lib.sh
ldattach -s 2400 -8 -e -1 "$LDISC" /dev/ttyS1
bus=$(wait_for /sys/class/heatmeter_bus/hmbus0 && bus_dir)
check uart/attach ttyS1 "$(cat "$bus/tty" 2>/dev/null)"
st=$(stty -a -F /dev/ttyS1 2>&1)
got=$(echo "$st" | tr ' ;' '\n\n' | grep -xE '2400|-?parenb|-?parodd|cs[5-8]|-?cstopb' | tr '\n' ' ' | sed 's/ $//')
check uart/8e1 "2400 parenb -parodd cs8 -cstopb" "${got:-$st}"
dbg=/sys/kernel/debug/heatmeter/$(basename "$bus")
echo "68 04 04 68 53 FE 50 90 31 16" > "$dbg/tx"
# 10 bytes at 2400 8E1 take 46 ms each way
usleep 500000
check uart/tx-bytes 10 "$(cat "$bus/stats/tx_bytes")"
check uart/rx-bytes 10 "$(cat "$bus/stats/rx_bytes")"
check uart/echoed "68 04 04 68 53 fe 50 90 31 16" "$(cat "$dbg/monitor")"
killall ldattach
wait_gone "$bus"
check uart/detach gone "$([ -e "$bus" ] || echo gone)"
