# SPDX-License-Identifier: GPL-2.0
# Hardening (issue 9): each defect found by reading has its test here.
# Meter lifetime against queued transactions, the queue after a cancel,
# settings of an in-flight read, two readers on one fd, a faulting read(),
# output fields, RAW on a CJ/T 188 address holding 0x68, cancelled work is
# no reading, pty masters, the debugfs tx bound, the wake-up baud after a
# teardown, the limits a user of one meter has, and ldisc= (last: it
# reloads the module).
. /tests/lib.sh
. /tests/hm.sh
BUS=/sys/class/heatmeter_bus/hmbus0

field() { tr ' ' '\n' | grep "^$1=" | head -n1 | cut -d= -f2; }
now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
# wait_line FILE TEXT [tenths]: until FILE holds a line starting with TEXT
wait_line() {
	n=${3:-50}
	while ! grep -q "^$2" "$1" 2>/dev/null && [ "$n" -gt 0 ]; do
		usleep 100000; n=$((n - 1))
	done
}

rm -f /dev/ttyHM0
hmsim --pty --pty-link /dev/ttyHM0 --no-pace --latency 5 \
	--meter profile=cjt188,address=00000000000076,energy=7600000 \
	--meter profile=cjt188,address=00000000000078,energy=7800000,latency=1500 \
	--meter profile=cjt188,address=00000000006800,energy=6800000 \
	--meter profile=cjt188,address=00000000000079,fault=silence \
	--meter profile=tiangang-mbus,primary=7,id=21000007,manufacturer=PLO \
	> /tmp/hmsim-76.out 2>&1 &
sim=$!
wait_for /dev/ttyHM0 50
ldattach "$LDISC" /dev/ttyHM0
wait_for $BUS
for a in 00000000000076 00000000000078 00000000006800 00000000000079; do
	echo "cjt188 $a" > $BUS/new_meter
done
echo "mbus 7" > $BUS/new_meter
m76=$(meter_at 00000000000076); d76=/dev/$(basename "$m76")
m78=$(meter_at 00000000000078); d78=/dev/$(basename "$m78")
m68=$(meter_at 00000000006800); d68=/dev/$(basename "$m68")
m79=$(meter_at 00000000000079); d79=/dev/$(basename "$m79")
mb7=$(meter_at 7); db7=/dev/$(basename "$mb7")
wait_for "$db7" 20
check hard/setup 7600000 "$(cat "$m76/energy" 2>&1)"

# A blocking SYNC armed ahead; its meter is deleted: -ENODEV at once, and
# nothing goes on the line for it.
hmcdev bsync "$d76" 8000 > /tmp/bsync.out 2>&1 &
bs=$!
usleep 500000
tx0=$(bstat $BUS tx_bytes)
t0=$(now_ms)
echo "cjt188 00000000000076" > $BUS/delete_meter
wait $bs
check hard/delete-during-sync-enodev ENODEV "$(field bsync < /tmp/bsync.out)"
el=$(field elapsed_ms < /tmp/bsync.out)
check hard/delete-during-sync-prompt yes "$([ "${el:-99999}" -lt 3000 ] && echo yes)"
usleep 300000
check hard/delete-during-sync-nothing-sent "$tx0" "$(bstat $BUS tx_bytes)"
echo "cjt188 00000000000076" > $BUS/new_meter
m76=$(meter_at 00000000000076); d76=/dev/$(basename "$m76")
wait_for "$d76" 20

# A blocking READ whose meter is deleted while the read is on the wire
# (slow meter): -ENODEV, not the late reading.
hmcdev read "$d78" > /tmp/bread.out 2>&1 &
br=$!
usleep 400000
echo "cjt188 00000000000078" > $BUS/delete_meter
wait $br
check hard/delete-during-read-enodev ENODEV "$(field read < /tmp/bread.out)"
echo "cjt188 00000000000078" > $BUS/new_meter
m78=$(meter_at 00000000000078); d78=/dev/$(basename "$m78")
wait_for "$d78" 20

