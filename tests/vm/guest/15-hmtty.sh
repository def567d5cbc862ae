# SPDX-License-Identifier: GPL-2.0
# The test-only tty driver hmtty by itself, with N_TTY (no heatmeter): bytes
# injected through debugfs rx arrive with their error flags, bytes written
# to the tty show in debugfs tx, termios is recorded, hangup ends a reader,
# and the module unloads. Leaves hmtty unloaded and heatmeter untouched.
. /tests/lib.sh
TTY=/dev/ttyHMT0
D=/sys/kernel/debug/hmtty/ttyHMT0
IN=/tmp/hmtty.in

# hex of a file's bytes, "41 42 43"
hexof() { hexdump -v -e '1/1 "%02x "' "$1" 2>/dev/null | sed 's/ $//'; }
# wait_size FILE BYTES [tenths]: wait until FILE holds at least BYTES bytes
wait_size() {
	n=${3:-50}
	while [ "$(wc -c < "$1" 2>/dev/null || echo 0)" -lt "$2" ] && [ "$n" -gt 0 ]; do
		usleep 100000; n=$((n - 1))
	done
}
# rmmod_retry MOD: the last tty reference is dropped from a work item
rmmod_retry() {
	n=30
	until rmmod "$1" 2>/tmp/rmmod.err; do
		n=$((n - 1)); [ $n -gt 0 ] || return 1; usleep 100000
	done
}

if insmod /lib/modules/hmtty.ko 2>/tmp/insmod.err; then
	ok hmtty/insmod
else
	nok hmtty/insmod "$(cat /tmp/insmod.err)"
	exit 0
fi
check hmtty/devices yes "$([ -c $TTY ] && [ -c /dev/ttyHMT1 ] && [ ! -e /dev/ttyHMT2 ] && echo yes)"
check hmtty/debugfs yes "$(cd $D 2>/dev/null && [ -f tx ] && [ -f tx_count ] && [ -f rx ] && [ -f termios ] && [ -f hangup ] && echo yes)"
check hmtty/rx-closed-eio refused "$(echo 41 > $D/rx 2>/dev/null && echo accepted || echo refused)"
check hmtty/termios-initial "baud 9600 cs8 -parenb" "$(cut -d' ' -f1-4 $D/termios)"

# a raw reader; parity errors marked as \377 \0 byte (parmrk, -ignpar)
stty -F $TTY raw -echo 2400 cs8 parenb -parodd inpck -ignpar parmrk -istrip -ignbrk -brkint
: > $IN
cat $TTY >> $IN &
cat_pid=$!
n=50
while [ "$(readlink /proc/$cat_pid/fd/3 2>/dev/null)" != $TTY ] && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
check hmtty/reader-open $TTY "$(readlink /proc/$cat_pid/fd/3 2>/dev/null)"
check hmtty/termios-stty "baud 2400 cs8 parenb -parodd -cmspar -cstopb cread clocal -crtscts inpck -ignpar parmrk -istrip -ignbrk -brkint" "$(cat $D/termios)"

echo "41 42 43" > $D/rx
wait_size $IN 3
check hmtty/rx-plain "41 42 43" "$(hexof $IN)"

: > $IN
echo "44 55:p 46 47:f 00:b 48" > $D/rx
wait_size $IN 12
check hmtty/rx-flags "44 ff 00 55 46 ff 00 47 ff 00 00 48" "$(hexof $IN)"

: > $IN
echo "ff" > $D/rx
wait_size $IN 2
check hmtty/rx-ff-escaped "ff ff" "$(hexof $IN)"
check hmtty/rx-count 10 "$(cat $D/rx_count)"

bad=
for s in "zz" "123" "41:q" "41:" "41:pp" "4 g"; do
	echo "$s" > $D/rx 2>/dev/null && bad="$bad '$s'"
done
check hmtty/rx-malformed-rejected "" "$bad"

cat $D/tx > /dev/null
printf 'AB' > $TTY
check hmtty/tx "41 42" "$(cat $D/tx)"
check hmtty/tx-consumed "" "$(cat $D/tx)"
check hmtty/tx-count 2 "$(cat $D/tx_count)"
check hmtty/tx-dropped 0 "$(cat $D/tx_dropped)"
# tx holds 64 KiB; the rest is dropped and counted
head -c 70000 /dev/zero > $TTY
check hmtty/tx-overflow "65536 4464 70002" "$(cat $D/tx | wc -w) $(cat $D/tx_dropped) $(cat $D/tx_count)"

stty -F $TTY 9600 -parenb
check hmtty/termios-change "baud 9600 cs8 -parenb" "$(cut -d' ' -f1-4 $D/termios)"

check hmtty/rmmod-busy-refused yes "$(rmmod hmtty 2>/dev/null || echo yes)"

echo 1 > $D/hangup
n=50
while kill -0 $cat_pid 2>/dev/null && [ $n -gt 0 ]; do usleep 100000; n=$((n - 1)); done
check hmtty/hangup-ends-reader yes "$(kill -0 $cat_pid 2>/dev/null || echo yes)"
kill $cat_pid 2>/dev/null
wait $cat_pid 2>/dev/null
check hmtty/rx-after-hangup-eio refused "$(echo 41 > $D/rx 2>/dev/null && echo accepted || echo refused)"

# rx injection racing open, close and hangup (the kernel log is the check)
rm -f /tmp/hmtty.stop
(while [ ! -e /tmp/hmtty.stop ]; do echo "55:p aa:f 00:b 41" > $D/rx 2>/dev/null; done) &
inj_pid=$!
i=0
while [ $i -lt 20 ]; do
	cat $TTY > /dev/null &
	c=$!
	usleep 20000
	echo 1 > $D/hangup
	usleep 20000
	kill $c 2>/dev/null
	wait $c 2>/dev/null
	i=$((i + 1))
done
touch /tmp/hmtty.stop
wait $inj_pid
check hmtty/rx-hangup-race yes "$([ "$(cat $D/rx_count)" -gt 10 ] && echo yes)"

if rmmod_retry hmtty; then ok hmtty/rmmod; else nok hmtty/rmmod "$(cat /tmp/rmmod.err)"; fi
check hmtty/rmmod-clean yes "$([ ! -e $TTY ] && [ ! -e /sys/kernel/debug/hmtty ] && echo yes)"

# count=3, and a reload after unload
insmod /lib/modules/hmtty.ko count=3 2>/tmp/insmod.err
check hmtty/count-param yes "$([ -c /dev/ttyHMT2 ] && [ ! -e /dev/ttyHMT3 ] && [ -d /sys/kernel/debug/hmtty/ttyHMT2 ] && echo yes)"
if rmmod_retry hmtty; then ok hmtty/rmmod-again; else nok hmtty/rmmod-again "$(cat /tmp/rmmod.err)"; fi
