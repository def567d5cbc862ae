# SPDX-License-Identifier: GPL-2.0
# Helpers for the meter tests (sourced after lib.sh).
V=/data/vectors/cjt188/vectors.txt
QUANTITIES="energy cooling_energy volume power flow supply_temp return_temp temp_diff operating_time"

# meter_at ADDRESS: the meter directory with that address
meter_at() {
	for d in /sys/class/heatmeter/heatmeter*; do
		[ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && { echo "$d"; return 0; }
	done
	return 1
}
# vec NAME: "key=value" lines of a vector block
vec() {
	awk -v n="$1" '/^name: /{cur=$2; next}
		cur==n && /^[a-z_]+: / {k=$1; sub(":", "", k); $1=""; sub(/^ +/, ""); print k "=" $0}' "$V"
}
# check_vector TEST VECTOR DIR: every value of the vector equals the
# attribute; every "absent" quantity reads ENODATA
check_vector() {
	vec "$2" > /tmp/vec.$$
	n=0
	while IFS== read -r k v; do
		case " $QUANTITIES id manufacturer address " in
		*" $k "*)
			check "$1-$k" "$v" "$(cat "$3/$k" 2>&1)"; n=$((n + 1)) ;;
		esac
		if [ "$k" = absent ]; then
			for q in $v; do
				check "$1-$q-absent" "No data available" \
					"$(cat "$3/$q" 2>&1 | sed 's/.*: //')"
				n=$((n + 1))
			done
		fi
	done < /tmp/vec.$$
	rm -f /tmp/vec.$$
	[ $n -gt 2 ] || nok "$1-vector" "vector $2 has no values"
}
# errno_of FILE: the error text cat prints, or "value"
errno_of() {
	out=$(cat "$1" 2>&1) && { echo value; return; }
	echo "$out" | sed 's/.*: //'
}
# stat BUS NAME
bstat() { cat "$1/stats/$2"; }
# measure_read METER BUS LABEL: one read's time next to the wire minimum
measure_read() {
	echo 0 > "$1/max_age_ms"
	tx0=$(bstat "$2" tx_bytes); rx0=$(bstat "$2" rx_bytes)
	cat "$1/energy" > /dev/null 2>&1
	tx=$(( $(bstat "$2" tx_bytes) - tx0 )); rx=$(( $(bstat "$2" rx_bytes) - rx0 ))
	total=$(cat "$1/stats/last_total_us"); lat=$(cat "$1/stats/last_latency_us")
	txu=$(cat "$1/stats/last_tx_us"); rxu=$(cat "$1/stats/last_rx_us")
	# 11 bits per byte at 2400 Bd, plus the simulator's 20 ms latency
	wire=$(( (tx + rx) * 11 * 1000000 / 2400 + 20000 ))
	rxw=$(( (rx - 1) * 11 * 1000000 / 2400 ))
	echo "# measure: $3: $tx request + $rx reply bytes; read $total us (queued->sent $txu, sent->first byte $lat, first->last $rxu); wire minimum $wire us (reply first->last byte $rxw us)"
	echo 1000 > "$1/max_age_ms"
}
# wait_scan [SECONDS]: until $B's scan_status is no longer "running" (at
# most SECONDS, default 20); prints it
wait_scan() {
	n=$((${1:-20} * 10))
	st=$(cat "$B/scan_status")
	while [ "${st#running}" != "$st" ] && [ $n -gt 0 ]; do
		usleep 100000; n=$((n - 1)); st=$(cat "$B/scan_status")
	done
	echo "$st"
}