# The head of the queue (a SYNC waiting for its instant) is cancelled by a
# signal (SIGTERM: a background job of a script ignores SIGINT): what
# queued behind it goes at once, not at the old instant.
echo 0 > "$m68/max_age_ms"
hmcdev bsync "$d76" 6000 > /tmp/bsync2.out 2>&1 &
bs=$!
usleep 500000
(cat "$m68/energy" > /tmp/behind.out 2>&1; now_ms > /tmp/behind.t) &
cb=$!
usleep 300000
t0=$(now_ms)
kill $bs
wait $bs 2>/dev/null
wait $cb
el=$(( $(cat /tmp/behind.t) - t0 ))
check hard/cancel-head-value 6800000 "$(cat /tmp/behind.out)"
check hard/cancel-head-unblocks yes "$([ $el -lt 2500 ] && echo yes || echo "no ($el ms)")"
echo 1000 > "$m68/max_age_ms"

# A store that changes how the meter is read, while a read is in flight:
# the old read does not refill the cache the store emptied.
r0=$(cat "$m78/stats/requests")
(cat "$m78/energy" > /tmp/inflight.out 2>&1) &
cr=$!
usleep 400000
echo cjt188 > "$m78/profile"
wait $cr
cat "$m78/energy" > /dev/null 2>&1
check hard/inflight-store-invalidates 2 "$(( $(cat "$m78/stats/requests") - r0 ))"
check hard/inflight-value 7800000 "$(cat /tmp/inflight.out)"

# Two threads in read() on one fd while 40 readings come in: neither gets
# an error (the loser of a race for the last record sleeps again).
out=$(hmcdev tworead "$d76" 40)
check hard/two-readers-one-fd "reader0=ok reader1=ok" "$(echo "$out" | cut -d' ' -f4,5)"
check hard/two-readers-got-all yes "$([ "$(echo "$out" | field got)" -ge 40 ] && echo yes)"

echo 0 > "$m76/max_age_ms"
# A read() whose second record faults returns the first and keeps the
# second for the next read().
hmcdev faultread "$d76" > /tmp/faultread.out 2>&1 &
fr=$!
wait_line /tmp/faultread.out ready 50
cat "$m76/energy" > /dev/null
cat "$m76/energy" > /dev/null
wait $fr
out=$(cat /tmp/faultread.out | tail -n1)
s1=$(echo "$out" | sed -n 's/.*first=[0-9]* seq=\([0-9]*\).*/\1/p')
s2=$(echo "$out" | sed -n 's/.*second=[0-9]* seq=\([0-9]*\).*/\1/p')
check hard/faulting-read-keeps-record "$(( ${s1:-0} + 1 ))" "${s2:-none}"
echo 1000 > "$m76/max_age_ms"

# Output fields are written, never left as the caller's bytes.
out=$(hmcdev stopclear "$d76")
check hard/stop-clears-outputs "junk=0 d_energy_ok=1 d_volume_ok=1 start_error=0 stop_error=0" "$out"
out=$(hmcdev stopclear "$d79")
check hard/stop-clears-outputs-failed-meter "junk=0 d_energy_ok=1 d_volume_ok=1" \
	"$(echo "$out" | cut -d' ' -f1-3)"
check hard/raw-noreply-clears "raw=ok reply_control=00 reply_ci=00 reply_len=0" \
	"$(hmcdev rawclear "$d76" 03 810A00)"

# RAW on a CJ/T 188 meter whose address byte A1 is 0x68: the reply is a
# CJ/T 188 frame because the meter speaks CJ/T 188.
out=$(hmcdev raw "$d68" 01 1F9000)
check hard/raw-cjt188-addr-68 "raw=ok reply_control=81" "$(echo "$out" | cut -d' ' -f1,2)"

# A cancelled operation is nobody's reading.
check hard/cancelled-not-delivered after_cancel=EAGAIN "$(hmcdev cancelquiet "$d76")"

# The debugfs tx takes at most one request buffer.
dbg=/sys/kernel/debug/heatmeter/hmbus0
big=$(i=0; while [ $i -lt 300 ]; do printf '00 '; i=$((i + 1)); done)
check hard/debugfs-tx-bound refused "$(echo "$big" > $dbg/tx 2>/dev/null && echo accepted || echo refused)"

# The discipline on a pty master is refused (tty_set_termios warns there).
check hard/pty-master-refused setd=EINVAL "$(hmcdev ptmx)"

# What a user of one meter may do (write access, no CAP_SYS_ADMIN).
chmod 0666 "$d76" "$db7" "$d79"
check hard/user-sync-horizon "bsync=EINVAL" \
	"$(hmcdev --uid 1000 bsync "$d76" 30000 | cut -d' ' -f1)"
