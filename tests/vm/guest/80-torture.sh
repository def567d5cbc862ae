# SPDX-License-Identifier: GPL-2.0
# Torture: for a bounded time (kernel parameter hmtorture=SECONDS, default
# 40; `make torture` runs 600 on the debug kernel), everything a user can
# do races every teardown, on three buses at once:
#   cat of every attribute, read()/poll() streams, every ioctl (valid and
#   random, READ_STORAGE), baud-rate switches, new_meter/delete_meter (by
#   primary and secondary address, multi-telegram meters), scans (primary,
#   secondary, stopped), pty hangup and re-attach, detach (ldisc back to
#   N_TTY), rmmod attempts.
# The hung-task detector runs with a short timeout. Afterwards the host
# scans the log for any KASAN/lockdep/UBSAN/hung-task report, kmemleak is
# checked, and a fresh bus must still read correct values. Prints how
# many operations of each kind ran.
. /tests/lib.sh
. /tests/hm.sh

SECS=$(sed -n 's/.*hmtorture=\([0-9]*\).*/\1/p' /proc/cmdline)
SECS=${SECS:-40}
[ -w /proc/sys/kernel/hung_task_timeout_secs ] &&
	echo 10 > /proc/sys/kernel/hung_task_timeout_secs
T=/tmp/torture
rm -rf $T && mkdir -p $T
END=$(( $(cut -d. -f1 /proc/uptime) + SECS ))
alive() { [ "$(cut -d. -f1 /proc/uptime)" -lt "$END" ]; }
count() { echo x >> "$T/$1"; }

# line N: a simulator on a pty (/dev/ttyTORN), attached; restarted and
# re-attached when a racer hangs it up or detaches it
line() {
	L=$1	# (not n: lib.sh's wait_for uses n)
	while alive; do
		rm -f /dev/ttyTOR$L
		hmsim --pty --pty-link /dev/ttyTOR$L --no-pace --latency 2 \
			--meter profile=cjt188,address=0000000000010$L,energy=10${L}000 \
			--meter profile=cjt188,address=0000000000020$L,energy=20${L}000 \
			--meter profile=tiangang-mbus,primary=$((L + 1)),id=2100000$L,manufacturer=PLO \
			--meter profile=mbus,primary=$((L + 10)),id=3100000$L,telegrams=3,energy=31${L}000 \
			> /dev/null 2>&1 &
		sim=$!
		wait_for /dev/ttyTOR$L 30
		# -d: in the foreground (ldattach daemonizes by default), so that
		# $ld is the process that holds the line
		ldattach -d "$LDISC" /dev/ttyTOR$L > /dev/null 2>&1 &
		ld=$!
		usleep 300000
		# ldattach stays only if it attached (not while rmmod raced it)
		if kill -0 $ld 2>/dev/null; then count attach; else count attach-refused; fi
		# the line lives a random while, then one of the teardowns
		usleep $(( (RANDOM % 30 + 5) * 100000 ))
		# (ldattach itself never notices a hangup: it goes last)
		case $((RANDOM % 4)) in
		3) kill $ld 2>/dev/null; wait $ld 2>/dev/null	# TIOCSETD N_TTY
		   hmcdev ldswitch /dev/ttyTOR$L $(( RANDOM % 1000 )) > /dev/null 2>&1
		   count ldisc-switch ;;
		0) kill $sim 2>/dev/null; count hangup ;;	# pty master gone
		1) kill $ld 2>/dev/null; count detach ;;	# back to N_TTY
		2) kill $ld $sim 2>/dev/null; count hangup-detach ;;
		esac
		usleep 200000
		kill $sim $ld 2>/dev/null
		wait $sim $ld 2>/dev/null
	done
}

# meters come and go on whatever buses exist
meters() {
	while alive; do
		for b in /sys/class/heatmeter_bus/hmbus*; do
			[ -e "$b/new_meter" ] || continue
			for a in 00000000000101 00000000000102 00000000000201 00000000000202; do
				{ echo "cjt188 $a" > "$b/new_meter"; } 2>/dev/null && count new_meter
			done
			{ echo "mbus 2" > "$b/new_meter"; } 2>/dev/null && count new_meter
			{ echo "mbus 1$((RANDOM % 3 + 1))" > "$b/new_meter"; } 2>/dev/null && count new_meter
			{ echo "mbus-secondary 3100000$((RANDOM % 3 + 1))" > "$b/new_meter"; } 2>/dev/null &&
				count new_meter-secondary
			usleep 200000
			case $((RANDOM % 3)) in
			0) { echo "cjt188 00000000000101" > "$b/delete_meter"; } 2>/dev/null &&
				count delete_meter ;;
			1) { echo "mbus 2" > "$b/delete_meter"; } 2>/dev/null && count delete_meter ;;
			2) { echo "mbus-secondary 3100000$((RANDOM % 3 + 1))" > "$b/delete_meter"; } 2>/dev/null &&
				count delete_meter ;;
			esac
		done
		usleep 100000
	done
}

# cat of every attribute of every meter and bus
cats() {
	while alive; do
		for f in /sys/class/heatmeter/heatmeter*/* /sys/class/heatmeter/heatmeter*/stats/* \
			 /sys/class/heatmeter_bus/hmbus*/* /sys/class/heatmeter_bus/hmbus*/stats/*; do
			[ -f "$f" ] && [ -r "$f" ] || continue
			case "$f" in */uevent|*/new_meter|*/delete_meter|*/scan) continue ;; esac
			cat "$f" > /dev/null 2>&1
			count cat
		done
		for f in /sys/class/heatmeter/heatmeter*/max_age_ms; do
			[ -e "$f" ] && { echo $((RANDOM % 2 * 1000)) > "$f"; } 2>/dev/null
		done
	done
}

