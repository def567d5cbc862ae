# SPDX-License-Identifier: GPL-2.0
# Parity, framing and break errors through the real flip-buffer path: the
# test-only tty driver hmtty (/dev/ttyHMT0) delivers the bytes written to
# its debugfs rx with TTY_PARITY / TTY_FRAME / TTY_BREAK flags, and shows
# what the discipline transmits in debugfs tx. The test plays the meter.
. /tests/lib.sh
. /tests/hm.sh
D=/sys/kernel/debug/hmtty/ttyHMT0

if ! insmod /lib/modules/hmtty.ko 2>/tmp/insmod.err; then
	nok parity/hmtty "$(cat /tmp/insmod.err)"
	exit 0
fi
ldattach "$LDISC" /dev/ttyHMT0
wait_for /sys/class/heatmeter_bus/hmbus0 || nok parity/attach "no bus"
B=$(bus_dir)
# the discipline's termios: 2400 8E1 with input parity checking, flags
# (no marks, errors not ignored)
t=$(cat $D/termios)
check parity/termios "baud 2400 cs8 parenb -parodd" "$(echo "$t" | cut -d' ' -f1-5)"
check parity/termios-inpck "inpck -ignpar -parmrk" "$(echo "$t" | grep -o 'inpck -ignpar -parmrk')"

echo 0 > "$B/retries"
echo "cjt188 00000987654321" > "$B/new_meter"
m=$(meter_at 00000987654321)
# the reply of the standard meter, from the vectors, as hex words
REPLY=$(awk '/^name: /{on = ($2 == "cjt188-standard-heat-reply"); next}
	on && /^hex:/ {sub(/^hex:/, ""); h = 1}
	on && h && /^[a-z_]+:/ && !/^hex:/ {h = 0}
	on && h {printf "%s ", $0}' "$V" | tr -s ' ')
# flag WORD-INDEX FLAG: the reply with one byte flagged
flag() { echo "$REPLY" | awk -v i="$1" -v f="$2" '{ $i = $i ":" f; print }'; }

# read_with RX: read energy while the test answers the request with RX.
# The cache expires for this read only: busybox cat retries a failed
# sendfile() with read(), a second show() that must not read again.
read_with() {
	cat $D/tx > /dev/null
	rm -f /tmp/pr.out
	echo 0 > "$m/max_age_ms"
	(cat "$m/energy" > /tmp/pr.out 2>&1; echo "rc=$?" >> /tmp/pr.out) &
	n=100
	while [ -z "$(cat $D/tx)" ] && [ $n -gt 0 ]; do usleep 20000; n=$((n - 1)); done
	echo 60000 > "$m/max_age_ms"
	echo "$1" > $D/rx
	wait
	head -n1 /tmp/pr.out | sed 's/^cat: read error: //'
}
s0() { p0=$(bstat "$B" parity_errors); f0=$(bstat "$B" framing_errors); b0=$(bstat "$B" breaks); c0=$(bstat "$B" checksum_errors); }
deltas() { echo "$(( $(bstat "$B" parity_errors) - p0 )) $(( $(bstat "$B" framing_errors) - f0 )) $(( $(bstat "$B" breaks) - b0 )) $(( $(bstat "$B" checksum_errors) - c0 ))"; }

s0
check parity/clean-reply 2345670000 "$(read_with "$REPLY")"
check parity/clean-counters "0 0 0 0" "$(deltas)"
s0
check parity/parity-error "Input/output error" "$(read_with "$(flag 20 p)")"
check parity/parity-counted "1 0 0 0" "$(deltas)"
s0
check parity/framing-error "Input/output error" "$(read_with "$(flag 30 f)")"
check parity/framing-counted "0 1 0 0" "$(deltas)"
s0
check parity/break "Input/output error" "$(read_with "$(flag 40 b)")"
check parity/break-counted "0 0 1 0" "$(deltas)"
# a parity error in the preamble, outside the frame: counted, frame good
s0
check parity/preamble-parity-frame-good 2345670000 "$(read_with "$(flag 1 p)")"
check parity/preamble-parity-counted "1 0 0 0" "$(deltas)"

# a real driver hangup (as an unplugged adapter) with 8 readers asleep
echo 20000 > "$B/response_timeout_ms"
echo 0 > "$m/max_age_ms"
i=0
while [ $i -lt 8 ]; do
	(cat "$m/volume" > /tmp/hreader.$i 2>&1; echo "rc=$?" >> /tmp/hreader.$i) &
	i=$((i + 1))
done
n=100
while [ -z "$(cat $D/tx)" ] && [ $n -gt 0 ]; do usleep 20000; n=$((n - 1)); done
usleep 200000
echo 1 > $D/hangup
wait_gone "$B" 100
check parity/hangup-removes-bus gone "$([ -e "$B" ] || echo gone)"
n=100
while [ "$(cat /tmp/hreader.* | grep -c '^rc=')" -lt 8 ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
check parity/hangup-eight-readers-enodev 8 "$(cat /tmp/hreader.* | grep -c 'No such device')"
rm -f /tmp/hreader.*
killall -q ldattach
wait 2>/dev/null
n=30
until rmmod hmtty 2>/dev/null; do n=$((n - 1)); [ $n -gt 0 ] || break; usleep 100000; done
check parity/hmtty-unloaded gone "$([ -e /dev/ttyHMT0 ] || echo gone)"
