# SPDX-License-Identifier: GPL-2.0
# Wired M-Bus in depth, against hmsim on a pty in the guest, paced at
# 2400 Bd with 20 ms latency: secondary search on lines that trouble the
# userspace tools (IDs differing in the last digit, the same ID from two
# manufacturers, consecutive serial numbers, random IDs sharing prefixes),
# secondary-addressed reads, multi-telegram reads with the FCB, glitches,
# a late meter, and the primary scan at the window minimum. Each search
# prints found/expected, selects and seconds ("# timing" lines, shown by
# make bench). The stock 6.12 kernel runs everything but two long lines;
# the debug kernel the parts that exercise new code paths under KASAN and
# lockdep (core); 6.1 a smoke set plus the 60 random IDs and the unlisted
# manufacturer (each line takes a minute or more of wire time, so they are
# spread over the three guests, which run in parallel).
. /tests/lib.sh
. /tests/hm.sh
B=/sys/class/heatmeter_bus/hmbus0
LEVEL=smoke
case "$KVER" in
*hmdebug*) LEVEL=core ;;
6.12.*-amd64) LEVEL=full ;;
esac
# lvl core|full: this kernel runs that part
lvl() {
	case "$LEVEL:$1" in full:*|core:core) return 0 ;; esac
	return 1
}
echo "# mbus2: level $LEVEL on $KVER"

