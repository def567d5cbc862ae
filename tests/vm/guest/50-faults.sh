# SPDX-License-Identifier: GPL-2.0
# Fault injection on a pty line driven by hmsim inside the guest: each
# fault raises its own counter and gives the documented errno; a wrong
# value is never returned.
. /tests/lib.sh
. /tests/hm.sh

A=0000000000000
hmsim --pty --pty-link /dev/ttyHM0 --log /tmp/hmsim-faults.log \
	--meter profile=cjt188,address=${A}1,energy=1000000 \
	--meter profile=cjt188,address=${A}2,energy=2000000,fault=checksum \
	--meter profile=cjt188,address=${A}3,energy=3000000,fault=stop \
	--meter profile=cjt188,address=${A}4,energy=4000000,fault=truncate \
	--meter profile=cjt188,address=${A}5,energy=5000000,fault=silence \
	--meter profile=cjt188,address=${A}6,energy=6000000,fault=garbage \
	--meter profile=cjt188,address=${A}7,energy=7000000,fault=echo \
	--meter profile=cjt188,address=${A}8,energy=8000000,fault=slow \
	--meter profile=cjt188,address=${A}9,energy=9000000,fault=vanish:1 \
	--meter profile=mbus,primary=7,id=12345678,energy=10000000 \
	--meter profile=mbus,primary=8,id=12345679,energy=11000000,fault=checksum \
	> /tmp/hmsim-faults.out 2>&1 &
sim=$!
wait_for /dev/ttyHM0 50 || nok faults/hmsim "no pty"
ldattach "$LDISC" /dev/ttyHM0
wait_for /sys/class/heatmeter_bus/hmbus0 || nok faults/attach "no bus"
B=$(bus_dir)
for i in 1 2 3 4 5 6 7 8 9; do echo "cjt188 ${A}$i cjt188" > "$B/new_meter"; done
echo "mbus 7" > "$B/new_meter"
echo "mbus 8" > "$B/new_meter"

# The bytes of a rejected frame after its start byte are re-scanned (a
# real frame may hide there) and count as garbage_bytes too: that counter
# is checked on its own.
COUNTERS="checksum_errors bad_frames truncated timeouts echoes collisions parity_errors framing_errors"
snap() { for c in $COUNTERS garbage_bytes; do echo "$c=$(bstat "$B" "$c")"; done > /tmp/snap.$1; }
# delta NAME: how much counter NAME rose since snap 0
delta() {
	a=$(sed -n "s/^$1=//p" /tmp/snap.0); b=$(bstat "$B" "$1"); echo $((b - a))
}
# raised: the counters that rose since snap 0, space separated
raised() {
	r=""
	for c in $COUNTERS; do [ "$(delta "$c")" -gt 0 ] && r="$r $c"; done
	echo "${r# }"
}
# fault NAME ADDRESS EXPECTED-OUTPUT EXPECTED-COUNTERS
fault() {
	m=$(meter_at "$2")
	snap 0
	check "faults/$1-result" "$3" "$(cat "$m/energy" 2>&1 | sed 's/^cat: read error: //')"
	check "faults/$1-counters" "$4" "$(raised)"
}

fault good ${A}1 1000000 ""
fault checksum ${A}2 "Input/output error" "checksum_errors bad_frames"
check faults/checksum-three-tries 3 "$(delta checksum_errors)"
fault stop ${A}3 "Input/output error" "bad_frames"
fault truncate ${A}4 "Input/output error" "truncated"
fault silence ${A}5 "Connection timed out" "timeouts"
check faults/silence-three-tries 3 "$(delta timeouts)"
m5=$(meter_at ${A}5)
check faults/silence-meter-stats "1 1 0" "$(cat "$m5/stats/requests") $(cat "$m5/stats/timeouts") $(cat "$m5/stats/errors")"
check faults/silence-offline 0 "$(cat "$m5/online")"
fault garbage ${A}6 6000000 ""
# 6 bytes before the frame, FC FC FC after it (they may trail the read)
n=40
while [ "$(delta garbage_bytes)" -lt 9 ] && [ $n -gt 0 ]; do usleep 50000; n=$((n - 1)); done
check faults/garbage-bytes 9 "$(delta garbage_bytes)"
fault echo ${A}7 7000000 "echoes"
echo 1 > "$B/echo"
echo 0 > "$(meter_at ${A}7)/max_age_ms"
fault echo-suppressed ${A}7 7000000 "echoes"
echo 0 > "$B/echo"
m9=$(meter_at ${A}9)
echo 0 > "$m9/max_age_ms"
fault vanish-first ${A}9 9000000 ""
fault vanish-then-silent ${A}9 "Connection timed out" "timeouts"
fault mbus-good 7 10000000 ""
fault mbus-checksum 8 "Input/output error" "checksum_errors bad_frames"

# the cache: a failed read is reported until it is max_age_ms old, then
# the meter is asked again
m2=$(meter_at ${A}2)
echo 60000 > "$m2/max_age_ms"
# (a fresh failed read first: the faults above may have taken longer than
# that on a loaded host, and the test is about the cache, not the clock)
cat "$m2/energy" > /dev/null 2>&1
r=$(cat "$m2/stats/requests")
cat "$m2/volume" 2>/dev/null
check faults/error-cached "$r" "$(cat "$m2/stats/requests")"
# a quantity the meter does not report
m1=$(meter_at ${A}1)
check faults/absent-enodata "No data available" "$(errno_of "$m1/cooling_energy")"

# late replies (3 s) of the slow meter: last, they would land in other
# meters' reply windows (where they are ignored as unsolicited)
fault slow ${A}8 "Connection timed out" "timeouts"
echo 4000 > "$B/response_timeout_ms"
echo 0 > "$(meter_at ${A}8)/max_age_ms"
fault slow-longer-timeout ${A}8 8000000 ""
echo 0 > "$B/response_timeout_ms"
check faults/timeout-auto-again 638 "$(cat "$B/response_timeout_ms")"

kill $sim
wait $sim 2>/dev/null
killall -q ldattach
wait_gone "$B"
check faults/detach gone "$([ -e "$B" ] || echo gone)"
