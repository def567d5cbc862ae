# SPDX-License-Identifier: GPL-2.0
# heatmeterctl (the real program, dynamically linked) and the udev rules
# under the real systemd-udevd: attach/detach, scan, list, read, monitor
# in text and JSON against the simulated meters' values, hot-plug of a
# meter, an unplugged adapter, /dev/heatmeterN links, group and mode, a
# user in group heatmeter reading and one outside it refused, and the
# HEATMETER_ATTACH tag starting the attach unit's command.
. /tests/lib.sh
. /tests/hm.sh
CTL=/usr/bin/heatmeterctl
SETPRIV=/usr/bin/setpriv
UNIT=/usr/lib/systemd/system/heatmeter-attach@.service

if [ ! -x $CTL ] || ! $CTL --version > /dev/null 2>&1; then
	nok ctl/runs "heatmeterctl missing or does not run in the guest: $($CTL --version 2>&1)"
	exit 0
fi
check ctl/version "heatmeterctl" "$($CTL --version | cut -d' ' -f1)"

# the real udevd, with the project's rules only. udevd and libudev's
# monitor need netlink: the debug kernel (tinyconfig, no CONFIG_NET) has
# none, and there the udev and monitor checks are skipped, saying so.
udevd=
netlink=
[ -e /proc/net/netlink ] && netlink=yes
if [ -z "$netlink" ]; then
	ok "ctl/udev # SKIP kernel without CONFIG_NET: no netlink, no udevd, no monitor"
	$CTL monitor --timeout 1 > /dev/null 2> /tmp/mon.err
	check ctl/monitor-no-netlink "1 yes" "$? $(grep -q 'cannot monitor kernel events' /tmp/mon.err && echo yes)"