# start_sim LOG ARGS...: hmsim on /dev/ttyHM0, attached, M-Bus bus
start_sim() {
	log=$1; shift
	rm -f /dev/ttyHM0
	hmsim --pty --pty-link /dev/ttyHM0 --log "$log" "$@" > "$log.out" 2>&1 &
	sim=$!
	wait_for /dev/ttyHM0 50
	ldattach "$LDISC" /dev/ttyHM0
	wait_for $B
	echo mbus > $B/protocol
}
stop_sim() {
	killall ldattach 2>/dev/null
	wait_gone $B 100
	kill $sim 2>/dev/null
	wait $sim 2>/dev/null
}
# ids_of LOG: the ids hmsim --list gives, one per line, sorted
ids_sim() { hmsim --list "$@" 2>&1 | sed -n 's/.* id=\([0-9A-F]*\) man=\([A-Z]*\) .*/\1:\2/p' | sort; }
ids_bus() {
	for d in /sys/class/heatmeter/heatmeter*; do
		[ -e "$d/address" ] && cut -d: -f1,2 "$d/address"
	done | sort
}
# search NAME SECONDS ARGS...: a secondary search over a line
search() {
	name=$1 limit=$2; shift 2
	ids_sim "$@" > /tmp/want.$name
	want=$(wc -l < /tmp/want.$name)
	start_sim /tmp/hmsim-$name.log "$@"
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo mbus-secondary > $B/scan
	st=$(wait_scan "$limit")
	t1=$(cut -d' ' -f1 /proc/uptime)
	ids_bus > /tmp/got.$name
	found=$(wc -l < /tmp/got.$name)
	sel=$(echo "$st" | sed -n 's/.*selects \([0-9]*\).*/\1/p')
	echo "# timing: secondary search, $name: found $found/$want, selects $sel, $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s ($st)"
	check "mbus2/$name-done" done "${st%%:*}"
	check "mbus2/$name-every-meter-once" "$(cat /tmp/want.$name)" "$(cat /tmp/got.$name)"
	if ! cmp -s /tmp/want.$name /tmp/got.$name; then
		cat /sys/class/heatmeter/heatmeter*/address | sed 's/^/# found: /'
		grep -E ' (req|reply|collision|select) ' /tmp/hmsim-$name.log | tail -n 60 |
			cut -d' ' -f3- | cut -c1-150 | sed 's/^/# sim: /'
	fi

	check "mbus2/$name-no-duplicates" "$found" "$(sort -u /tmp/got.$name | wc -l)"
}
# meter_sec ID:MAN: the meter with that secondary address
meter_sec() {
	for d in /sys/class/heatmeter/heatmeter*; do
		case "$(cat "$d/address" 2>/dev/null)" in "$1":*) echo "$d"; return 0 ;; esac
	done
	echo /nonexistent
}
# energy_ok NAME: a found meter reads the energy hmsim derives from its ID
energy_ok() {
	m=$(ls -d /sys/class/heatmeter/heatmeter* | tail -n1)
	id=$(cut -c1-8 "$m/address")
	want=$(( (10#$id % 1000000) * 1000000 ))
	check "mbus2/$1-read-selected" "$want" "$(cat "$m/energy" 2>&1)"
}

# two IDs that differ only in the last digit: one split of the last digit
search last-digit 60 \
	--meter profile=mbus,id=12345670,manufacturer=KAM,energy=1000000 \
	--meter profile=mbus,id=12345671,manufacturer=KAM,energy=2000000
# searching again finds the same meters, and adds no second device
echo mbus-secondary > $B/scan
check mbus2/rescan-found "done: found 2" "$(wait_scan 30 | cut -d, -f1)"
check mbus2/rescan-no-duplicate 2 "$(ls -d /sys/class/heatmeter/heatmeter* | wc -l)"
m=$(meter_sec 12345671:KAM)
check mbus2/secondary-address-form "12345671:KAM" "$(cut -d: -f1,2 "$m/address")"
check mbus2/secondary-read 2000000 "$(cat "$m/energy" 2>&1)"
check mbus2/secondary-id 12345671 "$(cat "$m/id" 2>&1)"
# the read selected that meter, and only it, before its REQ_UD2
check mbus2/one-selected "selected=1" "$(grep ' select ' /tmp/hmsim-last-digit.log | tail -n1 | grep -o 'selected=1')"
check mbus2/others-deselected 0 "$(grep ' select ' /tmp/hmsim-last-digit.log | tail -n2 | grep -c 'who=m0 selected=1')"
# a meter added by hand by its secondary address; a wrong one is silent
echo "mbus-secondary 12345670:KAM" > $B/new_meter
echo "mbus-secondary 12345679" > $B/new_meter
m=$(meter_at "12345679:FFFF:FF:FF")
check mbus2/secondary-absent "Connection timed out" "$(errno_of "$m/energy")"
echo "mbus-secondary 12345679" > $B/delete_meter
check mbus2/secondary-bad-address yes "$(echo 'mbus-secondary 1234567' > $B/new_meter 2>/dev/null || echo yes)"
check mbus2/secondary-bad-man yes "$(echo 'mbus-secondary 12345678:kam' > $B/new_meter 2>/dev/null || echo yes)"
stop_sim

if lvl core; then
# the same line with a 2-wire adapter's echo: our own selections come back
search last-digit-echo 60 --echo \
	--meter profile=mbus,id=12345670,manufacturer=KAM,energy=1000000 \
	--meter profile=mbus,id=12345671,manufacturer=KAM,energy=2000000
check mbus2/echo-seen yes "$([ "$(bstat $B echoes)" -ge 1 ] && echo yes)"
stop_sim
fi

if lvl full; then
# the same ID from two manufacturers: split by manufacturer, both found
search same-id 120 \
	--meter profile=mbus,id=55501234,manufacturer=KAM,energy=3000000 \
	--meter profile=mbus,id=55501234,manufacturer=ZRI,energy=4000000
m=$(meter_sec 55501234:ZRI)
check mbus2/same-id-read 4000000 "$(cat "$m/energy" 2>&1)"
stop_sim
fi

# the same ID, one maker among the usual ones and one not: the collision
# proved two meters, the candidates found one, so every valid code of the
# manufacturer is tried (on 6.1: the long lines are spread over the kernels)
if [ "$LEVEL" = smoke ]; then
	search same-id-unlisted 180 \
		--meter profile=mbus,id=55501234,manufacturer=KAM,energy=3000000 \
		--meter profile=mbus,id=55501234,manufacturer=XYQ,energy=4000000
	stop_sim
fi

if lvl core; then
# scan stop: a search of a big line stops after its current probe
start_sim /tmp/hmsim-stop.log --gen mbus-random:20:seed=3
echo mbus-secondary > $B/scan
usleep 1500000
echo stop > $B/scan
st=$(wait_scan 10)
check mbus2/scan-stop stopped "${st%%:*}"
check mbus2/stop-idle yes "$(echo stop > $B/scan 2>/dev/null || echo yes)"
stop_sim
fi

# the two 60-meter lines, minutes of wire time each: one per stock kernel
if [ "$LEVEL" = full ]; then
	search consecutive-60 400 --gen mbus-consecutive:60:start=30010000
	energy_ok consecutive-60
	stop_sim
fi
if [ "$LEVEL" = smoke ]; then
	search random-60 600 --gen mbus-random:60:seed=7
	energy_ok random-60
	stop_sim
fi

# a meter whose data spans 3 telegrams: every record, in order, FCB toggled
start_sim /tmp/hmsim-tg.log \
	--meter profile=mbus,primary=5,id=40000005,telegrams=3,energy=5000000,volume=6000000,power=700000,flow=800000,supply_temp=70000,return_temp=40000
echo "mbus 5" > $B/new_meter
m=$(meter_at 5)
check mbus2/telegrams-energy 5000000 "$(cat "$m/energy" 2>&1)"
check mbus2/telegrams-return-temp 40000 "$(cat "$m/return_temp" 2>&1)"
check mbus2/telegrams-all "5000000 6000000 700000 800000 70000" \
	"$(echo $(cat "$m/energy" "$m/volume" "$m/power" "$m/flow" "$m/supply_temp" 2>&1))"
check mbus2/telegrams-in-order "1 2 3" "$(grep ' telegram ' /tmp/hmsim-tg.log | head -n3 | sed 's/.* n=\([0-9]\).*/\1/' | tr '\n' ' ' | sed 's/ $//')"
# the FCB of the REQ_UD2s: 1 after the reset, then toggled; no repeat
check mbus2/fcb-toggles "1 0 1" "$(grep ' telegram ' /tmp/hmsim-tg.log | head -n3 | sed 's/.* fcb=\([01]\).*/\1/' | tr '\n' ' ' | sed 's/ $//')"
check mbus2/fcb-no-repeat 0 "$(grep -c 'repeat=1' /tmp/hmsim-tg.log)"
# a second read starts again from the first telegram
echo 0 > "$m/max_age_ms"
check mbus2/telegrams-reread 5000000 "$(cat "$m/energy" 2>&1)"
check mbus2/telegrams-reread-first "1 2 3 1 2 3" "$(grep ' telegram ' /tmp/hmsim-tg.log | sed 's/.* n=\([0-9]\).*/\1/' | tr '\n' ' ' | sed 's/ $//')"
stop_sim

# billing-date values (storage 1) through the char device, and a freeze
# (SYNC TRIGGER) read back from there
start_sim /tmp/hmsim-due.log \
	--meter profile=mbus,primary=6,id=40000006,energy=6000000,volume=600000,due_energy=5000000,due_volume=500000,due_date=2026-06-30
echo "mbus 6" > $B/new_meter
m=$(meter_at 6)
d=/dev/$(basename "$m")
check mbus2/current-not-due 6000000 "$(cat "$m/energy" 2>&1)"
out=$(hmcdev storage "$d" 1)
check mbus2/storage1-energy 5000000 "$(echo "$out" | tr ' ' '\n' | sed -n 's/^energy=//p')"
check mbus2/storage1-volume 500000 "$(echo "$out" | tr ' ' '\n' | sed -n 's/^volume=//p')"
check mbus2/storage1-date 2026-06-30 "$(echo "$out" | tr ' ' '\n' | sed -n 's/^date=//p')"
check mbus2/storage1-flag 0x40 "$(printf '0x%x' $(( $(echo "$out" | tr ' ' '\n' | sed -n 's/^flags=//p') & 0x40 )))"
out=$(hmcdev storage "$d" 2)
check mbus2/storage2-empty valid=0x0 "$(echo "$out" | tr ' ' '\n' | grep '^valid=')"
check mbus2/storage0-invalid storage=EINVAL "$(hmcdev storage "$d" 0)"
hmcdev sync --trigger --in 20 "$d" > /dev/null
usleep 300000
check mbus2/freeze-sent yes "$(grep -q ' freeze ' /tmp/hmsim-due.log && echo yes)"
out=$(hmcdev storage "$d" 1)
check mbus2/freeze-read-back 6000000 "$(echo "$out" | tr ' ' '\n' | sed -n 's/^energy=//p')"
check mbus2/freeze-current-unchanged 6000000 "$(cat "$m/energy" 2>&1)"
stop_sim

if lvl core; then
# baud switching: E5 at the old rate, then the new one; fallback
start_sim /tmp/hmsim-baud.log \
	--meter profile=mbus,primary=7,id=40000007,energy=7000000,baud_watchdog_s=3 \
	--meter profile=mbus,primary=8,id=40000008,energy=8000000,baud_switch=ignore \
	--meter profile=mbus,primary=11,id=40000011,energy=11000000
for a in 7 8 11; do echo "mbus $a" > $B/new_meter; done
m7=$(meter_at 7) m8=$(meter_at 8) m11=$(meter_at 11)
for m in $m7 $m8 $m11; do echo 0 > "$m/max_age_ms"; done
check mbus2/baud-initial 2400 "$(cat "$m7/baudrate")"
check mbus2/baud-switch ok "$( (echo 9600 > "$m7/baudrate") 2>&1 && echo ok)"
check mbus2/baud-switched 9600 "$(cat "$m7/baudrate")"
check mbus2/baud-ack-old-rate yes "$(grep -q 'baud_switch who=m0 from=2400 to=9600 result=ok' /tmp/hmsim-baud.log && echo yes)"
check mbus2/baud-read-new 7000000 "$(cat "$m7/energy" 2>&1)"
check mbus2/baud-others-line-rate 11000000 "$(cat "$m11/energy" 2>&1)"
check mbus2/baud-line-back 2400 "$(cat $B/baud)"
check mbus2/baud-unsupported "Connection timed out" "$( (echo 19200 > "$m11/baudrate") 2>&1 | sed 's/.*: //')"
check mbus2/baud-bad-rate "Invalid argument" "$( (echo 1234 > "$m11/baudrate") 2>&1 | sed 's/.*: //')"
check mbus2/baud-ignored-falls-back "Input/output error" "$( (echo 9600 > "$m8/baudrate") 2>&1 | sed 's/.*: //')"
check mbus2/baud-ignored-stays 2400 "$(cat "$m8/baudrate")"
check mbus2/baud-ignored-reads 8000000 "$(cat "$m8/energy" 2>&1)"
# the meter's watchdog reverts it when nothing comes at the new rate for 3 s
sleep 4
first=$(errno_of "$m7/energy")
check mbus2/baud-watchdog-fallback 7000000 "$(cat "$m7/energy" 2>&1)"
echo "# mbus2: after the meter's watchdog: first read '$first', then at the line's rate"
stop_sim
fi

if lvl core; then
# a meter 1.2 s late: its reply never poisons the next transaction; the
# bus learns its latency and widens its window
start_sim /tmp/hmsim-late.log \
	--meter profile=mbus,primary=9,id=40000009,energy=9000000,latency=1200 \
	--meter profile=mbus,primary=10,id=40000010,energy=10000000
echo "mbus 9" > $B/new_meter
echo "mbus 10" > $B/new_meter
m9=$(meter_at 9) m10=$(meter_at 10)
echo 0 > "$m9/max_age_ms"; echo 0 > "$m10/max_age_ms"
cat "$m10/energy" > /dev/null 2>&1	# the link reset of both, out of the way
first=$(errno_of "$m9/energy")
check mbus2/late-other-meter 10000000 "$(cat "$m10/energy" 2>&1)"
sleep 2
check mbus2/late-counted yes "$([ "$(bstat $B late_replies)" -ge 1 ] && echo yes)"
check mbus2/late-then-read 9000000 "$(cat "$m9/energy" 2>&1)"
echo "# mbus2: late meter: first read '$first', late replies $(bstat $B late_replies), then read"
check mbus2/late-others-still 10000000 "$(cat "$m10/energy" 2>&1)"
stop_sim
fi

if lvl core; then
# a meter slow on its first exchanges (a loaded system, a waking meter),
# fast afterwards, never late: its fast replies are not taken for stale
# ones (a slow first read once set a minimum latency that discarded them)
start_sim /tmp/hmsim-slowfirst.log --slow-ms 150 \
	--meter profile=mbus,primary=12,id=40000012,energy=12000000,fault=slow:1,fault=slow:2
echo "mbus 12" > $B/new_meter
m12=$(meter_at 12)
echo 0 > "$m12/max_age_ms"
check mbus2/slow-first-read 12000000 "$(cat "$m12/energy" 2>&1)"
check mbus2/slow-first-then-fast 12000000 "$(cat "$m12/energy" 2>&1)"
check mbus2/slow-first-then-fast-again 12000000 "$(cat "$m12/energy" 2>&1)"
check mbus2/slow-first-not-late 0 "$(bstat $B late_replies)"
check mbus2/slow-first-no-timeout 0 "$(bstat $B timeouts)"
echo "# mbus2: slow first: $(grep -c 'kind=slow' /tmp/hmsim-slowfirst.log) slow replies"
stop_sim
fi

if lvl core; then
# a valid reply of an address nobody answers to, as the wired AND of
# meters answering in step can be (a meter at 33330001 replying with
# 33330002): never a meter, a collision that is split further
start_sim /tmp/hmsim-phantom.log \
	--meter profile=mbus,id=33330001,manufacturer=KAM,version=1,medium=4,reply_hex=68151568080072020033332D2C0104000000000C06785634126616
echo mbus-secondary > $B/scan
st=$(wait_scan 120)
echo "# mbus2: phantom address: $st"
check mbus2/phantom-not-a-meter "done: found 0" "$(echo "$st" | cut -d, -f1)"
check mbus2/phantom-a-collision yes "$(echo "$st" | grep -q 'collisions [1-9]' && echo yes)"
check mbus2/phantom-no-device 0 "$(ls -d /sys/class/heatmeter/heatmeter* 2>/dev/null | wc -l)"
stop_sim
fi

if lvl core; then
# line glitches (a stray FC/FD/FE/00/A5 after requests): never a meter
start_sim /tmp/hmsim-glitch.log --fault glitch \
	--meter profile=mbus,primary=3,id=40000003,energy=3000000
echo "mbus-primary 1-6" > $B/scan
st=$(wait_scan 60)
check mbus2/glitch-scan "done: found 1, collisions 0" "$st"
check mbus2/glitch-counted yes "$([ "$(bstat $B glitches)" -ge 1 ] && echo yes)"
check mbus2/glitch-only-real 1 "$(ls -d /sys/class/heatmeter/heatmeter* | wc -l)"
stop_sim
fi

if lvl full; then
# primary scan at the window minimum: 0-30 with meters at 1, 5, 9
start_sim /tmp/hmsim-pscan.log \
	--meter profile=mbus,primary=1,id=50000001 \
	--meter profile=mbus,primary=5,id=50000005 \
	--meter profile=mbus,primary=9,id=50000009
check mbus2/window-2400 188 "$(cat $B/response_timeout_ms)"
t0=$(cut -d' ' -f1 /proc/uptime)
echo "mbus-primary 0-30" > $B/scan
st=$(wait_scan 60)
t1=$(cut -d' ' -f1 /proc/uptime)
check mbus2/primary-scan "done: found 3, collisions 0" "$st"
# an empty range costs the EN window per address, nothing more (on a pty
# the request takes no wire time: the window is the minimum)
win=$(cat $B/response_timeout_ms)
t0=$(cut -d' ' -f1 /proc/uptime)
echo "mbus-primary 100-130" > $B/scan
st=$(wait_scan 60)
t1=$(cut -d' ' -f1 /proc/uptime)
check mbus2/primary-scan-empty "done: found 0, collisions 0" "$st"
awk -v t="$(awk "BEGIN { print $t1 - $t0 }")" 'BEGIN {
	min = 31 * (330 / 2400 + 0.050)
	printf "# timing: primary scan 100-130 (empty, pty): %.2f s, window minimum %.2f s, ratio %.3f\n", t, min, t / min }'
stop_sim

fi
