# SPDX-License-Identifier: GPL-2.0
# /dev/heatmeterN: read() stream, poll, O_NONBLOCK, several readers, the
# drop marker, GET_INFO/READ, hangup waking blocked readers with ENODEV.
. /tests/lib.sh
. /tests/hm.sh
BUS=/sys/class/heatmeter_bus/hmbus0

rm -f /dev/ttyHM0
hmsim --pty --pty-link /dev/ttyHM0 --latency 5 --no-pace \
	--meter profile=cjt188,address=00000000000070,energy=123450000,volume=6780000 \
	--meter profile=mbus,primary=7,id=12345670,manufacturer=ABC,energy=5000000 \
	> /tmp/hmsim-70.out 2>&1 &
sim=$!
wait_for /dev/ttyHM0 50
ldattach "$LDISC" /dev/ttyHM0
wait_for $BUS
echo "cjt188 00000000000070" > $BUS/new_meter
echo "mbus 7" > $BUS/new_meter
m=$(meter_at 00000000000070)
mb=$(meter_at 7)
dev=/dev/$(basename "$m")
devb=/dev/$(basename "$mb")
wait_for "$dev" 20
check cdev/node-name "$(basename "$m")" "$(basename "$(readlink -f /sys/class/heatmeter/$(basename "$m"))")"
check cdev/node-is-char yes "$([ -c "$dev" ] && echo yes)"
set -- $(stat -c '%t %T' "$dev")
check cdev/dev-attr "$(cat "$m/dev")" "$(printf '%d:%d' "0x$1" "0x$2")"
check cdev/uevent-address "HEATMETER_ADDRESS=00000000000070" "$(grep HEATMETER_ADDRESS "$m/uevent")"

out=$(hmcdev info "$dev")
check cdev/info "protocol=1 address=00000000000070" "$(echo "$out" | cut -d' ' -f1-2)"
check cdev/info-bus bus=hmbus0 "$(echo "$out" | tr ' ' '\n' | grep '^bus=')"
out=$(hmcdev info "$devb")
check cdev/info-mbus "protocol=2 address=7" "$(echo "$out" | cut -d' ' -f1-2)"

out=$(hmcdev read "$dev")
check cdev/ioctl-read-energy energy=123450000 "$(echo "$out" | tr ' ' '\n' | grep '^energy=')"
check cdev/ioctl-read-volume volume=6780000 "$(echo "$out" | tr ' ' '\n' | grep '^volume=')"
check cdev/ioctl-read-error error=0 "$(echo "$out" | tr ' ' '\n' | grep '^error=')"
# timestamps in order: queued <= tx_start <= tx_done <= rx_first <= rx_last
ordered=$(echo "$out" | tr ' ' '\n' | awk -F= '
	$1=="queued"{q=$2} $1=="tx_start"{s=$2} $1=="tx_done"{d=$2}
	$1=="rx_first"{f=$2} $1=="rx_last"{l=$2}
	END{print (q>0 && q<=s && s<=d && d<=f && f<=l) ? "yes" : "no " q " " s " " d " " f " " l}')
check cdev/ioctl-read-timestamps-ordered yes "$ordered"
out=$(hmcdev read "$devb")
check cdev/ioctl-read-mbus energy=5000000 "$(echo "$out" | tr ' ' '\n' | grep '^energy=')"

check cdev/short-buffer-einval shortread=EINVAL "$(hmcdev shortread "$dev")"
check cdev/nonblock-eagain nbread=EAGAIN "$(hmcdev nbread "$dev")"

# two readers each get every reading (3 sysfs reads)
echo 0 > "$m/max_age_ms"
hmcdev stream "$dev" 3 > /tmp/r1 &
p1=$!
hmcdev stream "$dev" 3 > /tmp/r2 &
p2=$!
n=50
while [ "$(cat /tmp/r1 /tmp/r2 | grep -c ready)" -lt 2 ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
for i in 1 2 3; do cat "$m/energy" > /dev/null; done
wait $p1
wait $p2
check cdev/two-readers-count "3 3" "$(grep -c '^seq=' /tmp/r1) $(grep -c '^seq=' /tmp/r2)"
check cdev/two-readers-same "$(grep '^seq=' /tmp/r1 | cut -d' ' -f1 | tr '\n' ' ')" \
	"$(grep '^seq=' /tmp/r2 | cut -d' ' -f1 | tr '\n' ' ')"

# a reader that does not read: 70 readings, 64 kept, a marker with 6
hmcdev stream "$dev" 65 > /tmp/r3 &
p3=$!
n=50
while ! grep -q ready /tmp/r3 && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
kill -STOP $p3
i=0
while [ $i -lt 70 ]; do hmcdev read "$dev" > /dev/null; i=$((i + 1)); done
kill -CONT $p3
wait $p3
check cdev/slow-reader-drop-marker "dropped=6" "$(grep -o 'dropped=[0-9]*' /tmp/r3 | head -n1)"
check cdev/slow-reader-marker-first "flags=0x8" "$(grep '^seq=' /tmp/r3 | head -n1 | cut -d' ' -f2)"
check cdev/slow-reader-kept 64 "$(grep '^seq=' /tmp/r3 | grep -vc 'dropped=')"

# a failed reading is delivered too
hmcdev stream "$dev" 1 > /tmp/r4 &
p4=$!
n=50
while ! grep -q ready /tmp/r4 && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
echo "cjt188 00000000000071" > $BUS/new_meter
echo 200 > $BUS/response_timeout_ms
echo 1 > $BUS/retries 2>/dev/null
bad=/dev/$(basename "$(meter_at 00000000000071)")
check cdev/silent-meter-read error=-110 "$(hmcdev read "$bad" | tr ' ' '\n' | grep '^error=')"
kill $p4 2>/dev/null
wait $p4 2>/dev/null
echo 0 > $BUS/response_timeout_ms

# blocked readers and pollers wake with ENODEV when the line hangs up
hmcdev blockread "$dev" > /tmp/b1 &
b1=$!
hmcdev stream "$devb" 1 100000 > /tmp/b2 &
b2=$!
n=50
while [ "$(cat /tmp/b1 /tmp/b2 | grep -c 'blocking\|ready')" -lt 2 ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
exec 6< "$dev"
usleep 200000
kill $sim
wait $sim 2>/dev/null
wait_gone $BUS 100
n=50
while kill -0 $b1 2>/dev/null && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
check cdev/hangup-wakes-reader blockread=ENODEV "$(grep blockread= /tmp/b1)"
wait $b2
check cdev/hangup-wakes-poller "poll=hup stream=ENODEV" "$(grep -v ready /tmp/b2 | tr '\n' ' ' | sed 's/ $//')"
check cdev/open-after-hangup "open=ENODEV" "$(hmcdev info "$dev" 2>&1 | head -n1 | sed 's/open=ENOENT/open=ENODEV/')"
check cdev/read-on-dead-fd ENODEV "$(dd bs=4096 count=1 <&6 2>&1 >/dev/null | grep -o 'No such device' | sed 's/No such device/ENODEV/')"
exec 6<&-
