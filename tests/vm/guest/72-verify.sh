# SPDX-License-Identifier: GPL-2.0
# Verification ioctls against simulators on ptys in the guest (one clock):
# test mode, start-stop on 4 ports in parallel with timestamps bracketing
# what the simulators saw, SYNC never early (50 rounds x 4 ports), skew,
# realtime and past instants, the M-Bus freeze trigger, RAW, SIMULATED_FLOW.
. /tests/lib.sh
. /tests/hm.sh

# the simulators answer LAT_MS after a request's last byte (by their clock,
# the guest's CLOCK_MONOTONIC like the driver's): the driver cannot see a
# reply before sim_last + LAT_MS
LAT_MS=5
LAT_NS=$((LAT_MS * 1000000))
# sim N ARGS...: hmsim on /dev/ttyHM$N logging to /tmp/sim$N.log, attached
sim() {
	sn=$1
	shift
	rm -f /dev/ttyHM$sn /tmp/sim$sn.log
	hmsim --pty --pty-link /dev/ttyHM$sn --no-pace --latency $LAT_MS --log /tmp/sim$sn.log "$@" \
		> /tmp/sim$sn.out 2>&1 &
	eval "sim$sn=$!"
	wait_for /dev/ttyHM$sn 50
	ldattach "$LDISC" /dev/ttyHM$sn
}
# bus_of N: the bus attached to /dev/ttyHM$N
bus_of() {
	t=$(readlink -f /dev/ttyHM$1 | sed 's#^/dev/##; s#/##')
	k=50
	while [ $k -gt 0 ]; do
		for b in /sys/class/heatmeter_bus/hmbus*; do
			[ "$(cat "$b/tty" 2>/dev/null)" = "$t" ] && { echo "$b"; return; }
		done
		usleep 100000
		k=$((k - 1))
	done
}
field() { tr ' ' '\n' | grep "^$1=" | head -n1 | cut -d= -f2; }
# wait_log N PATTERN COUNT: until /tmp/simN.log has COUNT lines matching
# ' PATTERN ' (hmsim flushes each line, but logs tx_last after its write
# returns, which may be after the driver has the reply)
wait_log() {
	k=50
	while [ "$(grep -c " $2 " /tmp/sim$1.log)" -lt "$3" ] && [ $k -gt 0 ]; do
		usleep 100000
		k=$((k - 1))
	done
}
# simsync SYNCFILE DEV N: pair the rounds of `hmcdev sync --count K` for
# device index DEV with what simulator N logged. A round's window runs from
# before the tool armed it to after its last WAIT returned; every byte the
# simulator read in it (rx) and every request frame (req) is that round's.
# The simulator stamps bytes when it read() them, after the driver wrote
# them: a stamp before `at` proves an early transmit. Prints one line per
# finding: "early", "count" (not exactly one request in the window),
# "stray" (a request between rounds), "bracket" (not tx_start <= sim first
# byte, sim last byte + LAT_MS <= rx_first), and
# "pair ROUND AT SIM_FIRST TX_START TX_DONE" per good round.
simsync() {
	grep "^round=.* dev=$2 " "$1" | tr '=' ' ' |
		awk '{ print $2, $6, $8, $10, $12, $14, $16 }' > /tmp/rounds
	# round at armed done tx_start tx_done rx_first
	awk 'FNR == NR { k = $1; r[k] = 1; at[k] = $2; ar[k] = $3; dn[k] = $4
			 ts[k] = $5; td[k] = $6; rf[k] = $7; nr = k + 1; next }
	function which(t,  k) {
		for (k = 0; k < nr; k++)
			if (t >= ar[k] && t <= dn[k])
				return k
		return -1
	}
	$3 == "rx" { k = which($1)
		if (k >= 0 && $1 < at[k])
			print "early round=" k " rx=" $1 " at=" at[k] " " $4 " " $5 }
	$3 == "req" { f = ""; l = ""
		for (i = 4; i <= NF; i++) {
			if ($i ~ /^first=/) f = substr($i, 7) + 0
			if ($i ~ /^last=/) l = substr($i, 6) + 0
		}
		if (f < ar[0] || f > dn[nr - 1])
			next
		k = which(f)
		if (k < 0) { print "stray first=" f; next }
		n[k]++; sf[k] = f; sl[k] = l
		if (f < at[k])
			print "early round=" k " first=" f " at=" at[k] }
	END { for (k = 0; k < nr; k++) {
		if (n[k] != 1) { print "count round=" k " requests=" n[k] + 0; continue }
		if (sf[k] < ts[k] || sl[k] + lat > rf[k])
			print "bracket round=" k " tx_start=" ts[k] " sim_first=" sf[k] " sim_last=" sl[k] " rx_first=" rf[k]
		else
			print "pair", k, at[k], sf[k], ts[k], td[k]
	} }' lat=$LAT_NS /tmp/rounds "/tmp/sim$3.log"
}
# pct FILE P: the P-th percentile of the sorted numbers in FILE, in us
pct() {
	n=$(wc -l < "$1")
	i=$(( (n * $2 + 99) / 100 ))
	[ $i -lt 1 ] && i=1
	echo $(( $(sed -n "${i}p" "$1") / 1000 ))
}