check hard/user-sync-within-horizon "bsync=ok" \
	"$(hmcdev --uid 1000 bsync "$d76" 200 | cut -d' ' -f1)"
check hard/user-trigger-needs-admin "bsync=EPERM" \
	"$(hmcdev --uid 1000 bsync "$db7" 100 trigger | cut -d' ' -f1)"
echo 1 > $BUS/allow_trigger
check hard/user-trigger-allowed "bsync=ok" \
	"$(hmcdev --uid 1000 bsync "$db7" 100 trigger | cut -d' ' -f1)"
echo 0 > $BUS/allow_trigger
check hard/root-trigger "bsync=ok" "$(hmcdev bsync "$db7" 100 trigger | cut -d' ' -f1)"
echo 300 > $BUS/response_timeout_ms
echo 0 > $BUS/retries
out=$(hmcdev --uid 1000 flood "$d79" 12)
check hard/user-ops-bounded "flood=12 done=4 ebusy=8 other=0" "$out"
echo 0 > $BUS/response_timeout_ms
echo 2 > $BUS/retries
chmod 0600 "$d76" "$db7" "$d79"

kill $sim
wait $sim 2>/dev/null
killall -q ldattach
wait_gone $BUS 100

# The wake-up baud does not outlive a teardown: a Delu ultrasonic read
# (210 x FE at 9600 Bd first) stalls in its wake-up on hmtty; the line is
# closed; the tty is back at 2400 Bd.
insmod /lib/modules/hmtty.ko 2>/dev/null
H=/sys/kernel/debug/hmtty/ttyHMT0
ldattach "$LDISC" /dev/ttyHMT0 &
wait_for $BUS
echo "cjt188 00000000000001 delu-ultrasonic" > $BUS/new_meter
echo 1 > $H/stall
(cat "$(meter_at 00000000000001)/energy" > /dev/null 2>&1) &
n=50
while ! grep -q 'baud 9600' $H/termios && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
check hard/wakeup-baud-switched 9600 "$(cut -d' ' -f2 $H/termios)"
killall ldattach
wait_gone $BUS 100
check hard/teardown-in-wakeup-restores-baud 2400 "$(cut -d' ' -f2 $H/termios)"
echo 0 > $H/stall
wait

# write_wakeup racing a hangup (a UART's tx interrupt after the line is
# gone): the bus never runs its tx work after it is freed. KASAN in the
# debug guest reports a use-after-free; the run here must stay clean.
i=0
while [ $i -lt 20 ]; do
	ldattach "$LDISC" /dev/ttyHMT0 &
	wait_for $BUS 50
	echo "cjt188 00000000000001" > $BUS/new_meter
	echo 1 > $H/stall
	(cat "$(meter_at 00000000000001)/energy" > /dev/null 2>&1) &
	usleep 50000
	(echo 20000 > $H/wakeup) 2>/dev/null &
	echo 1 > $H/hangup
	wait_gone $BUS 100
	echo 0 > $H/stall
	killall -q ldattach
	wait
	i=$((i + 1))
done
check hard/wakeup-vs-hangup-cycles gone "$([ -e $BUS ] || echo gone)"
n=30
until rmmod hmtty 2>/dev/null; do n=$((n - 1)); [ $n -gt 0 ] || break; usleep 100000; done

# ldisc= takes N_DEVELOPMENT only: never another discipline's number.
n=30
until rmmod heatmeter 2>/dev/null; do n=$((n - 1)); [ $n -gt 0 ] || break; usleep 100000; done
check hard/ldisc-28-refused refused \
	"$(insmod /lib/modules/heatmeter.ko ldisc=28 2>/dev/null && echo loaded || echo refused)"
lsmod | grep -q '^heatmeter ' && rmmod heatmeter
check hard/ldisc-0-refused refused \
	"$(insmod /lib/modules/heatmeter.ko ldisc=0 2>/dev/null && echo loaded || echo refused)"
lsmod | grep -q '^heatmeter ' && rmmod heatmeter
check hard/ldisc-default-loads loaded \
	"$(insmod /lib/modules/heatmeter.ko 2>/dev/null && echo loaded || echo refused)"