elif [ -x /lib/systemd/systemd-udevd ]; then
	mkdir -p /run/udev
	/lib/systemd/systemd-udevd --daemon > /tmp/udevd.out 2>&1
	n=50
	while [ ! -e /run/udev/control ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
	udevd=$(pidof systemd-udevd)
	check ctl/udevd-runs yes "$([ -n "$udevd" ] && [ -e /run/udev/control ] && echo yes)"
else
	nok ctl/udevd-runs "systemd-udevd not in the guest (udevadm missing on the host)"
fi
settle() { [ -n "$udevd" ] && udevadm settle -t 10; }
# start_attach OUT ARGS...: heatmeterctl attach ARGS in the background,
# stdout in OUT, stderr in OUT.err (both fresh: no earlier run's line
# counts); waits until it attached. Sets att (its pid) and bus.
start_attach() {
	out=$1
	shift
	rm -f "$out" "$out.err"
	$CTL attach "$@" > "$out" 2> "$out.err" &
	att=$!
	i=50
	while ! grep -q attached "$out" 2>/dev/null && [ $i -gt 0 ]; do usleep 100000; i=$((i - 1)); done
	bus=$(sed -n 's/.*attached as \(hmbus[0-9]*\),.*/\1/p' "$out")
}
# reap PID: its exit status; a process still there after 10 s is killed
# (status 137) rather than hanging the guest
reap() {
	i=100
	while kill -0 "$1" 2>/dev/null && [ $i -gt 0 ]; do usleep 100000; i=$((i - 1)); done
	kill -0 "$1" 2>/dev/null && kill -9 "$1"
	wait "$1"
}

# exit codes and messages without meters
$CTL read 00000000009999 > /dev/null 2> /tmp/ctl.err
check ctl/read-unknown-rc 3 $?
check ctl/read-unknown-msg "heatmeterctl: 00000000009999: no such meter" "$(cat /tmp/ctl.err)"
$CTL frobnicate > /dev/null 2>&1
check ctl/unknown-command-rc 2 $?
$CTL attach /dev/null > /dev/null 2> /tmp/ctl.err
check ctl/attach-not-tty-rc 2 $?

rm -f /dev/ttyHM0
hmsim --pty --pty-link /dev/ttyHM0 --latency 5 --no-pace \
	--meter profile=cjt188,address=00000000000078,energy=123450000,volume=45670000,supply_temp=75310,return_temp=45120 \
	--meter profile=mbus,primary=5,id=12345678,manufacturer=ABC,energy=5000000,volume=2500000 \
	> /tmp/hmsim-78.out 2>&1 &
sim=$!
wait_for /dev/ttyHM0 50

# attach: holds the line in the foreground
start_attach /tmp/attach.out --baud 2400 --protocol mbus /dev/ttyHM0
B=/sys/class/heatmeter_bus/$bus
check ctl/attach "attached as $bus, 2400 Bd 8E1" "$(sed 's/^[^:]*: //' /tmp/attach.out)"
pts=pts$(basename "$(readlink -f /dev/ttyHM0)")
check ctl/attach-ldisc "$pts" "$(cat $B/tty 2>&1)"
check ctl/attach-protocol mbus "$(cat $B/protocol 2>&1)"
$CTL attach /dev/ttyHM0 > /dev/null 2> /tmp/ctl.err
check ctl/attach-twice-rc 7 $?

# monitor from here on: meters and readings as they arrive
if [ -n "$netlink" ]; then
	$CTL monitor --json --readings > /tmp/mon.json 2> /tmp/mon.err &
	mon=$!
	$CTL monitor > /tmp/mon.txt 2>&1 &
	mont=$!
	$CTL monitor --json --count 2 > /tmp/mon.count 2>&1 &
	monc=$!
	usleep 300000
fi

# scan: M-Bus by primary address, with progress, text then JSON
$CTL scan "$bus" mbus 3-6 > /tmp/scan.out 2> /tmp/scan.err
check ctl/scan-mbus-rc 0 $?
check ctl/scan-mbus-summary "$bus: scan mbus-primary 3-6: found 1, collisions 0" "$(head -n1 /tmp/scan.out)"
mb=$(meter_at 5)
check ctl/scan-mbus-meter "$(basename "$mb") mbus 5 ABC 12345678" "$(sed -n 2p /tmp/scan.out | tr -s ' ')"
check ctl/scan-progress yes "$(grep -q "^$bus: scan running [0-9]/4" /tmp/scan.err && echo yes)"
# CJ/T 188 broadcast scan, the bus named by its tty
$CTL scan --json ttyHM0 cjt188 > /tmp/scan.json 2> /tmp/scan.err
check ctl/scan-cjt188-rc 0 $?
m=$(meter_at 00000000000078)
check ctl/scan-cjt188-json "{\"bus\":\"$bus\",\"scan\":\"cjt188\",\"found\":1,\"collisions\":0,\"meters\":[{\"meter\":\"$(basename "$m")\",\"protocol\":\"cjt188\",\"address\":\"00000000000078\",\"id\":\"00000000000078\",\"manufacturer\":\"0000\"}]}" \
	"$(cat /tmp/scan.json)"
dev=/dev/$(basename "$m")
devb=/dev/$(basename "$mb")
settle

# list: table and JSON with the simulated values in human units
$CTL list > /tmp/list.txt 2>&1
check ctl/list-rc 0 $?
check ctl/list-cjt188-row "$bus $pts $(basename "$m") cjt188 00000000000078 00000000000078 0000 heat yes 123.45 kWh 45.67 m3 75.31 °C 45.12 °C" \
	"$(grep " 00000000000078 " /tmp/list.txt | tr -s ' ')"
check ctl/list-mbus-row "$(basename "$mb") mbus 5 12345678 ABC heat yes 5.0 kWh 2.5 m3" \
	"$(grep " mbus " /tmp/list.txt | tr -s ' ' | cut -d' ' -f3-13)"
$CTL list --json > /tmp/list.json
sed 's/^/# list --json: /' /tmp/list.json
check ctl/list-json-cjt188 yes "$(grep -q "{\"meter\":\"$(basename "$m")\",\"device\":\"$dev\",\"bus\":\"$bus\",\"tty\":\"$pts\",\"protocol\":\"cjt188\",\"address\":\"00000000000078\",\"id\":\"00000000000078\",\"manufacturer\":\"0000\",\"medium\":\"heat\",\"profile\":\"[a-z0-9-]*\",\"online\":true,\"energy_kwh\":123.45,\"volume_m3\":45.67,.*\"supply_temp_c\":75.31,\"return_temp_c\":45.12" /tmp/list.json && echo yes)"
check ctl/list-json-mbus yes "$(grep -q "\"address\":\"5\",\"id\":\"12345678\",\"manufacturer\":\"ABC\",.*\"energy_kwh\":5.0,\"volume_m3\":2.5" /tmp/list.json && echo yes)"

