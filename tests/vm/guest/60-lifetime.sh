# SPDX-License-Identifier: GPL-2.0
# Lifetime: readers sleeping in sysfs when the line hangs up, close during
# a scan, rmmod with meters gone, attach/detach 200 times.
. /tests/lib.sh
. /tests/hm.sh
BUS=/sys/class/heatmeter_bus/hmbus0

# start_sim ARGS...: hmsim on a pty at /dev/ttyHM0, attached; sets $sim
start_sim() {
	rm -f /dev/ttyHM0
	hmsim --pty --pty-link /dev/ttyHM0 "$@" > /tmp/hmsim-life.out 2>&1 &
	sim=$!
	wait_for /dev/ttyHM0 50
	ldattach "$LDISC" /dev/ttyHM0
	wait_for $BUS
}

# 8 readers asleep on a silent meter; the pty master goes away
start_sim --meter profile=cjt188,address=00000000000001,fault=silence
echo "cjt188 00000000000001" > $BUS/new_meter
m=$(meter_at 00000000000001)
echo 20000 > $BUS/response_timeout_ms
i=0
while [ $i -lt 8 ]; do
	(cat "$m/energy" > /tmp/reader.$i 2>&1; echo "rc=$?" >> /tmp/reader.$i) &
	i=$((i + 1))
done
# all 8 are waiting once the request is on the wire
n=100
while [ "$(bstat $BUS tx_bytes)" -eq 0 ] && [ $n -gt 0 ]; do usleep 50000; n=$((n - 1)); done
usleep 200000
check life/readers-share-one-read 1 "$(cat "$m/stats/requests")"
kill $sim
wait $sim 2>/dev/null
wait_gone $BUS 100
check life/hangup-removes-bus gone "$([ -e $BUS ] || echo gone)"
# every reader returns, with ENODEV
n=100
while [ "$(cat /tmp/reader.* 2>/dev/null | grep -c '^rc=')" -lt 8 ] && [ $n -gt 0 ]; do
	usleep 100000; n=$((n - 1))
done
check life/eight-readers-enodev 8 "$(cat /tmp/reader.* | grep -c 'No such device')"
check life/eight-readers-failed 8 "$(cat /tmp/reader.* | grep -c '^rc=1')"
killall -q ldattach
wait
rm -f /tmp/reader.*

# close during a scan: the scan stops, the bus goes, nothing is left
start_sim --meter profile=cjt188,address=00000000000001
echo "mbus-primary 0-250" > $BUS/scan
n=100
while [ "$(cat $BUS/scan_status)" = "running 0/251" ] && [ $n -gt 0 ]; do usleep 50000; n=$((n - 1)); done
check life/scan-running running "$(cut -d' ' -f1 $BUS/scan_status)"
killall ldattach
kill $sim
wait $sim 2>/dev/null
wait_gone $BUS 50
check life/close-during-scan gone "$([ -e $BUS ] || echo gone)"

# a meter removed while a reader sleeps on it: ENODEV
start_sim --meter profile=cjt188,address=00000000000002,fault=silence
echo "cjt188 00000000000002" > $BUS/new_meter
echo 20000 > $BUS/response_timeout_ms
m=$(meter_at 00000000000002)
(cat "$m/energy" > /tmp/reader.d 2>&1; echo "rc=$?" >> /tmp/reader.d) &
n=100
while [ "$(bstat $BUS tx_bytes)" -eq 0 ] && [ $n -gt 0 ]; do usleep 50000; n=$((n - 1)); done
echo "cjt188 00000000000002" > $BUS/delete_meter
wait_gone "$m"
n=50
while ! grep -q '^rc=' /tmp/reader.d && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
check life/delete-wakes-reader "No such device" "$(grep -o 'No such device' /tmp/reader.d)"
killall ldattach
kill $sim
wait 2>/dev/null
wait_gone $BUS 50

# rmmod after detach (meters were there), then load again
if rmmod heatmeter 2>/tmp/rmmod.err; then ok life/rmmod-after-detach; else nok life/rmmod-after-detach "$(cat /tmp/rmmod.err)"; fi
check life/meter-class-gone gone "$([ -e /sys/class/heatmeter ] || echo gone)"
insmod /lib/modules/heatmeter.ko

# attach/detach 200 times, with a meter each time
i=0 fails=0
while [ $i -lt 200 ]; do
	rm -f /tmp/echo6.pty
	hmecho > /tmp/echo6.pty &
	epid=$!
	n=50
	while [ ! -s /tmp/echo6.pty ] && [ $n -gt 0 ]; do usleep 20000; n=$((n - 1)); done
	ldattach "$LDISC" "$(cat /tmp/echo6.pty)" || fails=$((fails + 1))
	wait_for $BUS 20 || fails=$((fails + 1))
	echo "mbus $((i % 250))" > $BUS/new_meter || fails=$((fails + 1))
	kill $epid
	killall -q ldattach
	wait $epid 2>/dev/null
	wait_gone $BUS 20 || fails=$((fails + 1))
	i=$((i + 1))
done
check life/attach-detach-200 0 "$fails"
check life/no-meters-left 0 "$(ls /sys/class/heatmeter/ | wc -l)"
if rmmod heatmeter 2>/tmp/rmmod.err; then ok life/rmmod-clean; else nok life/rmmod-clean "$(cat /tmp/rmmod.err)"; fi
insmod /lib/modules/heatmeter.ko
