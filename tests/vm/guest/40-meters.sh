# SPDX-License-Identifier: GPL-2.0
# The demo meters on ttyS2 (host simulator: Delu ultrasonic, Delu
# mechanical, standard CJ/T 188, M-Bus primary 4) added with new_meter and
# read through sysfs; every value equals the shared vector's.
. /tests/lib.sh
. /tests/hm.sh

ldattach -s 2400 -8 -e -1 "$LDISC" /dev/ttyS2
wait_for /sys/class/heatmeter_bus/hmbus0 || nok meters/attach "no bus"
B=$(bus_dir)
check meters/bus-baud 2400 "$(cat "$B/baud")"
check meters/bus-timeout-cjt188 638 "$(cat "$B/response_timeout_ms")"

echo "cjt188 00000987654321" > "$B/new_meter"
echo "cjt188 00000012345678 delu-mechanical" > "$B/new_meter"
echo "cjt188 11110021098754 delu-ultrasonic" > "$B/new_meter"
check meters/new-meter-count 3 "$(ls -d /sys/class/heatmeter/heatmeter* | wc -l)"
check meters/new-meter-duplicate-refused yes \
	"$(echo "cjt188 00000987654321 cjt188" > "$B/new_meter" 2>/dev/null || echo yes)"
check meters/new-meter-bad-address yes \
	"$(echo "cjt188 123" > "$B/new_meter" 2>/dev/null || echo yes)"
check meters/new-meter-bad-profile yes \
	"$(echo "mbus 5 delu-mechanical" > "$B/new_meter" 2>/dev/null || echo yes)"

std=$(meter_at 00000987654321)
mech=$(meter_at 00000012345678)
us=$(meter_at 11110021098754)

# M-Bus primary scan: SND_NKE to 3, 4, 5; the meter at 4 answers E5 and
# its RSP_UD header tells who it is
echo "mbus-primary 3-5" > "$B/scan"
n=100
while [ "$(cat "$B/scan_status")" != "done: found 1, collisions 0" ] && [ $n -gt 0 ]; do
	usleep 100000; n=$((n - 1))
done
check meters/scan-mbus-primary "done: found 1, collisions 0" "$(cat "$B/scan_status")"
mb=$(meter_at 4)
check meters/scan-mbus-identity "21000004 PLO 2 heat mbus" \
	"$(cat "$mb/id" "$mb/manufacturer" "$mb/version" "$mb/medium" "$mb/profile" | tr '\n' ' ' | sed 's/ $//')"
# several CJ/T 188 meters answering a broadcast: a collision, never a meter
c0=$(bstat "$B" collisions)
echo cjt188 > "$B/scan"
n=100
while [ "${st#done}" = "$st" ] && [ $n -gt 0 ]; do
	usleep 100000; n=$((n - 1)); st=$(cat "$B/scan_status")
done
check meters/scan-broadcast-collision "done: found 0, collisions 1" "$st"
check meters/collision-counted 1 "$(( $(bstat "$B" collisions) - c0 ))"
check meters/collision-no-meter 4 "$(ls -d /sys/class/heatmeter/heatmeter* | wc -l)"
check meters/parent-is-bus "$(basename "$B")" "$(basename "$(readlink -f "$std/..")")"

# one cat of six attributes = one bus transaction
echo 60000 > "$std/max_age_ms"
r0=$(cat "$std/stats/requests")
cat "$std/energy" "$std/volume" "$std/flow" "$std/power" "$std/supply_temp" "$std/return_temp" > /dev/null
check meters/six-attributes-one-read 1 "$(( $(cat "$std/stats/requests") - r0 ))"

check_vector meters/std cjt188-standard-heat-reply "$std"
check meters/std-profile-auto cjt188 "$(cat "$std/profile")"
check meters/std-meter-time 2024-01-15T13:45:30 "$(cat "$std/meter_time")"
check meters/std-medium heat "$(cat "$std/medium")"
check meters/std-online 1 "$(cat "$std/online")"

echo 60000 > "$mech/max_age_ms"
check_vector meters/delu-mech delu-mechanical-reply "$mech"
check meters/delu-mech-profile delu-mechanical "$(cat "$mech/profile")"

echo 60000 > "$us/max_age_ms"
echo 1 > "$us/highres"
check_vector meters/delu-us delu-ultrasonic-reply "$us"

echo 60000 > "$mb/max_age_ms"
echo tiangang-mbus > "$mb/profile"
echo 1 > "$mb/highres"
check_vector meters/mbus tiangang-verification-reply "$mb"
check meters/mbus-version 2 "$(cat "$mb/version")"
check meters/mbus-medium heat "$(cat "$mb/medium")"

# the class tree
check meters/class-tree "address energy highres id max_age_ms meter_time online profile protocol stats/requests stats/timeouts volume" \
	"$(cd "$std" && ls -d address energy highres id max_age_ms meter_time online profile protocol stats/requests stats/timeouts volume | tr '\n' ' ' | sed 's/ $//')"

# uevent variables
check meters/uevent "HEATMETER_PROTOCOL=mbus HEATMETER_ADDRESS=4 HEATMETER_ID=21000004 HEATMETER_MANUFACTURER=PLO" \
	"$(grep HEATMETER_ "$mb/uevent" | tr '\n' ' ' | sed 's/ $//')"

# delete_meter
echo "cjt188 00000012345678" > "$B/delete_meter"
check meters/delete-meter gone "$([ -e "$mech" ] || echo gone)"
check meters/delete-unknown yes "$(echo "mbus 9" > "$B/delete_meter" 2>/dev/null || echo yes)"

# scheduled measurements for the closing note
measure_read "$std" "$B" "CJ/T 188 901F read, ttyS2"
echo 0 > "$mb/highres"
echo mbus > "$mb/profile"
measure_read "$mb" "$B" "M-Bus REQ_UD2 read, ttyS2"

killall ldattach
wait_gone "$B"
check meters/detach-removes-meters 0 "$(ls /sys/class/heatmeter/ | wc -l)"