# read: every way to name a meter
for name in "$(basename "$m")" "$dev" cjt188-00000000000078 00000000000078 \
	    "$bus:00000000000078"; do
	check "ctl/read-by-$(echo "$name" | tr '/:' '__')" "energy 123.45 kWh" \
		"$($CTL read "$name" 2>&1 | grep '^energy ' | tr -s ' ')"
done
check ctl/read-by-id "volume 2.5 m3" "$($CTL read ABC-12345678 2>&1 | grep '^volume ' | tr -s ' ')"
check ctl/read-by-bus-address "address 5" "$($CTL read "$bus:5" 2>&1 | grep '^address ' | tr -s ' ')"
$CTL read --json "$dev" | sed 's/^/# read --json: /'
check ctl/read-json yes "$($CTL read --json "$dev" | grep -q "^{\"meter\":\"$(basename "$m")\",\"device\":\"$dev\",\"bus\":\"$bus\",.*\"seq\":[0-9]*,\"time\":\"20[0-9-]*T[0-9:.]*Z\",\"energy_kwh\":123.45,\"volume_m3\":45.67,.*\"supply_temp_c\":75.31,\"return_temp_c\":45.12,.*\"tries\":1}$" && echo yes)"

# verify --json: the ioctls' results as JSON
check ctl/verify-json-read yes "$($CTL verify --json read "$dev" | grep -q "^{\"device\":\"$dev\",\"reading\":{\"seq\":[0-9]*,\"time\":\"[0-9T:.Z-]*\",\"energy_kwh\":123.45,.*\"tx_start_ns\":[1-9][0-9]*,.*\"rx_last_ns\":[1-9][0-9]*}}$" && echo yes)"
check ctl/verify-json-info yes "$($CTL verify --json info "$devb" | grep -q "^{\"device\":\"$devb\",\"protocol\":\"mbus\",\"address\":\"5\",\"id\":\"12345678\",\"manufacturer\":\"ABC\"," && echo yes)"
# decode --json: a captured frame, no hardware
sed -n '/^name: delu-ultrasonic-reply/,/^checksum/p' /data/vectors/cjt188/vectors.txt |
	sed -n '/^hex:/,/^checksum/p' | grep -v '^checksum' | sed 's/^hex://' > /tmp/frame.hex
check ctl/decode-json '{"protocol":"cjt188","meter_type":"0x25","address":"11110021098754","profile":"delu-ultrasonic","id":"21098754","energy_kwh":0.0002,"volume_m3":0.000201,"supply_temp_c":28.74,"return_temp_c":28.3,"high_resolution":true}' \
	"$($CTL decode --json /tmp/frame.hex 2>&1)"
check ctl/decode-text "supply_temp 28.74 °C" "$($CTL decode /tmp/frame.hex 2>&1 | grep '^supply_temp ' | tr -s ' ')"

