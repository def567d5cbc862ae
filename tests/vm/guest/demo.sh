# SPDX-License-Identifier: GPL-2.0
# What a user sees: load, attach the line discipline to the meter line
# (ttyS2, whose far end is the host's simulator with a Delu ultrasonic, a
# Delu mechanical, a standard CJ/T 188 and an M-Bus heat meter), add and
# discover the meters, cat their attributes; last, heatmeterd serves them
# as Annex B Modbus registers, read with mbpoll next to the sysfs values.
# Printed lines start HMDEMO.
say() { echo "HMDEMO $*"; }
run() { say "\$ $*"; sh -c "$*" 2>&1 | sed 's/^/HMDEMO   /'; }
B=/sys/class/heatmeter_bus/hmbus0

# explain VALUE ATTRIBUTE: the value in everyday units
explain() {
	awk -v v="$1" -v a="$2" 'BEGIN {
		if (a ~ /energy$/ && v < 1e6) printf "mWh = %.3f Wh", v / 1e3
		else if (a ~ /energy$/) printf "mWh = %.3f kWh", v / 1e6
		else if (a == "volume" && v < 1e6) printf "mL = %.3f L", v / 1e3
		else if (a == "volume") printf "mL = %.3f m3", v / 1e6
		else if (a == "power") printf "mW = %.3f kW", v / 1e6
		else if (a == "flow") printf "mL/h = %.4f m3/h", v / 1e6
		else if (a ~ /_temp$/) printf "m°C = %.2f °C", v / 1000
		else if (a == "temp_diff") printf "mK = %.2f K", v / 1000
		else if (a == "operating_time") printf "s = %.2f h", v / 3600
		else if (a == "last_update") printf "CLOCK_REALTIME, s"
		else if (a == "max_age_ms") printf "ms a reading is reused"
	}'
}
# show METER: every attribute, with units
show() {
	m=$1
	say ""
	say "== $(basename "$m"): $(cat "$m/protocol") meter $(cat "$m/address"), profile $(cat "$m/profile")"
	for a in id manufacturer version medium energy cooling_energy volume power \
		 flow supply_temp return_temp temp_diff operating_time meter_time \
		 online last_update max_age_ms highres; do
		if v=$(cat "$m/$a" 2>/tmp/demo.err); then
			u=$(explain "$v" "$a")
			say "   $(printf '%-15s' "$a") $v${u:+ ($u)}"
		else
			say "   $(printf '%-15s' "$a") -- $(sed 's/.*: //' /tmp/demo.err)"
		fi
	done
	say "   stats: $(cat "$m/stats/requests") read(s) on the wire, last one took $(( $(cat "$m/stats/last_total_us") / 1000 )) ms"
}
meter_at() {
	for d in /sys/class/heatmeter/heatmeter*; do
		[ "$(cat "$d/address")" = "$1" ] && echo "$d"
	done
}