# read()/poll() streams on the char devices
streams() {
	while alive; do
		for d in /dev/heatmeter*; do
			[ -c "$d" ] || continue
			timeout 30 hmcdev stream "$d" 2 300 > /dev/null 2>&1
			count read-poll
		done
		usleep 50000
	done
}

# every ioctl, valid and random
ioctls() {
	seed=$1
	while alive; do
		for d in /dev/heatmeter*; do
			[ -c "$d" ] || continue
			case $((RANDOM % 9)) in
			0) timeout 30 hmcdev read "$d" > /dev/null 2>&1; count ioctl-read ;;
			1) timeout 30 hmcdev info "$d" > /dev/null 2>&1; count ioctl-info ;;
			2) timeout 30 hmcdev sync --in 40 "$d" > /dev/null 2>&1; count ioctl-sync ;;
			3) timeout 30 hmcdev startstop --wait 20 "$d" > /dev/null 2>&1; count ioctl-startstop ;;
			4) timeout 30 hmcdev bsync "$d" 300 > /dev/null 2>&1; count ioctl-sync-blocking ;;
			5) timeout 30 hmcdev raw "$d" 01 1F9000 > /dev/null 2>&1; count ioctl-raw ;;
			6) timeout 30 hmcdev fuzz "$d" 50 $seed > /dev/null 2>&1; count ioctl-fuzz50
			   seed=$((seed + 1)) ;;
			7) timeout 30 hmcdev storage "$d" 1 > /dev/null 2>&1; count ioctl-storage ;;
			8) f=/sys/class/heatmeter/$(basename "$d")/baudrate
			   { echo $(( RANDOM % 2 ? 9600 : 2400 )) > "$f"; } 2>/dev/null
			   count baudrate ;;
			esac
		done
		usleep 20000
	done
}

# scans, and rmmod attempts (refused while lines are attached)
scans() {
	while alive; do
		for b in /sys/class/heatmeter_bus/hmbus*; do
			[ -e "$b/scan" ] || continue
			case $((RANDOM % 3)) in
			0) { echo "mbus-primary 0-4" > "$b/scan"; } 2>/dev/null && count scan ;;
			1) { echo "cjt188 00000000000201" > "$b/scan"; } 2>/dev/null && count scan ;;
			2) { echo "mbus-secondary 3100000F" > "$b/scan"; } 2>/dev/null &&
				count scan-secondary ;;
			esac
			[ $((RANDOM % 4)) = 0 ] && { echo stop > "$b/scan"; } 2>/dev/null && count scan-stop
		done
		# rarely: a module that is gone half the time attaches nothing
		if [ $((RANDOM % 10)) -eq 0 ]; then
			rmmod heatmeter 2>/dev/null && { count rmmod; insmod /lib/modules/heatmeter.ko; }
			count rmmod-attempt
		fi
		usleep 300000
	done
}

for n in 1 2 3; do line $n & done
meters &
cats &
streams &
ioctls 1 &
ioctls 1000 &
scans &
wait
echo "# torture: ${SECS} s: $(for f in $T/*; do
	printf '%s=%s ' "$(basename "$f")" "$(wc -l < "$f")"; done)"
killall -q hmsim ldattach hmcdev
usleep 500000
n=100
while ls -d /sys/class/heatmeter_bus/hmbus* > /dev/null 2>&1 && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
check torture/all-buses-gone "" "$(ls -d /sys/class/heatmeter_bus/hmbus* 2>/dev/null)"
check torture/no-meters-left "" "$(ls -d /sys/class/heatmeter/heatmeter* 2>/dev/null)"
# every kind of operation ran at least once
missing=""
for k in attach cat read-poll ioctl-read ioctl-sync ioctl-fuzz50 ioctl-storage baudrate \
	 new_meter new_meter-secondary delete_meter scan scan-secondary; do
	[ -s "$T/$k" ] || missing="$missing $k"
done
check torture/exercised "" "${missing# }"

# the driver still reads correct values
lsmod | grep -q '^heatmeter ' || insmod /lib/modules/heatmeter.ko
rm -f /dev/ttyTOR0
hmsim --pty --pty-link /dev/ttyTOR0 --no-pace --latency 2 \
	--meter profile=cjt188,address=00000000000801,energy=8010000 > /dev/null 2>&1 &
sim=$!
wait_for /dev/ttyTOR0 30
ldattach "$LDISC" /dev/ttyTOR0
B=$(wait_for /sys/class/heatmeter_bus/hmbus0 50 && bus_dir)
[ -n "$B" ] || B=$(bus_dir)
echo "cjt188 00000000000801" > "$B/new_meter"
check torture/reads-after 8010000 "$(cat "$(meter_at 00000000000801)/energy" 2>&1)"
check torture/rmmod-refused-while-attached refused "$(rmmod heatmeter 2>/dev/null && echo removed || echo refused)"
kill $sim
wait $sim 2>/dev/null
killall -q ldattach
n=100
while ls -d /sys/class/heatmeter_bus/hmbus* > /dev/null 2>&1 && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
n=30
until rmmod heatmeter 2>/dev/null; do n=$((n - 1)); [ $n -gt 0 ] || break; usleep 100000; done
check torture/rmmod-after lsmod-clean "$(lsmod | grep -q '^heatmeter ' && echo loaded || echo lsmod-clean)"
insmod /lib/modules/heatmeter.ko
