# SPDX-License-Identifier: GPL-2.0
# hwmon: one chip per meter, named heatmeter, on its own platform device
# heatmeter.N (N = the meter's number), with the meter's values in hwmon
# units (m°C, µW, µJ), its errnos, and gone with the meter.
. /tests/lib.sh
. /tests/hm.sh
BUS=/sys/class/heatmeter_bus/hmbus0

# hwmon_of METERDIR: the hwmon directory of that meter
hwmon_of() {
	n=$(basename "$1" | sed 's/heatmeter//')
	ls -d /sys/devices/platform/heatmeter.$n/hwmon/hwmon* 2>/dev/null | head -n1
}

rm -f /dev/ttyHM0
hmsim --pty --pty-link /dev/ttyHM0 --no-pace --latency 2 \
	--meter profile=cjt188,address=00000000000077,energy=1234567,power=25000,supply_temp=71250,return_temp=42500 \
	--meter profile=cjt188,address=00000000000078,fault=silence \
	> /tmp/hmsim-77.out 2>&1 &
sim=$!
wait_for /dev/ttyHM0 50
ldattach "$LDISC" /dev/ttyHM0
wait_for $BUS
echo "cjt188 00000000000077" > $BUS/new_meter
echo "cjt188 00000000000078" > $BUS/new_meter
m=$(meter_at 00000000000077)
s=$(meter_at 00000000000078)
h=$(hwmon_of "$m")
hs=$(hwmon_of "$s")
check hwmon/exists yes "$([ -n "$h" ] && [ -d "$h" ] && echo yes)"
check hwmon/name heatmeter "$(cat "$h/name" 2>&1)"
check hwmon/distinct-chips yes "$([ -n "$hs" ] && [ "$h" != "$hs" ] && echo yes)"
check hwmon/labels "supply return heat power heat energy" \
	"$(cat "$h/temp1_label" "$h/temp2_label" "$h/power1_label" "$h/energy1_label" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
check hwmon/temp1-is-supply "$(cat "$m/supply_temp")" "$(cat "$h/temp1_input" 2>&1)"
check hwmon/temp2-is-return "$(cat "$m/return_temp")" "$(cat "$h/temp2_input" 2>&1)"
check hwmon/power-uW "$(( $(cat "$m/power") * 1000 ))" "$(cat "$h/power1_input" 2>&1)"
check hwmon/energy-uJ "$(( $(cat "$m/energy") * 3600000 ))" "$(cat "$h/energy1_input" 2>&1)"
check hwmon/update-interval "$(cat "$m/max_age_ms")" "$(cat "$h/update_interval" 2>&1)"
echo 300 > $BUS/response_timeout_ms
echo 0 > $BUS/retries
check hwmon/silent-meter-errno "Connection timed out" "$(errno_of "$hs/temp1_input")"
echo 0 > $BUS/response_timeout_ms
echo 2 > $BUS/retries
echo "cjt188 00000000000077" > $BUS/delete_meter
check hwmon/gone-with-meter gone "$([ -e "$h" ] || echo gone)"
kill $sim
wait $sim 2>/dev/null
killall -q ldattach
wait_gone $BUS 100