# udev: group heatmeter, 0660, links that follow the meters
if [ -n "$udevd" ]; then
	wait_for /dev/heatmeter/by-id/ABC-12345678 50
	wait_for /dev/heatmeter/by-address/cjt188-00000000000078 50
	check ctl/udev-mode "heatmeter 660" "$(stat -c '%G %a' "$dev")"
	check ctl/udev-by-address "$dev" "$(readlink -f /dev/heatmeter/by-address/cjt188-00000000000078)"
	check ctl/udev-by-address-mbus "$devb" "$(readlink -f /dev/heatmeter/by-address/mbus-5)"
	check ctl/udev-by-id "$devb" "$(readlink -f /dev/heatmeter/by-id/ABC-12345678)"
	check ctl/read-by-link "energy 123.45 kWh" \
		"$($CTL read /dev/heatmeter/by-address/cjt188-00000000000078 2>&1 | grep '^energy ' | tr -s ' ')"
	# permissions: a user in group heatmeter reads, one outside is refused
	if [ -x $SETPRIV ]; then
		out=$($SETPRIV --reuid=1000 --regid=1000 --init-groups $CTL read "$dev" 2>&1)
		check ctl/perm-group-member-rc "0 energy 123.45 kWh" "$? $(echo "$out" | grep '^energy ' | tr -s ' ')"
		out=$($SETPRIV --reuid=1001 --regid=1001 --init-groups $CTL read "$dev" 2>&1)
		check ctl/perm-outsider-rc 4 $?
		check ctl/perm-outsider-msg yes "$(echo "$out" | grep -q "$dev: Permission denied" && echo yes)"
		# list reads sysfs: anyone may
		check ctl/perm-outsider-list yes "$($SETPRIV --reuid=1001 --regid=1001 --init-groups $CTL list | grep -q '123.45 kWh' && echo yes)"
	else
		nok ctl/perm "setpriv missing in the guest"
	fi
fi

# hot-plug: a meter added and deleted while monitor runs
echo "cjt188 00000000000079" > $B/new_meter
m79=$(meter_at 00000000000079)
settle
if [ -n "$udevd" ]; then
	wait_for /dev/heatmeter/by-address/cjt188-00000000000079 50
	check ctl/udev-link-added "/dev/$(basename "$m79")" "$(readlink -f /dev/heatmeter/by-address/cjt188-00000000000079)"
fi
echo 0 > "$m/max_age_ms"
cat "$m/energy" > /dev/null
echo "cjt188 00000000000079" > $B/delete_meter
settle
if [ -n "$udevd" ]; then
	wait_gone /dev/heatmeter/by-address/cjt188-00000000000079 50
	check ctl/udev-link-removed gone "$([ -e /dev/heatmeter/by-address/cjt188-00000000000079 ] || echo gone)"
fi
usleep 500000
if [ -n "$netlink" ]; then
	check ctl/monitor-json-add yes "$(grep -q "^{\"time\":\"[0-9T:.Z-]*\",\"event\":\"add\",\"meter\":\"$(basename "$m79")\",\"device\":\"/dev/$(basename "$m79")\",\"bus\":\"$bus\",\"protocol\":\"cjt188\",\"address\":\"00000000000079\"" /tmp/mon.json && echo yes)"
	check ctl/monitor-json-remove yes "$(grep -q "\"event\":\"remove\",\"meter\":\"$(basename "$m79")\"" /tmp/mon.json && echo yes)"
	check ctl/monitor-json-reading yes "$(grep -q "^{\"event\":\"reading\",\"meter\":\"$(basename "$m")\",\"bus\":\"$bus\",\"protocol\":\"cjt188\",\"address\":\"00000000000078\",.*\"energy_kwh\":123.45,\"volume_m3\":45.67,.*\"supply_temp_c\":75.31" /tmp/mon.json && echo yes)"
	check ctl/monitor-json-scan-meter yes "$(grep -q "\"event\":\"add\",\"meter\":\"$(basename "$mb")\".*\"address\":\"5\"" /tmp/mon.json && echo yes)"
	n=50
	while kill -0 $monc 2>/dev/null && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
	check ctl/monitor-count-exits "gone 2" "$(kill -0 $monc 2>/dev/null || echo gone) $(wc -l < /tmp/mon.count)"
	check ctl/monitor-text-add yes "$(grep -q " add *$(basename "$m79") cjt188 00000000000079 bus $bus$" /tmp/mon.txt && echo yes)"
	check ctl/monitor-text-scan-done yes "$(grep -q " change $bus.* scan done" /tmp/mon.txt && echo yes)"
	grep -m2 '"reading"' /tmp/mon.json | sed 's/^/# monitor --json: /'
	echo "# monitor: $(wc -l < /tmp/mon.json) JSON lines, $(grep -c '"event":"reading"' /tmp/mon.json) readings"
