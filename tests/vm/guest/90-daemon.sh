# SPDX-License-Identifier: GPL-2.0
# heatmeterd with the real driver: meters found under /dev (directory
# mode), readings through the char devices (the bus polls), the Annex B
# registers read with mbpoll, a deleted meter flagged; then under the real
# systemd-udevd, heatmeterd's default mode (libudev enumeration + monitor):
# a meter added while it runs appears in Modbus, a deleted one goes stale
# with fault 0x0081.
. /tests/lib.sh
. /tests/hm.sh
BUS=/sys/class/heatmeter_bus/hmbus0

if ! command -v heatmeterd >/dev/null || ! command -v mbpoll >/dev/null; then
	nok daemon/present "heatmeterd or mbpoll missing from the initramfs"
	exit 0
fi
# the debug kernel is built without TCP/IP: nothing to test there
if [ ! -e /proc/net/tcp ]; then
	echo "ok - vm/daemon/skipped # SKIP: kernel without TCP/IP"
	exit 0
fi
ifconfig lo 127.0.0.1 up
rm -f /dev/ttyHM0
hmsim --pty --pty-link /dev/ttyHM0 --latency 5 --no-pace \
	--meter profile=cjt188,address=00000021098754,energy=123450000,volume=6780000 \
	--meter profile=mbus,primary=9,id=12345690,manufacturer=ABC,energy=5000000,volume=2500000 \
	> /tmp/hmsim-90.out 2>&1 &
sim=$!
wait_for /dev/ttyHM0 50
ldattach "$LDISC" /dev/ttyHM0
wait_for $BUS
echo "cjt188 00000021098754" > $BUS/new_meter
echo "mbus 9" > $BUS/new_meter
m=$(meter_at 00000021098754)
mb=$(meter_at 9)
wait_for "/dev/$(basename "$m")" 20
wait_for "/dev/$(basename "$mb")" 20
cat > /tmp/hmd.conf <<EOC
[meters]
source = /dev
stale_after = 60
[systems]
1 = cjt188-00000021098754
2 = mbus-9
[modbus]
listen = 127.0.0.1
port = 1502
EOC
heatmeterd -c /tmp/hmd.conf --foreground -v > /tmp/hmd.log 2>&1 &
hmd=$!
echo 500 > $BUS/poll_interval_ms

