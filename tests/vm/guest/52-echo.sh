# SPDX-License-Identifier: GPL-2.0
# Echo suppression under stress: many reads, each on the wire (max_age_ms
# 0), of a line that echoes the request, with the bus attribute echo=1.
# Every read must return the value and raise only `echoes` (one per read):
# never truncated, a retry, a bad frame or garbage. The simulator writes
# at once (--no-pace), so the echo lands while the engine may still be in
# its send step, and a stalled guest cannot cut a reply in two (a paced
# reply is truncated by any stall longer than the inter-byte timeout,
# which is not what this test is about). Two kinds of echo:
#  - fault=echo: the simulator echoes the whole request once it has read
#    it, paced at the byte rate, then replies;
#  - --echo: the simulator echoes every chunk the moment it reads it, as
#    a 2-wire RS-485 adapter echoes while the request is still being sent.
. /tests/lib.sh
. /tests/hm.sh

N=${HM_ECHO_READS:-100}
A=00000000000007
COUNTERS="truncated bad_frames checksum_errors garbage_bytes timeouts retries unsolicited"

# stress NAME HMSIM-ARGS...
stress() {
	name=$1
	shift
	rm -f /dev/ttyHM0
	hmsim --pty --no-pace --pty-link /dev/ttyHM0 --log /tmp/hmsim-$name.log "$@" \
		> /tmp/hmsim-$name.out 2>&1 &
	sim=$!
	wait_for /dev/ttyHM0 50 || nok "echo/$name-hmsim" "no pty"
	ldattach "$LDISC" /dev/ttyHM0
	wait_for /sys/class/heatmeter_bus/hmbus0 || nok "echo/$name-attach" "no bus"
	B=$(bus_dir)
	echo "cjt188 $A cjt188" > "$B/new_meter"
	m=$(meter_at $A)
	echo 1 > "$B/echo"
	echo 0 > "$m/max_age_ms"
	for c in $COUNTERS echoes; do eval "s_$c=$(bstat "$B" $c)"; done
	bad=0 i=0
	while [ $i -lt $N ]; do
		v=$(cat "$m/energy" 2>&1)
		if [ "$v" != 7000000 ]; then
			bad=$((bad + 1))
			[ $bad -le 3 ] && echo "# echo/$name: read $i: $v"
		fi
		i=$((i + 1))
	done
	check "echo/$name-reads" "0" "$bad"
	raised=""
	for c in $COUNTERS; do
		eval "d=\$(( \$(bstat \"\$B\" $c) - s_$c ))"
		[ "$d" -gt 0 ] && raised="$raised $c=$d"
	done
	check "echo/$name-only-echoes" "" "${raised# }"
	check "echo/$name-echoes" "$N" "$(( $(bstat "$B" echoes) - s_echoes ))"
	if [ -n "$raised" ]; then
		echo "# echo/$name: monitor $(tail -c 300 /sys/kernel/debug/heatmeter/$(basename "$B")/monitor)"
		grep -E ' (rx|tx_first|tx_last|echo) ' /tmp/hmsim-$name.log | tail -n 12 | sed 's/^/# /'
	fi
	kill $sim
	wait $sim 2>/dev/null
	killall -q ldattach
	wait_gone "$B"
}

stress fault --meter profile=cjt188,address=$A,energy=7000000,fault=echo
stress line --echo --meter profile=cjt188,address=$A,energy=7000000