fi

# a meter that does not answer: exit 6 and a reading with ETIMEDOUT
echo "cjt188 00000000000099" > $B/new_meter
m99=$(basename "$(meter_at 00000000000099)")
$CTL read 00000000000099 > /tmp/read99.out 2> /tmp/read99.err
check ctl/read-silent-rc 6 $?
check ctl/read-silent-msg "heatmeterctl: 00000000000099: the meter did not answer" "$(cat /tmp/read99.err)"
check ctl/read-silent-error "error ETIMEDOUT (Connection timed out)" "$(grep '^error ' /tmp/read99.out | tr -s ' ')"
check ctl/list-silent-row yes "$($CTL list | grep ' 00000000000099 ' | grep -q 'no .*(ETIMEDOUT: Connection timed out)$' && echo yes)"

# the adapter unplugged while a read waits on the line: exit 5
echo 20000 > $B/response_timeout_ms
tx0=$(bstat $B tx_bytes)
$CTL read 00000000000099 > /dev/null 2> /tmp/read99.err &
rd=$!
n=100
while [ "$(bstat $B tx_bytes)" -eq "$tx0" ] && [ $n -gt 0 ]; do usleep 50000; n=$((n - 1)); done
usleep 200000

# the adapter unplugged: the far end of the line goes away (hangup)
kill $sim
wait $sim 2>/dev/null
reap $rd
check ctl/unplug-read-waiting-rc 5 $?
check ctl/unplug-read-waiting-msg "heatmeterctl: /dev/$m99: the meter or its line is gone (adapter unplugged?)" \
	"$(cat /tmp/read99.err)"
reap $att
check ctl/unplug-attach-rc 5 $?
check ctl/unplug-attach-msg yes "$(grep -q 'hung up (adapter unplugged?)' /tmp/attach.out.err && echo yes)"
wait_gone $B 50
check ctl/unplug-bus-gone gone "$([ -e $B ] || echo gone)"
$CTL read 00000000000078 > /dev/null 2> /tmp/ctl.err
check ctl/unplug-read-rc 3 $?
usleep 300000
[ -z "$netlink" ] || check ctl/unplug-monitor-remove yes "$(grep -q "\"event\":\"remove\",\"bus\":\"$bus\"" /tmp/mon.json && echo yes)"

# detach by another process; SIGTERM (systemd stopping the unit)
rm -f /dev/ttyHM0
hmsim --pty --pty-link /dev/ttyHM0 --no-pace --meter profile=cjt188,address=00000000000078 \
	> /tmp/hmsim-78.out 2>&1 &
sim=$!
wait_for /dev/ttyHM0 50
start_attach /tmp/attach.out /dev/ttyHM0
$CTL detach /dev/ttyHM0 > /tmp/detach.out 2>&1
check ctl/detach-rc 0 $?
reap $att
check ctl/detach-attach-rc 0 $?
check ctl/detach-attach-msg yes "$(grep -q 'detached by another process' /tmp/attach.out && echo yes)"
$CTL detach /dev/ttyHM0 > /dev/null 2>&1
check ctl/detach-not-attached-rc 3 $?
start_attach /tmp/attach.out /dev/ttyHM0
kill -TERM $att
reap $att
check ctl/sigterm-rc 0 $?
wait_gone /sys/class/heatmeter_bus/$bus 50
check ctl/sigterm-bus-gone gone "$([ -e /sys/class/heatmeter_bus/$bus ] || echo gone)"
kill $sim
wait $sim 2>/dev/null