# mbpoll REF COUNT TYPE: the values, one per line (mbpoll's -r counts
# from 1 inside the holding-register table: 40101 is -r 101)
mbp() {
	mbpoll -m tcp -p 1502 -a 1 -t "$3" -B -r $(($1 - 40000)) -c "$2" -1 127.0.0.1 2>/dev/null |
		sed -n 's/^\[[0-9]*\]:[[:space:]]*//p'
}
# wait until system 1's fault code is 0 (a good reading arrived)
n=100
while [ "$(mbp 40115 1 4 | head -n1)" != 0 ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
check daemon/reading-arrived 0 "$(mbp 40115 1 4 | head -n1)"
if [ "$(mbp 40115 1 4 | head -n1)" != 0 ]; then
	mbpoll -m tcp -p 1502 -a 1 -t 4 -B -r 115 -c 1 -1 127.0.0.1 2>&1 | sed 's/^/# mbpoll: /'
	sed 's/^/# heatmeterd: /' /tmp/hmd.log | tail -n 20
fi
# energy (GJ) and volume (m3) of system 1 against sysfs, to float32 precision
e=$(cat "$m/energy"); v=$(cat "$m/volume")
set -- $(mbp 40107 4 4:float)
check daemon/energy-GJ yes "$(awk -v g="$1" -v e="$e" 'BEGIN { w = e * 3.6e-9; d = g - w; if (d < 0) d = -d; print (d <= w * 1e-6) ? "yes" : "no " g " " w }')"
check daemon/volume-m3 yes "$(awk -v g="$2" -v v="$v" 'BEGIN { w = v * 1e-6; d = g - w; if (d < 0) d = -d; print (d <= w * 1e-6) ? "yes" : "no " g " " w }')"
check daemon/meter-number 8754 "$(mbp 40116 1 4 | head -n1)"
# system 2 (M-Bus) at +500
eb=$(cat "$mb/energy")
set -- $(mbp 40607 2 4:float)
check daemon/system2-energy yes "$(awk -v g="$1" -v e="$eb" 'BEGIN { w = e * 3.6e-9; d = g - w; if (d < 0) d = -d; print (d <= w * 1e-6) ? "yes" : "no " g " " w }')"
check daemon/system2-meter-number 5690 "$(mbp 40616 1 4 | head -n1)"
# a deleted meter: fault bits 0 (stale) and 7 (gone), values kept
echo "mbus 9" > $BUS/delete_meter
n=50
while [ $(( $(mbp 40615 1 4 | head -n1) + 0 & 129 )) -ne 129 ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
check daemon/deleted-meter-fault 129 "$(( $(mbp 40615 1 4 | head -n1) + 0 & 129 ))"
check daemon/deleted-meter-values-kept "$1" "$(mbp 40607 2 4:float | head -n1)"
# a write is refused (exception 02), the register unchanged
wr=$(mbpoll -m tcp -p 1502 -a 1 -t 4 -r 115 -1 127.0.0.1 7 2>&1)
check daemon/write-exception-02 yes "$(echo "$wr" | grep -qi 'illegal data address' && echo yes)"
check daemon/write-refused 0 "$(mbp 40115 1 4 | head -n1)"
echo 0 > $BUS/poll_interval_ms
kill $hmd
wait $hmd
check daemon/clean-exit 0 "$?"
grep -q "heatmeter[0-9]*: cjt188 00000021098754 -> system 1" /tmp/hmd.log || sed 's/^/# /' /tmp/hmd.log | tail -n 20

# udev mode ([meters] source unset): enumeration finds the CJ/T 188 meter,
# the monitor sees mbus 9 added and the CJ/T 188 meter deleted. Needs
# netlink and udevd (started here as 78-ctl.sh does, stopped after).
udevd=
if [ ! -e /proc/net/netlink ] || [ ! -x /lib/systemd/systemd-udevd ]; then
	ok "daemon/udev # SKIP no netlink or no systemd-udevd in the guest"
else
	if ! pidof systemd-udevd > /dev/null; then
		mkdir -p /run/udev
		/lib/systemd/systemd-udevd --daemon > /tmp/udevd-90.out 2>&1
		n=50
		while [ ! -e /run/udev/control ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
		udevd=$(pidof systemd-udevd)
	fi
	check daemon/udevd-runs yes "$(pidof systemd-udevd > /dev/null && echo yes)"
	udevadm settle -t 10
	sed '/^source/d' /tmp/hmd.conf > /tmp/hmd-udev.conf
	heatmeterd -c /tmp/hmd-udev.conf --foreground -v > /tmp/hmd-udev.log 2>&1 &
	hmd=$!
	echo 500 > $BUS/poll_interval_ms
	n=100
	while [ "$(mbp 40115 1 4 | head -n1)" != 0 ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
	check daemon/udev-enumerated 0 "$(mbp 40115 1 4 | head -n1)"
	check daemon/udev-no-system2-yet 129 "$(mbp 40615 1 4 | head -n1)"
	# added while the daemon runs: the monitor's "add" opens it
	echo "mbus 9" > $BUS/new_meter
	n=100
	while [ "$(mbp 40615 1 4 | head -n1)" != 0 ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
	check daemon/udev-added-meter-serving 0 "$(mbp 40615 1 4 | head -n1)"
	check daemon/udev-added-meter-number 5690 "$(mbp 40616 1 4 | head -n1)"
	mb=$(meter_at 9)
	eb=$(cat "$mb/energy")
	set -- $(mbp 40607 2 4:float)
	check daemon/udev-added-meter-energy yes "$(awk -v g="$1" -v e="$eb" 'BEGIN { w = e * 3.6e-9; d = g - w; if (d < 0) d = -d; print (d <= w * 1e-6) ? "yes" : "no " g " " w }')"
	# deleted while it runs: "remove" -> stale + gone (0x0081), values kept,
	# the other system keeps updating
	set -- $(mbp 40107 2 4:float)
	e1=$1
	echo "cjt188 00000021098754" > $BUS/delete_meter
	n=50
	while [ "$(mbp 40115 1 4 | head -n1)" != 129 ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
	check daemon/udev-deleted-meter-fault 129 "$(mbp 40115 1 4 | head -n1)"
	check daemon/udev-deleted-meter-values-kept "$e1" "$(mbp 40107 2 4:float | head -n1)"
	check daemon/udev-other-meter-fine 0 "$(mbp 40615 1 4 | head -n1)"
	echo 0 > $BUS/poll_interval_ms
	kill $hmd
	wait $hmd
	check daemon/udev-clean-exit 0 "$?"
	grep -q "gone (" /tmp/hmd-udev.log || sed 's/^/# /' /tmp/hmd-udev.log | tail -n 20
	[ -n "$udevd" ] && kill $udevd
fi
kill $sim
wait $sim 2>/dev/null
wait_gone $BUS 100