for i in 0 1 2 3; do
	sim $i --meter profile=cjt188,address=0000000000007$i,energy=1000000,volume=2000000
done
devs=""
for i in 0 1 2 3; do
	b=$(bus_of $i)
	echo "cjt188 0000000000007$i" > "$b/new_meter"
	m=$(meter_at 0000000000007$i)
	[ -n "$m" ] || nok verify/meter-$i "no meter"
	devs="$devs /dev/$(basename "$m")"
done
set -- $devs
d0=$1

# start-stop, 4 ports in parallel
hmcdev read "$d0" > /tmp/one
one_us=$(( ($(field rx_last < /tmp/one) - $(field queued < /tmp/one)) / 1000 ))
hmcdev startstop --wait 300 $devs > /tmp/ss
check verify/startstop-rc 4 "$(grep -c 'start_error=0 .*stop_error=0' /tmp/ss)"
check verify/startstop-flags 16 "$(( $(grep '^dev=' /tmp/ss | head -n1 | field start_flags) & 0x10 ))"
start_ms=$(grep start_all_ms /tmp/ss | cut -d= -f2)
echo "# timing: START of 4 ports (ASYNC then WAIT) took ${start_ms} ms; one read alone queued->rx_last ${one_us} us"
# in parallel: no port's START waited for another port's exchange: each
# request went out sooner after it was queued than one whole exchange
# takes (a property of the order of events; serialized ports would wait
# a whole exchange or more)
wait_max=$(grep '^dev=' /tmp/ss | awk '{ q = 0; t = 0
	for (i = 1; i <= NF; i++) { split($i, kv, "=")
		if (kv[1] == "start_queued") q = kv[2]; if (kv[1] == "start_tx_start") t = kv[2] }
	print int((t - q) / 1000) }' | sort -n | tail -n1)
check verify/startstop-parallel yes "$([ "${wait_max:-999999999}" -lt "$one_us" ] && echo yes || echo "no: a request waited $wait_max us, one exchange takes $one_us us")"
check verify/startstop-d-time-positive yes "$([ "$(grep '^dev=' /tmp/ss | head -n1 | field d_time)" -gt 300000000 ] && echo yes)"
check verify/startstop-dvalid 3 "$(grep '^dev=' /tmp/ss | head -n1 | field dvalid)"
check verify/startstop-d-energy 0 "$(grep '^dev=' /tmp/ss | head -n1 | field d_energy)"
# brackets, per port: the kernel's instants around what the simulator saw
bad=0
for i in 0 1 2 3; do
	line=$(grep "^dev=/dev/" /tmp/ss | sed -n "$((i + 1))p")
	# sim 0 saw READ, START, STOP; the others START, STOP: nothing else
	want=2
	[ $i = 0 ] && want=3
	wait_log $i tx_last $want
	if [ "$(grep -c ' req ' /tmp/sim$i.log)" != $want ] || [ "$(grep -c ' tx_last ' /tmp/sim$i.log)" != $want ]; then
		bad=$((bad + 1))
		echo "# bracket port $i: $(grep -c ' req ' /tmp/sim$i.log) requests, $(grep -c ' tx_last ' /tmp/sim$i.log) replies, expected $want"
		continue
	fi
	reqs=$(grep ' req ' /tmp/sim$i.log | tail -n2 | sed 's/.* first=\([0-9]*\) last=\([0-9]*\) .*/\1 \2/')
	txf=$(grep ' tx_first ' /tmp/sim$i.log | tail -n2 | cut -d' ' -f1)
	txl=$(grep ' tx_last ' /tmp/sim$i.log | tail -n2 | cut -d' ' -f1)
	k=0
	for ph in start stop; do
		k=$((k + 1))
		ts=$(echo "$line" | field ${ph}_tx_start)
		td=$(echo "$line" | field ${ph}_tx_done)
		rf=$(echo "$line" | field ${ph}_rx_first)
		rl=$(echo "$line" | field ${ph}_rx_last)
		sf=$(echo "$reqs" | sed -n "${k}p" | cut -d' ' -f1)
		sl=$(echo "$reqs" | sed -n "${k}p" | cut -d' ' -f2)
		f=$(echo "$txf" | sed -n "${k}p")
		l=$(echo "$txl" | sed -n "${k}p")
		# hmsim stamps a request byte when it read() it (after the driver
		# wrote it) and tx_first/tx_last after its write() returned: the
		# driver may see the reply before those, so they are figures only
		if [ "$ts" -le "$sf" ] && [ $((sl + LAT_NS)) -le "$rf" ]; then
			echo "# timing: port $i $ph: tx_start->sim first request byte $(( (sf - ts) / 1000 )) us, tx_done->sim last $(( (sl - td) / 1000 )) us, sim last->rx_first $(( (rf - sl) / 1000 )) us (>= $LAT_MS ms), sim reply first->rx_first $(( (rf - f) / 1000 )) us, sim last->rx_last $(( (rl - l) / 1000 )) us"
		else
			bad=$((bad + 1))
			echo "# bracket port $i $ph: ts=$ts sim_first=$sf sim_last=$sl rx_first=$rf sim_tx_first=$f sim_tx_last=$l rx_last=$rl"
		fi
	done