# A USB adapter unplugged: hmtty hangs its tty up as the USB serial
# driver does (tty_port_tty_hangup)
HMT=/sys/kernel/debug/hmtty
insmod /lib/modules/hmtty.ko 2>/dev/null
start_attach /tmp/attach.out ttyHMT0
check ctl/hmtty-attach "/dev/ttyHMT0: attached as $bus, 2400 Bd 8E1" "$(cat /tmp/attach.out)"
echo "cjt188 00000000000076" > /sys/class/heatmeter_bus/$bus/new_meter
echo 1 > $HMT/ttyHMT0/hangup
reap $att
check ctl/usb-unplug-attach-rc 5 $?
check ctl/usb-unplug-attach-msg "heatmeterctl: /dev/ttyHMT0: the line hung up (adapter unplugged?); $bus is gone" \
	"$(cat /tmp/attach.out.err)"
check ctl/usb-unplug-bus-gone gone "$([ -e /sys/class/heatmeter_bus/$bus ] || echo gone)"

# HEATMETER_ATTACH: a port the admin tagged gets the attach unit, whose
# command (run here as systemd would: no systemd in the guest) attaches
# it with the settings from udev
if [ -n "$udevd" ] && [ -f $UNIT ]; then
	# the admin's rule, as for a USB adapter's serial number
	echo 'SUBSYSTEM=="tty", KERNEL=="ttyHMT1", ENV{HEATMETER_ATTACH}="1", ENV{HEATMETER_BAUD}="9600", ENV{HEATMETER_PROTOCOL}="mbus", ENV{HEATMETER_SCAN}="mbus-primary 1-2"' \
		> /etc/udev/rules.d/59-heatmeter-local.rules
	# --reload is a message udevd handles in its own time: the ping
	# returns once it has; --settle waits for this event, not any
	udevadm control --reload
	udevadm control --ping
	udevadm trigger --settle --action=add /sys/class/tty/ttyHMT1
	n=50
	until udevadm info -q property /sys/class/tty/ttyHMT1 | grep -q '^SYSTEMD_WANTS=' ||
	      [ $n -eq 0 ]; do
		usleep 100000; n=$((n - 1))
	done
	check ctl/tag-systemd-wants "heatmeter-attach@ttyHMT1.service" \
		"$(udevadm info -q property /sys/class/tty/ttyHMT1 | sed -n 's/^SYSTEMD_WANTS=//p')"
	check ctl/tag-systemd yes "$(udevadm info -q property /sys/class/tty/ttyHMT1 | grep -q '^TAGS=.*:systemd:' && echo yes)"
	cmd=$(sed -n 's/^ExecStart=//p' $UNIT | sed "s#%I#ttyHMT1#g; s#%i#ttyHMT1#g")
	case "$cmd" in
	"$CTL attach "*) start_attach /tmp/attach-unit.out ${cmd#"$CTL attach "} ;;
	*) nok ctl/unit-execstart "not '$CTL attach ...': $cmd" ;;
	esac
	check ctl/unit-attach-from-udev "9600 mbus" \
		"$(cat /sys/class/heatmeter_bus/$bus/baud /sys/class/heatmeter_bus/$bus/protocol 2>&1 | tr '\n' ' ' | sed 's/ $//')"
	check ctl/unit-attach-scan-from-udev yes \
		"$(grep -qE '^(running [0-9]/2|done: found 0, collisions 0)$' /sys/class/heatmeter_bus/$bus/scan_status && echo yes)"
	kill -TERM $att
	reap $att
	check ctl/unit-attach-stop-rc 0 $?
	rm -f /etc/udev/rules.d/59-heatmeter-local.rules
elif [ -n "$udevd" ]; then
	nok ctl/unit "$UNIT not in the guest"
fi
n=50
until rmmod hmtty 2>/dev/null; do n=$((n - 1)); [ $n -gt 0 ] || break; usleep 100000; done

if [ -n "$netlink" ]; then
	kill $mon $mont 2>/dev/null
	wait $mon $mont 2>/dev/null
fi
# leave no udevd behind for the later tests
[ -n "$udevd" ] && kill $udevd
true
