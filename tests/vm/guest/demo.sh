# SPDX-License-Identifier: GPL-2.0
# What a user sees: load, attach the line discipline to the meter line
# (ttyS2, whose far end is the host's simulator with a Delu ultrasonic, a
# Delu mechanical, a standard CJ/T 188 and an M-Bus heat meter), add and
# discover the meters, cat their attributes. Printed lines start HMDEMO.
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
say "Detach: the meters go with the line; the module unloads clean."
run killall ldattach
n=50; while [ -e $B ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
run "ls /sys/class/heatmeter/ | wc -l"
run rmmod heatmeter
say "done"