done
check verify/startstop-brackets 0 "$bad"
check verify/stop-without-start stop=EINVAL "$(hmcdev stop "$d0")"

# SYNC: 50 rounds, 4 ports armed for one instant each
hmcdev sync --in 30 --count 50 $devs > /tmp/sync
summary=$(tail -n1 /tmp/sync)
echo "# timing: SYNC 4 ports x 50 (kernel tx_start): $summary"
check verify/sync-never-early-kernel 0 "$(echo "$summary" | field early)"
check verify/sync-errors 0 "$(grep -c 'error=-' /tmp/sync)"
# one port alone: lateness without the others
hmcdev sync --in 20 --count 50 "$d0" > /tmp/sync1
echo "# timing: SYNC 1 port x 50 (kernel tx_start): $(tail -n1 /tmp/sync1)"
check verify/sync-one-port-never-early 0 "$(tail -n1 /tmp/sync1 | field early)"
check verify/sync-one-port-errors 0 "$(grep -c 'error=-' /tmp/sync1)"

out=$(hmcdev sync --in 50 "$d0")
check verify/sync-reading energy=1000000 "energy=$(echo "$out" | head -n1 | field energy)"
check verify/sync-flag 32 "$(( $(echo "$out" | head -n1 | field flags) & 0x20 ))"
out=$(hmcdev sync --realtime --in 50 --count 5 "$d0")
check verify/sync-realtime-early 0 "$(echo "$out" | tail -n1 | field early)"
out=$(hmcdev sync --past "$d0")
check verify/sync-past-late yes "$([ "$(echo "$out" | head -n1 | field late)" -ge 50000000 ] && echo yes)"
check verify/sync-trigger-cjt188 sync-arm=EOPNOTSUPP "$(hmcdev sync --trigger "$d0")"

# RAW: the kernel adds the frame; DI 901F as this meter sends it
out=$(hmcdev raw "$d0" 01 1F9000)
check verify/raw-control "raw=ok reply_control=81" "$(echo "$out" | cut -d' ' -f1-2)"
check verify/raw-reply-di yes "$(echo "$out" | field reply | grep -q '^1F90' && echo yes)"
check verify/simflow-unsupported simflow=EOPNOTSUPP "$(hmcdev simflow "$d0" on)"
check verify/testmode-no-profile testmode=EOPNOTSUPP "$(hmcdev testmode "$d0" on)"