say "heatmeter demo on Linux $(uname -r)"
run insmod /lib/modules/heatmeter.ko
run "grep heatmeter /proc/tty/ldiscs"
say ""
say "Attach the line discipline (29 = N_DEVELOPMENT) to the meter line, 2400 8E1:"
run ldattach -s 2400 -8 -e -1 29 /dev/ttyS2
n=50; while [ ! -e $B ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
run "ls /sys/class/heatmeter_bus/hmbus0"
run "cd $B && grep . tty baud response_timeout_ms retries line_idle_ms"
say ""
say "Several CJ/T 188 meters share this line, so a broadcast scan collides;"
say "add them by address (with the vendor profile where the meter needs one):"
run "echo cjt188 00000987654321 > $B/new_meter"
run "echo cjt188 00000012345678 delu-mechanical > $B/new_meter"
run "echo cjt188 11110021098754 delu-ultrasonic > $B/new_meter"
say "The Delu ultrasonic meter only answers its high-resolution read (DI 903F)"
say "in test mode: highres=1 makes every read enter it first (C=33):"
run "echo 1 > $(meter_at 11110021098754)/highres"
say ""
say "M-Bus meters are found with a primary-address scan (SND_NKE, then REQ_UD2):"
run "echo mbus-primary 1-5 > $B/scan"
n=150
while [ "$(cat $B/scan_status | cut -c1-4)" != done ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
run cat $B/scan_status
run "ls /sys/class/heatmeter/"
run "cat $(meter_at 4)/uevent"
say ""
say "Reading an attribute reads the meter (one transaction serves every"
say "attribute read within max_age_ms); units are fixed milli-units:"
for a in 00000987654321 00000012345678 11110021098754 4; do
	m=$(meter_at $a)
	echo 10000 > "$m/max_age_ms"
	show "$m"
done
say ""
say "The same meters as heatmeterctl (libudev) lists them, with units:"
run "heatmeterctl list"
say ""
say "Each meter is also a hwmon chip of its own, as lm-sensors shows it:"
run "sensors"
say ""
say "Line statistics:"
run "cd $B/stats && grep . *"
say ""
say "heatmeterd serves the meters to other systems: the DL/T 2690.8 Annex B"
say "Modbus map over TCP, one heating system per meter (system n at +(n-1) x 500):"
if [ ! -e /proc/net/tcp ] || ! command -v heatmeterd > /dev/null || ! command -v mbpoll > /dev/null; then
	say "(skipped: no TCP/IP in this kernel, or heatmeterd/mbpoll missing)"
else
	ifconfig lo 127.0.0.1 up
	cat > /tmp/heatmeterd.conf <<EOC
[meters]
source = /dev
[systems]
1 = cjt188-00000987654321
2 = cjt188-00000012345678
3 = cjt188-11110021098754
4 = mbus-4
[modbus]
listen = 127.0.0.1
port = 502
EOC
	run "cat /tmp/heatmeterd.conf"
	say "The bus polls every meter each second; heatmeterd reads /dev/heatmeterN:"
	run "echo 1000 > $B/poll_interval_ms"
	heatmeterd -c /tmp/heatmeterd.conf --foreground > /tmp/heatmeterd.log 2>&1 &
	hmd=$!
	# mbp REF COUNT TYPE: the values, one per line (-r 101 is 40101)
	mbp() {
		mbpoll -m tcp -p 502 -a 1 -t "$3" -B -r $(($1 - 40000)) -c "$2" -1 127.0.0.1 2>/dev/null |
			sed -n 's/^\[[0-9]*\]:[[:space:]]*//p'
	}
	# until every system has a reading (fault code bits 0 stale, 7 gone clear)
	n=300
	for sy in 1 2 3 4; do
		r=$((40115 + (sy - 1) * 500))
		while [ $(( $(mbp $r 1 4 | head -n1) + 0 & 129 )) -ne 0 ] && [ $n -gt 0 ]; do
			usleep 100000; n=$((n - 1))
		done
	done
	run "sed -n 's/^[0-9.]* heatmeterd: info: //p' /tmp/heatmeterd.log | grep -e '-> system' -e modbus:"
	say ""
	say "A Modbus client (mbpoll, ABCD floats with -B) reads system 1, 40101-40114:"
	run "mbpoll -m tcp -p 502 -a 1 -t 4:float -B -r 101 -c 7 -1 127.0.0.1 | grep '^\['"
	say ""
	say "Every system's registers, with the sysfs value they come from:"
	for sy in 1 2 3 4; do
		case $sy in
		1) a=00000987654321 ;; 2) a=00000012345678 ;; 3) a=11110021098754 ;; 4) a=4 ;;
		esac
		m=$(meter_at $a)
		o=$(( (sy - 1) * 500 ))
		say ""
		say "== system $sy: $(basename "$m") ($(cat "$m/protocol") $a)"
		vals=$(mbp $((40101 + o)) 7 4:float | tr '\n' ' ')
		words=$(mbp $((40115 + o)) 2 4 | tr '\n' ' ')
		i=0
		for p in "40101 supply_temp 1e-3 degC" "40103 return_temp 1e-3 degC" \
			 "40105 temp_diff 1e-3 K" "40107 energy 3.6e-9 GJ" "40109 volume 1e-6 m3" \
			 "40111 power 3.6e-9 GJ/h" "40113 flow 1e-6 m3/h"; do
			i=$((i + 1))
			set -- $p
			g=$(echo "$vals" | cut -d' ' -f$i)
			v=$(cat "$m/$2" 2>/dev/null) || v=
			say "   $(awk -v r=$(($1 + o)) -v g="$g" -v a="$2" -v s="$v" -v f="$3" -v u="$4" 'BEGIN {
				printf "%-6s %12s %-5s <- sysfs %-12s %s", r,
					(g ~ /^-?[0-9]/) ? sprintf("%.6g", g) : g, u, a,
					(s != "") ? sprintf("%s = %.6g %s", s, s * f, u) :
					(a == "temp_diff") ? "(not reported: supply - return)" : "(not reported: NaN)"
			}')"
		done
		say "   $(awk -v r=$((40115 + o)) -v w="$(echo "$words" | cut -d' ' -f1)" 'BEGIN {
			fl = w % 256; st = int(w / 256)
			split("stale,meter reports an error,low battery,,,,latest reading failed,gone", nm, ",")
			why = ""
			for (b = 0; b < 8; b++) {
				if (fl % 2 && nm[b + 1] != "")
					why = why (why == "" ? "" : ", ") nm[b + 1]
				fl = int(fl / 2)
			}
			fl = w % 256
			printf "%-6s %12s %-5s fault code: flags 0x%02x (%s), meter status byte 0x%02x",
				r, sprintf("0x%04x", w), "", fl, why == "" ? "fresh, no fault" : why, st
		}')"
		say "   $(printf '%-6s %12s %-5s meter number (last 4 digits of %s)' $((40116 + o)) "$(echo "$words" | cut -d' ' -f2)" "" "$a")"
	done
	kill $hmd
	wait $hmd
fi
echo 0 > $B/poll_interval_ms
say ""
say "Detach: the meters go with the line; the module unloads clean."
run killall ldattach
n=50; while [ -e $B ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
run "ls /sys/class/heatmeter/ | wc -l"
run rmmod heatmeter
say "done"
