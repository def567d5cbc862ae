# SPDX-License-Identifier: GPL-2.0
# Discovery on ttyS3, a point-to-point line to one CJ/T 188 meter on the
# host: the broadcast read-address finds its real address. Timeouts follow
# the line speed (set_termios).
. /tests/lib.sh
. /tests/hm.sh

ldattach -s 2400 -8 -e -1 "$LDISC" /dev/ttyS3
wait_for /sys/class/heatmeter_bus/hmbus0 || nok scan/attach "no bus"
B=$(bus_dir)
check scan/status-idle idle "$(cat "$B/scan_status")"
check scan/bad-request yes "$(echo "mbus-primary 7-3" > "$B/scan" 2>/dev/null || echo yes)"

echo cjt188 > "$B/scan"
check scan/busy-refused yes "$(echo cjt188 > "$B/scan" 2>/dev/null || echo yes)"
check scan/cjt188-broadcast "done: found 1, collisions 0" "$(wait_scan)"
m=$(meter_at 00000987654321)
check scan/found-real-address 00000987654321 "$(cat "$m/address" 2>/dev/null)"
check_vector scan/std cjt188-standard-heat-reply "$m"
check scan/profile-auto cjt188 "$(cat "$m/profile")"

# scanning again finds the same meter, no second device
echo cjt188 > "$B/scan"
check scan/rescan "done: found 1, collisions 0" "$(wait_scan)"
check scan/rescan-no-duplicate 1 "$(ls /sys/class/heatmeter/ | wc -l)"

# an address nobody has: silence, no meter
t0=$(bstat "$B" timeouts)
echo "cjt188 00000000000042" > "$B/scan"
check scan/cjt188-absent "done: found 0, collisions 0" "$(wait_scan)"
check scan/absent-timeouts 3 "$(( $(bstat "$B" timeouts) - t0 ))"

# the line speed changes the timeouts
stty -F /dev/ttyS3 9600
check scan/baud-follows 9600 "$(cat "$B/baud")"
check scan/timeout-follows-baud 535 "$(cat "$B/response_timeout_ms")"
stty -F /dev/ttyS3 2400
check scan/timeout-back 638 "$(cat "$B/response_timeout_ms")"
echo mbus > "$B/protocol"
check scan/timeout-mbus 188 "$(cat "$B/response_timeout_ms")"
echo cjt188 > "$B/protocol"

measure_read "$m" "$B" "CJ/T 188 901F read, ttyS3 (single meter)"

killall ldattach
wait_gone "$B"
check scan/detach gone "$([ -e "$B" ] || echo gone)"