# test mode and the M-Bus freeze trigger: the demo line's Delu ultrasonic
# (903F only in test mode) and Tiangang M-Bus meters
sim 4 --demo=delu-ultrasonic,mbus
B4=$(bus_of 4)
echo "cjt188 11110021098754 delu-ultrasonic" > $B4/new_meter
echo "mbus 4 tiangang-mbus" > $B4/new_meter
us=$(meter_at 11110021098754)
mb=$(meter_at 4)
dus=/dev/$(basename "$us")
dmb=/dev/$(basename "$mb")
check verify/info-caps "caps=0x5 test_mode=0" "$(hmcdev info "$dus" | tr ' ' '\n' | grep '^caps=\|^test_mode=' | tr '\n' ' ' | sed 's/ $//')"
check verify/testmode-on "testmode=ok expires_in_s=0" "$(hmcdev testmode "$dus" on)"
check verify/testmode-info test_mode=1 "test_mode=$(hmcdev info "$dus" | field test_mode)"
check verify/testmode-sysfs 1 "$(cat "$us/test_mode")"
out=$(hmcdev read "$dus")
check verify/testmode-read-flags 0x3 "$(printf '0x%x' $(( $(echo "$out" | field flags) & 3 )))"
check verify/testmode-read-supply 28740 "$(echo "$out" | field supply_temp)"
check verify/testmode-off-no-exit testmode=EOPNOTSUPP "$(hmcdev testmode "$dus" off)"
check verify/testmode-mbus "testmode=ok expires_in_s=0" "$(hmcdev testmode "$dmb" on)"
check verify/testmode-mbus-read-flags 0x3 "$(printf '0x%x' $(( $(hmcdev read "$dmb" | field flags) & 3 )))"
out=$(hmcdev sync --trigger --in 30 "$dmb")
check verify/sync-trigger-mbus-late yes "$([ "$(echo "$out" | head -n1 | field late)" -ge 0 ] && echo yes)"
check verify/sync-trigger-frame yes "$(grep -q '53FF51' /tmp/sim4.log && echo yes)"

# SIGTERM: hmsim exits cleanly; its log is complete once it has
for i in 0 1 2 3 4; do eval "kill \$sim$i"; done
wait 2>/dev/null
wait_gone "$B4" 100
# the simulators' side of the SYNCs: each round's request seen once, never
# before its instant, inside the driver's tx_start..rx_first
rm -f /tmp/simsync
for i in 0 1 2 3; do
	simsync /tmp/sync $i $i | sed "s/^/port=$i /" >> /tmp/simsync
done
simsync /tmp/sync1 0 0 | sed 's/^/port=0-alone /' >> /tmp/simsync
grep -v ' pair ' /tmp/simsync | head -n5 | sed 's/^/# sim-sync: /'
check verify/sync-sim-never-early 0 "$(grep -c ' early ' /tmp/simsync)"
check verify/sync-sim-one-request-per-round 0 "$(grep -cE ' (count|stray) ' /tmp/simsync)"
check verify/sync-sim-brackets 0 "$(grep -c ' bracket ' /tmp/simsync)"
check verify/sync-sim-paired 250 "$(grep -c ' pair ' /tmp/simsync)"
# figures: instant -> first request byte read by the simulator, and the
# spread of that across the 4 ports of one round
grep '^port=[0-3] pair ' /tmp/simsync | awk '{ print $5 - $4 }' | sort -n > /tmp/simlate
grep '^port=0-alone pair ' /tmp/simsync | awk '{ print $5 - $4 }' | sort -n > /tmp/simlate1
grep '^port=[0-3] pair ' /tmp/simsync | awk '{ print $5 - $7 }' | sort -n > /tmp/simdone
grep '^port=[0-3] pair ' /tmp/simsync |
	awk '{ k = $3; if (!(k in lo) || $5 < lo[k]) lo[k] = $5; if (!(k in hi) || $5 > hi[k]) hi[k] = $5 }
	     END { for (k in lo) print hi[k] - lo[k] }' | sort -n > /tmp/skew
echo "# timing: SYNC 4 ports x 50, instant->sim first request byte: median $(pct /tmp/simlate 50) us, p90 $(pct /tmp/simlate 90) us, max $(pct /tmp/simlate 100) us"
echo "# timing: SYNC 1 port x 50, instant->sim first request byte: median $(pct /tmp/simlate1 50) us, p90 $(pct /tmp/simlate1 90) us, max $(pct /tmp/simlate1 100) us"
echo "# timing: SYNC kernel tx_done->sim first request byte: median $(pct /tmp/simdone 50) us, max $(pct /tmp/simdone 100) us"
echo "# timing: SYNC skew across 4 ports seen by the simulators: median $(pct /tmp/skew 50) us, p90 $(pct /tmp/skew 90) us, max $(pct /tmp/skew 100) us"
