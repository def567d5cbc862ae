# SPDX-License-Identifier: GPL-2.0
# Permissions of every ioctl (read-only fd, write-only fd, read-write fd,
# with and without CAP_SYS_ADMIN) and 20000 random ioctls: errors, never a
# splat (the guest log is scanned), and the meter still reads afterwards.
. /tests/lib.sh
. /tests/hm.sh
BUS=/sys/class/heatmeter_bus/hmbus0

rm -f /dev/ttyHM0
hmsim --pty --pty-link /dev/ttyHM0 --no-pace --latency 2 \
	--meter profile=cjt188,address=00000000000074,energy=7400000 \
	> /tmp/hmsim-74.out 2>&1 &
sim=$!
wait_for /dev/ttyHM0 50
ldattach "$LDISC" /dev/ttyHM0
wait_for $BUS
echo "cjt188 00000000000074" > $BUS/new_meter
dev=/dev/$(basename "$(meter_at 00000000000074)")
wait_for "$dev" 20

# arguments that are invalid for every state-changing call: each reaches
# the argument check only if the permission check let it through
check perm/read-only-fd \
	"get_info=ok read=ok test_mode=EBADF start=EBADF stop=EBADF sync=EBADF simulated_flow=EBADF raw=EBADF" \
	"$(hmcdev perm "$dev" r)"
check perm/write-only-fd \
	"get_info=EBADF read=EBADF test_mode=EINVAL start=EINVAL stop=EINVAL sync=EINVAL simulated_flow=EINVAL raw=EINVAL" \
	"$(hmcdev perm "$dev" w)"
check perm/read-write-fd \
	"get_info=ok read=ok test_mode=EINVAL start=EINVAL stop=EINVAL sync=EINVAL simulated_flow=EINVAL raw=EINVAL" \
	"$(hmcdev perm "$dev" rw)"
# without CAP_SYS_ADMIN: a user the node was opened up to
chmod 0666 "$dev"
check perm/no-cap-sys-admin \
	"get_info=ok read=ok test_mode=EINVAL start=EINVAL stop=EINVAL sync=EINVAL simulated_flow=EINVAL raw=EPERM" \
	"$(hmcdev --uid 1000 perm "$dev" rw 2>&1)"
check perm/no-cap-raw-valid raw=EPERM \
	"$(hmcdev --uid 1000 raw "$dev" 01 1F9000 2>&1)"
chmod 0600 "$dev"
check perm/unknown-ioctl-enotty yes "$(hmcdev fuzz "$dev" 200 7 | grep -q 'ENOTTY=[1-9]' && echo yes)"

out=$(hmcdev fuzz "$dev" 20000 12345)
echo "# fuzz: $out"
check perm/fuzz-ran 20000 "$(echo "$out" | tr ' ' '\n' | grep '^fuzz=' | cut -d= -f2)"
check perm/fuzz-then-read energy=7400000 \
	"$(hmcdev read "$dev" | tr ' ' '\n' | grep '^energy=')"

kill $sim
wait $sim 2>/dev/null
wait_gone $BUS 100
