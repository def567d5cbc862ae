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

# lm-sensors: each meter its own chip heatmeter-isa-000N, values in °C/W/J
n=$(basename "$m" | sed 's/heatmeter//')
ns=$(basename "$s" | sed 's/heatmeter//')
chip=heatmeter-isa-$(printf %04x "$n")
sensors -j > /tmp/sensors.json 2>/tmp/sensors.err
check hwmon/sensors-distinct-chips "$(printf 'heatmeter-isa-%04x\nheatmeter-isa-%04x\n' "$n" "$ns" | sort | tr '\n' ' ' | sed 's/ $//')" \
	"$(grep -o '"heatmeter-[a-z]*-[0-9a-f]*"' /tmp/sensors.json | tr -d '"' | sort | tr '\n' ' ' | sed 's/ $//')"
# the meter's block of the JSON, one "key": value per line
awk -v c="\"$chip\"" 'index($0, c) { on = 1; next } on && /^   "heatmeter-/ { on = 0 } on' \
	/tmp/sensors.json > /tmp/sensors.chip
jv() { grep "\"$1\":" /tmp/sensors.chip | head -n1 | sed 's/.*: *//; s/,$//'; }
# milli VALUE FACTOR: VALUE * FACTOR with three decimals, as sensors -j prints
milli() { awk -v v="$1" -v f="$2" 'BEGIN { printf "%.3f", v * f }'; }
check hwmon/sensors-supply "$(milli "$(cat "$m/supply_temp")" 0.001)" "$(jv temp1_input)"
check hwmon/sensors-return "$(milli "$(cat "$m/return_temp")" 0.001)" "$(jv temp2_input)"
check hwmon/sensors-power-W "$(milli "$(cat "$m/power")" 0.001)" "$(jv power1_input)"
check hwmon/sensors-energy-J "$(milli "$(cat "$m/energy")" 3.6)" "$(jv energy1_input)"

# node_exporter (Debian 12's 1.5.0): one chip label per meter, values in
# base units, two scrapes without a duplicate-series error. It serves over
# TCP: on a kernel built without TCP/IP (the debug kernel) it cannot run,
# and the stock kernels check it.
if [ ! -e /proc/net/tcp ]; then
	echo "# hwmon: node_exporter not run: this kernel ($(uname -r)) has no TCP/IP; the stock kernels run it"
else
	ifconfig lo 127.0.0.1 up 2>/dev/null || ip link set lo up
	prometheus-node-exporter --collector.disable-defaults --collector.hwmon \
		--web.listen-address=127.0.0.1:9100 > /tmp/ne.log 2>&1 &
	ne=$!
	k=50
	until wget -q -O /tmp/metrics1 http://127.0.0.1:9100/metrics 2>/dev/null || [ $k -eq 0 ]; do
		usleep 200000; k=$((k - 1))
	done
	wget -q -O /tmp/metrics2 http://127.0.0.1:9100/metrics
	# metric VALUE of a line: node_hwmon_...{chip="platform_heatmeter_N",sensor="S"}
	metric() { grep "^$1{chip=\"platform_heatmeter_$n\"" /tmp/metrics2 | grep "sensor=\"$2\"" | head -n1 | awk '{ print $2 }'; }
	same() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; print (a != "" && d <= 1e-9 * (b < 0 ? -b : b) + 1e-9) ? "same" : a " vs " b }'; }
	check hwmon/node-exporter-chips 2 \
		"$(grep '^node_hwmon_chip_names{' /tmp/metrics2 | grep -c 'chip_name="heatmeter"')"
	check hwmon/node-exporter-temp same \
		"$(same "$(metric node_hwmon_temp_celsius temp1)" "$(milli "$(cat "$m/supply_temp")" 0.001)")"
	check hwmon/node-exporter-power same \
		"$(same "$(metric node_hwmon_power_watt power1)" "$(milli "$(cat "$m/power")" 0.001)")"
	check hwmon/node-exporter-energy same \
		"$(same "$(metric node_hwmon_energy_joule_total energy1)" "$(milli "$(cat "$m/energy")" 3.6)")"
	check hwmon/node-exporter-no-duplicates 0 "$(grep -c 'collected before' /tmp/ne.log)"
	kill $ne
fi

# no runtime PM on the chip: no power/control and its times, which the
# bus device has (what CONFIG_PM_ADVANCED_DEBUG shows of every device
# stays; a kernel without CONFIG_PM has none anywhere)
if [ -e "$BUS/power/control" ]; then
	check hwmon/no-runtime-pm-files none \
		"$([ -d "$h/power" ] && ! ls "$h/power/control" "$h/power/runtime_active_time" "$h/power/runtime_suspended_time" > /dev/null 2>&1 && echo none)"
else
	echo "# hwmon: kernel without CONFIG_PM (no power/ files anywhere)"
fi
# module parameter hwmon=0: meters created afterwards have no chip
HWP=/sys/module/heatmeter/parameters/hwmon
check hwmon/param-default Y "$(cat $HWP)"
echo 0 > $HWP
echo "cjt188 00000000000079" > $BUS/new_meter
n=$(meter_at 00000000000079)
check hwmon/param-off-no-chip none "$([ -n "$n" ] && [ -z "$(hwmon_of "$n")" ] && echo none)"
check hwmon/param-off-others-keep yes "$([ -d "$h" ] && echo yes)"
echo "cjt188 00000000000079" > $BUS/delete_meter
echo 1 > $HWP
echo "cjt188 00000000000079" > $BUS/new_meter
n=$(meter_at 00000000000079)
check hwmon/param-on-chip yes "$([ -n "$n" ] && [ -d "$(hwmon_of "$n")" ] && echo yes)"
echo "cjt188 00000000000079" > $BUS/delete_meter

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
