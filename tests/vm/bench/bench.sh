# SPDX-License-Identifier: GPL-2.0
# make bench, the guest's part (tests/vm/run --bench): each figure as
#   bench: NAME: VALUE UNIT (limit L, ratio R)
# measured side by side in this one run. Lines starting "bench: #" are
# details. Parts (hmbench=read,poll,sync,many,mbus; default all).
# ttyS1: 250 M-Bus meters, ttyS2: one CJ/T 188 meter, both paced
# simulators on the host at 2400 Bd 8E1 with 20 ms latency (bench/peers).
# ttyS4..ttyS7 (SYNC): the 4 ports of a PCI 16550 x4, a CJ/T 188 meter each.
. /tests/lib.sh

BAUD=2400
LAT_US=20000
BYTE_US=$((11 * 1000000 / BAUD))	# 4583 us
# M-Bus: the line is idle >= 33 bit times between frames (FT 1.2)
MBUS_IDLE_US=$((33 * 1000000 / BAUD))

note() { echo "bench: # $*"; }
# want PART: the part is to run (kernel cmdline hmbench=all or PART,...)
ONLY=$(sed -n 's/.*hmbench=\([a-z,]*\).*/\1/p' /proc/cmdline)
want() { case ",${ONLY:-all}," in *,all,*|*",$1,"*) return 0 ;; esac; return 1; }
# fig NAME VALUE UNIT LIMIT [TEXT]: one figure next to its limit
fig() {
	awk -v n="$1" -v v="$2" -v u="$3" -v l="$4" -v t="${5:-}" 'BEGIN {
		r = "-"
		if (l + 0 > 0)
			r = sprintf("%.3f", v / l)
		if (t != "")
			t = " " t
		printf "bench: %s: %s %s (limit %s %s%s, ratio %s)\n", n, v, u, l, u, t, r }'
}
# pct FILE P: P-th percentile of the sorted numbers in FILE
pct() {
	n=$(wc -l < "$1")
	i=$(( (n * $2 + 99) / 100 ))
	[ "$i" -lt 1 ] && i=1
	sed -n "${i}p" "$1"
}
# kmem: Slab + VmallocUsed in kB, after dropping the reclaimable caches,
# a grace period for what is freed after RCU (kernfs nodes), and giving
# the slab caches' empty slabs back (else a delete shows as no change and
# a create after a delete reuses them: neither is the meters' own cost)
kmem() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	sleep 1
	for c in /sys/kernel/slab/*/shrink; do echo 1 > "$c"; done 2>/dev/null
	awk '/^Slab:|^VmallocUsed:/ { s += $2 } END { print s }' /proc/meminfo
}
# memused: MemTotal - MemFree in kB (also pages a large kmalloc or kvmalloc
# takes straight from the page allocator, which Slab does not count)
memused() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	awk '/^MemTotal:/ { t = $2 } /^MemFree:/ { f = $2 } END { print t - f }' /proc/meminfo
}
slabs() { awk 'NR > 2 { print $1, $3 * $4 }' /proc/slabinfo | sort > "$1"; }
# slabdiff A B N: the caches that grew most, in bytes per N
slabdiff() {
	awk -v n="$3" 'FNR == NR { a[$1] = $2; next } { d = $2 - a[$1]; if (d > 0) print d / n, $1 }' "$1" "$2" |
		sort -rn | head -n 8 | awk '{ printf "%s %.0f B, ", $2, $1 }'
}
bus_of_tty() {
	k=50
	while [ $k -gt 0 ]; do
		for b in /sys/class/heatmeter_bus/hmbus*; do
			[ "$(cat "$b/tty" 2>/dev/null)" = "$1" ] && { echo "$b"; return; }
		done
		usleep 100000
		k=$((k - 1))
	done
}
meter_dev() {
	for d in /sys/class/heatmeter/heatmeter*; do
		[ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && [ "$(readlink -f "$d/bus" 2>/dev/null)" = "$(readlink -f "$2")" ] &&
			{ basename "$d"; return 0; }
	done
	for d in /sys/class/heatmeter/heatmeter*; do
		[ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && { basename "$d"; return 0; }
	done
}

insmod /lib/modules/heatmeter.ko
insmod /lib/modules/hmbench.ko
T0=$(cut -d' ' -f1 /proc/uptime)
ldattach "$LDISC" /dev/ttyS1
ldattach "$LDISC" /dev/ttyS2
BM=$(bus_of_tty ttyS1)
BC=$(bus_of_tty ttyS2)
[ -n "$BM" ] && [ -n "$BC" ] || { echo "bench: # no bus on ttyS1/ttyS2"; exit 1; }

# 1. Read: one read, queued -> delivered to a sleeping reader, over the
# exchange's wire minimum; the driver's share: queued -> tx_start (idle
# bus) + rx_last -> delivered
read_fig() {	# NAME BUS METERSPEC ADDRESS
	echo "$3" > "$2/new_meter"
	m=$(meter_dev "$4" "$2")
	echo 0 > /sys/class/heatmeter/$m/max_age_ms
	hmbench readlat /dev/$m 1 100 > /dev/null	# warm up
	tx0=$(cat "$2/stats/tx_bytes"); rx0=$(cat "$2/stats/rx_bytes")
	hmbench readlat /dev/$m 20 100 > /tmp/rl.$1
	tx=$(( $(cat "$2/stats/tx_bytes") - tx0 )); rx=$(( $(cat "$2/stats/rx_bytes") - rx0 ))
	n=$(grep -c 'error=0 ' /tmp/rl.$1)
	[ "$n" -gt 0 ] || { note "$1: no good reading: $(head -n2 /tmp/rl.$1)"; return; }
	awk '/error=0 / { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		print (v["delivered"] - v["queued"]) / 1000, (v["tx_start"] - v["queued"]) / 1000,
		      (v["delivered"] - v["rx_last"]) / 1000 }' /tmp/rl.$1 > /tmp/rl.$1.us
	cut -d' ' -f1 /tmp/rl.$1.us | sort -n > /tmp/a; tot=$(pct /tmp/a 50)
	cut -d' ' -f2 /tmp/rl.$1.us | sort -n > /tmp/a; q2t=$(pct /tmp/a 50)
	cut -d' ' -f3 /tmp/rl.$1.us | sort -n > /tmp/a; r2d=$(pct /tmp/a 50)
	awk '{ print $2 + $3 }' /tmp/rl.$1.us | sort -n > /tmp/a; share=$(pct /tmp/a 50)
	wire=$(( (tx + rx) * BYTE_US / 20 + LAT_US ))
	echo $(( (tx + rx) / 20 )) > /tmp/bytes.$1
	note "$1: $n reads, $((tx / 20)) request + $((rx / 20)) reply bytes each; median queued->tx_start ${q2t%.*} us, rx_last->delivered ${r2d%.*} us"
	fig "read-$1" "${tot%.*}" us "$wire" "(wire minimum: bytes at 11 bits + ${LAT_US} us latency)"
	fig "read-$1-driver" "${share%.*}" us "$((wire / 100))" "(1% of the exchange)"
	if [ "$1" = mbus ]; then
		# per open reader of a char device (a quiet moment: one meter)
		sleep 2
		kr0=$(kmem); ku0=$(memused)
		hmbench open /dev/$m 100 > /tmp/open.out &
		opid=$!
		k=50
		while ! grep -q opened /tmp/open.out && [ $k -gt 0 ]; do usleep 100000; k=$((k - 1)); done
		kr1=$(kmem); ku1=$(memused)
		kill $opid
		note "memory: 100 open readers: Slab+VmallocUsed +$((kr1 - kr0)) kB, MemTotal-MemFree +$((ku1 - ku0)) kB"
		fig mem-reader "$(( (ku1 - ku0) * 1024 / 100 ))" B 0 "(no target; MemTotal - MemFree: a reader's ring is a 16 KiB kvzalloc)"
	fi
	echo "$3" > "$2/delete_meter"
}
if want read; then
read_fig mbus "$BM" "mbus 1" 1
read_fig cjt188 "$BC" "cjt188 00000000000001" 00000000000001
fi

# 4a. Memory per meter: 250 meters on one bus, created and deleted
if want poll; then
k0=$(kmem); slabs /tmp/s0
i=1
while [ $i -le 250 ]; do echo "mbus $i" > "$BM/new_meter"; i=$((i + 1)); done
k1=$(kmem); slabs /tmp/s1
PER_METER=$(( (k1 - k0) * 1024 / 250 ))
note "memory: 250 meters on one bus: Slab+VmallocUsed +$((k1 - k0)) kB; per meter by cache: $(slabdiff /tmp/s0 /tmp/s1 250)"
fig mem-meter-250 "$PER_METER" B 6144 "(6 KiB per meter)"
m=$(meter_dev 1 "$BM")
note "sysfs entries of one meter: $(find /sys/class/heatmeter/$m/ | wc -l) in its device, $(find /sys/class/heatmeter/$m/hwmon* 2>/dev/null | wc -l) of them its hwmon's (if below it), platform devices heatmeter.*: $(ls -d /sys/devices/platform/heatmeter.* 2>/dev/null | wc -l), entries of one: $(find $(ls -d /sys/devices/platform/heatmeter.* | head -n1)/ 2>/dev/null | wc -l); a sysfs node (kernfs_node) is $(awk '$1 == "kernfs_node_cache" { print $4 }' /proc/slabinfo) bytes, a meter $(awk '$1 == "hm_meter" { print $4 }' /proc/slabinfo)"

# 2. Poll cycle: 250 meters read round-robin, over the sum of the
# exchanges' wire minima plus the protocol's idle
# poll_window SECONDS NAME: the figure over a window of polling
poll_window() {
t0=$(cut -d' ' -f1 /proc/uptime)
n0=$(cat "$BM/stats/transactions"); tx0=$(cat "$BM/stats/tx_bytes"); rx0=$(cat "$BM/stats/rx_bytes")
to0=$(cat "$BM/stats/timeouts")
sleep "$1"
t1=$(cut -d' ' -f1 /proc/uptime)
n1=$(cat "$BM/stats/transactions"); tx1=$(cat "$BM/stats/tx_bytes"); rx1=$(cat "$BM/stats/rx_bytes")
to1=$(cat "$BM/stats/timeouts")
# the ratio: the window's time over the wire minima and idle of the
# exchanges in it (the first cycle adds each meter's SND_NKE); the cycle:
# 250 steady exchanges (REQ_UD2 + RSP_UD, bytes as in read-mbus) at it
awk -v t0="$t0" -v t1="$t1" -v n="$((n1 - n0))" -v b="$((tx1 - tx0 + rx1 - rx0))" \
    -v by="$BYTE_US" -v lat="$LAT_US" -v idle="$MBUS_IDLE_US" -v to="$((to1 - to0))" \
    -v rb="$(cat /tmp/bytes.mbus 2>/dev/null || echo 44)" -v name="$2" 'BEGIN {
	if (n < 1) { print "bench: # poll: no transaction"; exit }
	w = (t1 - t0) * 1e6; lim = b * by + n * (lat + idle); r = w / lim
	c = 250 * (rb * by + lat + idle) / 1e6
	printf "bench: # %s: %d exchanges in %.1f s (%d timeouts), %.1f bytes each, %.1f ms each (their limit %.1f ms)\n", name, n, w / 1e6, to, b / n, w / n / 1e3, lim / n / 1e3
	printf "bench: %s: %.2f s (limit %.2f s: 250 x (%d bytes at 11 bits + %d us latency + %d us idle), ratio %.3f)\n",
	       name, r * c, c, rb, lat, idle, r }'
}
echo 100 > "$BM/poll_interval_ms"
sleep 5
poll_window 40 poll-cycle-250
# the same with line_idle_ms 30, CJ/T 188's (a detail, not the figure:
# the bus default was 30 for every protocol; now "auto", M-Bus 33 bits)
echo 30 > "$BM/line_idle_ms"
sleep 1
poll_window 25 poll-cycle-250-idle30 | sed 's/^bench: poll-/bench: # poll-/'
echo auto > "$BM/line_idle_ms"
echo 0 > "$BM/poll_interval_ms"
# wait for the queue to drain, then delete
sleep 2
k2=$(kmem)
i=1
while [ $i -le 250 ]; do echo "mbus $i" > "$BM/delete_meter"; i=$((i + 1)); done
sleep 1
k3=$(kmem)
note "memory: after deleting the 250: $((k3 - k0)) kB against before creating them"
# the same 250 without hwmon chips (module parameter hwmon=0): the meter
# device alone; and a second create/delete cycle, which must not grow
HWP=/sys/module/heatmeter/parameters/hwmon
echo 0 > $HWP
slabs /tmp/s6
i=1
while [ $i -le 250 ]; do echo "mbus $i" > "$BM/new_meter"; i=$((i + 1)); done
k6=$(kmem); slabs /tmp/s7
note "memory: 250 meters without hwmon: +$((k6 - k3)) kB; per meter by cache: $(slabdiff /tmp/s6 /tmp/s7 250)"
fig mem-meter-250-nohwmon "$(( (k6 - k3) * 1024 / 250 ))" B 6144 "(6 KiB per meter; module parameter hwmon=0)"
i=1
while [ $i -le 250 ]; do echo "mbus $i" > "$BM/delete_meter"; i=$((i + 1)); done
echo 1 > $HWP
k7=$(kmem)
note "memory: after the second cycle: $((k7 - k0)) kB against before the first (after the first: $((k3 - k0)) kB)"
fi

# 3. SYNC: 4 ports armed for one instant, >= 200 rounds, next to a bare
# hrtimer armed for the same instants. The figures: the 4 ports of the
# PCI 16550 x4 (ttyS4..ttyS7, bench/peers pci1..pci4: one paced CJ/T 188
# meter 0000000000008N each), as a verification bench's serial ports; a
# detail: the same on 4 ptys with unpaced simulators in the guest (a pty
# write pushes the peer's flip buffer, a UART's only fills its buffer).
# sync_run NAME DEV...: the rounds, then NAME's lines
sync_run() {
sn=$1; shift
hmbench sync 200 30 "$@" > /tmp/sync.$sn
grep '^round=' /tmp/sync.$sn | tr ' ' '\n' | grep ':' | cut -d: -f1 | sort -n > /tmp/slate
grep '^round=' /tmp/sync.$sn | awk '{ lo = ""; hi = ""; for (i = 2; i <= NF; i++) { split($i, v, ":")
	if (lo == "" || v[1] < lo) lo = v[1]; if (hi == "" || v[1] > hi) hi = v[1] } print hi - lo }' | sort -n > /tmp/sskew
grep '^hrtimer=' /tmp/sync.$sn | cut -d= -f2 | sort -n > /tmp/hlate
for i in 2 3 4 5; do
	grep '^round=' /tmp/sync.$sn | cut -d' ' -f$i | cut -d: -f1 | sort -n > /tmp/sp$i
	echo "$(pct /tmp/sp$i 50)"
done > /tmp/spm
note "$sn: median lateness per port (order armed: $*): $(tr '\n' ' ' < /tmp/spm)ns"
serr=$(grep '^round=' /tmp/sync.$sn | tr ' ' '\n' | grep -c ':-')
note "$sn: $(grep -c '^round=' /tmp/sync.$sn) rounds x $# ports, $serr failed reads; lateness tx_start - at: median $(pct /tmp/slate 50) ns, p99 $(pct /tmp/slate 99), max $(pct /tmp/slate 100); bare hrtimer: median $(pct /tmp/hlate 50) ns, p99 $(pct /tmp/hlate 99), max $(pct /tmp/hlate 100); skew median $(pct /tmp/sskew 50) ns"
hm=$(pct /tmp/hlate 50)
fig sync-late-median "$(( $(pct /tmp/slate 50) / 1000 ))" us "$(awk -v h="$hm" 'BEGIN { printf "%.1f", 1.2 * h / 1000 }')" "(1.2 x the bare hrtimer's median $((hm / 1000)) us)"
fig sync-late-p99 "$(( $(pct /tmp/slate 99) / 1000 ))" us "$(( $(pct /tmp/hlate 99) / 1000 ))" "(the bare hrtimer's p99)"
fig sync-late-max "$(( $(pct /tmp/slate 100) / 1000 ))" us "$(( $(pct /tmp/hlate 100) / 1000 ))" "(the bare hrtimer's max)"
fig sync-skew-p99 "$(( $(pct /tmp/sskew 99) / 1000 ))" us "$BYTE_US" "(one byte time)"
}
if want sync; then
# the PCI UARTs: the ttyS whose device is on the PCI bus, by number
SU=$(for t in /sys/class/tty/ttyS*; do
	readlink -f "$t/device" 2>/dev/null | grep -q '/pci0000' && echo "${t##*ttyS}"
done | sort -n | sed 's/^/ttyS/')
if [ "$(echo $SU | wc -w)" -ne 4 ]; then
	note "sync: not 4 PCI UARTs but '$SU': $(grep -v 'uart:unknown' /proc/tty/driver/serial | tr '\n' ';')"
else
	SDEVS=""
	i=0
	for t in $SU; do
		ldattach "$LDISC" /dev/$t
		b=$(bus_of_tty "$t")
		echo "cjt188 0000000000008$i" > "$b/new_meter"
		SDEVS="$SDEVS /dev/$(meter_dev 0000000000008$i "$b")"
		i=$((i + 1))
	done
	note "sync: the figures: 4 ports of the QEMU PCI 16550 x4 ($(echo $SU), 8250_pci, each a paced CJ/T 188 meter at 2400 Bd 8E1, 20 ms latency on the host): $(grep -E "^($(echo $SU | sed 's/ttyS//g; s/ /|/g')):" /proc/tty/driver/serial 2>/dev/null | cut -d' ' -f1-4 | tr '\n' ';')"
	sync_run sync $SDEVS
fi
# the same on 4 ptys (a detail)
SDEVS=""
for i in 0 1 2 3; do
	rm -f /dev/ttySB$i
	hmsim --pty --pty-link /dev/ttySB$i --no-pace --latency 5 \
		--meter profile=cjt188,address=0000000000009$i,energy=1000000 > /tmp/ssim$i.out 2>&1 &
	echo $! >> /tmp/ssim.pids
	wait_for /dev/ttySB$i 50
	ldattach "$LDISC" /dev/ttySB$i
done
for i in 0 1 2 3; do
	t=$(readlink -f /dev/ttySB$i | sed 's#^/dev/##; s#/##')
	b=$(bus_of_tty "$t")
	echo "cjt188 0000000000009$i" > "$b/new_meter"
	SDEVS="$SDEVS /dev/$(meter_dev 0000000000009$i "$b")"
done
sync_run sync-pty $SDEVS | sed 's/^bench: sync-/bench: # pty-sync-/'
# the simulators exit; their ptys hang up and the buses go
kill $(cat /tmp/ssim.pids) 2>/dev/null
sleep 2
fi

# 4b/5. 16 buses x 250 meters: ttyS1 and 15 ptys with paced simulators
# of 250 M-Bus meters each; memory per bus, per meter; kernel CPU per
# reading polled continuously
if want many; then
i=0
while [ $i -lt 15 ]; do
	rm -f /dev/ttyMB$i
	hmsim --pty --pty-link /dev/ttyMB$i --config /data/mbus250.conf > /tmp/msim$i.out 2>&1 &
	echo $! >> /tmp/msim.pids
	wait_for /dev/ttyMB$i 100
	i=$((i + 1))
done
kb0=$(kmem)
i=0
while [ $i -lt 15 ]; do ldattach "$LDISC" /dev/ttyMB$i; i=$((i + 1)); done
sleep 1
kb1=$(kmem)
fig mem-bus "$(( (kb1 - kb0) * 1024 / 15 ))" B 0 "(no target; includes the ldattach process holding the tty)"
BUSES="$BM"
i=0
while [ $i -lt 15 ]; do
	t=$(readlink -f /dev/ttyMB$i | sed 's#^/dev/##; s#/##')
	BUSES="$BUSES $(bus_of_tty "$t")"
	i=$((i + 1))
done
k4=$(kmem); slabs /tmp/s4
for b in $BUSES; do
	i=1
	while [ $i -le 250 ]; do echo "mbus $i" > "$b/new_meter"; i=$((i + 1)); done
done
k5=$(kmem); slabs /tmp/s5
note "memory: 4000 meters on 16 buses: +$((k5 - k4)) kB; per meter by cache: $(slabdiff /tmp/s4 /tmp/s5 4000)"
fig mem-meter-4000 "$(( (k5 - k4) * 1024 / 4000 ))" B 6144 "(6 KiB per meter)"

# 5. CPU: all 16 buses polled continuously
# kernel time outside the simulators' own system calls: the kworkers
# (the engine's work, tx_work, the flip buffers' receive_buf, polling)
# plus irq and softirq time; in USER_HZ ticks
irqt() { awk '/^cpu / { print $7 + $8 }' /proc/stat; }
kwt() { cat /proc/[0-9]*/stat 2>/dev/null | awk '$2 ~ /^\(kworker/ { print $1, $14 + $15 }'; }
# kwdelta: the kworkers' ticks between the snapshots /tmp/kw0 and /tmp/kw1
kwdelta() { awk 'FNR == NR { a[$1] = $2; next } { d += $2 - a[$1] } END { print d + 0 }' /tmp/kw0 /tmp/kw1; }
txns() { s=0; for b in $BUSES; do s=$((s + $(cat "$b/stats/transactions"))); done; echo $s; }
allt() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
HZU=$(getconf CLK_TCK 2>/dev/null || echo 100)
# cpu_window POLL_MS SECONDS NAME
cpu_window() {
for b in $BUSES; do echo "$1" > "$b/poll_interval_ms"; done
sleep 5
i0=$(irqt); kwt > /tmp/kw0; a0=$(allt); r0=$(txns); t0=$(cut -d' ' -f1 /proc/uptime)
sleep "$2"
i1=$(irqt); kwt > /tmp/kw1; a1=$(allt); r1=$(txns); t1=$(cut -d' ' -f1 /proc/uptime)
kw=$(kwdelta)
awk -v kw="$kw" -v irq="$((i1 - i0))" -v all="$((a1 - a0))" -v r="$((r1 - r0))" -v t0="$t0" -v t1="$t1" -v hz="$HZU" -v name="$3" -v p="$1" 'BEGIN {
	w = t1 - t0; k = (kw + irq) / hz; pe = 0
	if (r > 0)
		pe = k * 1e6 / r
	printf "bench: # %s (poll_interval_ms %d): %d exchanges in %.1f s on 16 buses (%.1f/s); kernel time %.2f s (kworkers %.2f s + irq/softirq %.2f s); all busy time incl. the 15 simulators %.2f s; %.0f us of kernel time per exchange (TCG: emulated, many times a real CPU)\n", name, p, r, w, r / w, k, kw / hz, irq / hz, all / hz, pe
	printf "bench: %s: %.3f %% of a core (limit 0.1 %%, ratio %.2f)\n", name, 100 * k / w, 100 * k / w / 0.1
	printf "%.0f\n", pe > "/tmp/cpu_pe." name }'
}
# every meter is requeued within a second of its reading, the queue of
# each line never runs dry (a cycle of 250 takes about a minute): the
# lines run at full rate; then the same with the poll work every 100 ms
cpu_window 1000 30 cpu-4000
cpu_window 100 20 cpu-4000-poll100 | sed 's/^bench: cpu-/bench: # cpu-/'
for b in $BUSES; do echo 0 > "$b/poll_interval_ms"; done
sleep 3
kd0=$(kmem)
for b in $BUSES; do
	i=1
	while [ $i -le 250 ]; do echo "mbus $i" > "$b/delete_meter"; i=$((i + 1)); done
done
kd1=$(kmem); slabs /tmp/s8
note "memory: deleting the 4000 meters freed $((kd0 - kd1)) kB (created: $((k5 - k4)) kB); the caches still larger than before: $(slabdiff /tmp/s4 /tmp/s8 1)"
fig mem-growth-after-delete "$(( (kd1 - k4) > 0 ? kd1 - k4 : 0 ))" kB 0 "(no growth: after deleting the 4000, against before creating them; $((kd1 - k4)) kB)"
# The same 16 lines polled by a userspace master over n_tty (libmbus's
# way: hmbench upoll, REQ_UD2 to 1..250 round-robin): the kernel's time
# per exchange (the tty layer's and the ptys' as before) plus the
# pollers' own, next to the driver's per exchange above
killall ldattach 2>/dev/null
sleep 2
UTTYS="/dev/ttyS1"
i=0
while [ $i -lt 15 ]; do UTTYS="$UTTYS /dev/ttyMB$i"; i=$((i + 1)); done
i0=$(irqt); kwt > /tmp/kw0; t0=$(cut -d' ' -f1 /proc/uptime)
hmbench upoll 20 $UTTYS > /tmp/upoll
i1=$(irqt); kwt > /tmp/kw1; t1=$(cut -d' ' -f1 /proc/uptime)
kw=$(kwdelta)
ux=$(awk -F'exchanges=' '/exchanges=/ { split($2, v, " "); s += v[1] } END { print s + 0 }' /tmp/upoll)
ucpu=$(sed -n 's/^cpu_us=//p' /tmp/upoll)
awk -v kw="$kw" -v irq="$((i1 - i0))" -v hz="$HZU" -v r="$ux" -v t0="$t0" -v t1="$t1" -v u="${ucpu%+*}" -v sy="${ucpu#*+}" \
    -v hm="$(cat /tmp/cpu_pe.cpu-4000 2>/dev/null || echo 0)" 'BEGIN {
	k = (kw + irq) / hz + (u + sy) / 1e6; pe = r > 0 ? k * 1e6 / r : 0
	printf "bench: # cpu-userspace-master: %d exchanges in %.1f s on the 16 lines; kernel time %.2f s (kworkers + irq/softirq) + the pollers %.2f s user + %.2f s system: %.0f us per exchange\n", r, t1 - t0, (kw + irq) / hz, u / 1e6, sy / 1e6, pe
	if (pe > 0 && hm > 0)
		printf "bench: cpu-per-exchange: %d us (limit %d us: a userspace master over n_tty on the same lines, ratio %.3f)\n", hm, pe, hm / pe }'
kill $(cat /tmp/msim.pids) 2>/dev/null
fi
# ---- M-Bus discovery (issue 12): the lines libmbus was measured on ----
# hmsim on a pty in the guest, paced at 2400 Bd, 20 ms latency. A pty
# carries the request in no time, so the window minimum of a primary scan
# here is 251 windows (330 bit times + 50 ms) plus the meters' exchanges;
# the EN figure with SND_NKE on the wire is 52.8 s.
if want mbus; then
msim() {
	rm -f /dev/ttyHMB
	hmsim --pty --pty-link /dev/ttyHMB --log /tmp/msim.log "$@" > /dev/null 2>&1 &
	msimpid=$!
	wait_for /dev/ttyHMB 50
	ls -d /sys/class/heatmeter_bus/hmbus* 2>/dev/null | sort > /tmp/mb0
	ldattach -d "$LDISC" /dev/ttyHMB > /dev/null 2>&1 &
	mldpid=$!
	k=50
	MB=
	while [ -z "$MB" ] && [ $k -gt 0 ]; do
		usleep 100000; k=$((k - 1))
		for b in /sys/class/heatmeter_bus/hmbus*; do
			[ -e "$b" ] && ! grep -qx "$b" /tmp/mb0 && { MB=$b; break; }
		done
	done
	echo mbus > $MB/protocol
}
msim_stop() {
	kill $mldpid 2>/dev/null
	wait $mldpid 2>/dev/null
	wait_gone $MB 100
	kill $msimpid 2>/dev/null
	wait $msimpid 2>/dev/null
}
mscan() {
	n=$(($1 * 10))
	st=$(cat $MB/scan_status)
	while [ "${st#running}" != "$st" ] && [ $n -gt 0 ]; do
		usleep 100000; n=$((n - 1)); st=$(cat $MB/scan_status)
	done
	echo "$st"
}
# secondary LABEL WANT LIBMBUS ARGS...: one line's search
secondary() {
	label=$1 wantn=$2 ref=$3; shift 3
	msim "$@"
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo mbus-secondary > $MB/scan
	st=$(mscan 900)
	t1=$(cut -d' ' -f1 /proc/uptime)
	found=$(echo "$st" | sed -n 's/.*found \([0-9]*\).*/\1/p')
	sel=$(echo "$st" | sed -n 's/.*selects \([0-9]*\).*/\1/p')
	awk -v l="$label" -v f="$found" -v w="$wantn" -v s="$sel" -v t0="$t0" -v t1="$t1" -v ref="$ref" 'BEGIN {
		printf "bench: mbus-secondary-%s: %.1f s (found %d/%d, %d selects; libmbus here: %s)\n", l, t1 - t0, f, w, s, ref }'
	msim_stop
}
msim --meter profile=mbus,primary=1,id=50000001 --meter profile=mbus,primary=5,id=50000005 \
	--meter profile=mbus,primary=9,id=50000009
t0=$(cut -d' ' -f1 /proc/uptime)
echo "mbus-primary 0-250" > $MB/scan
st=$(mscan 300)
t1=$(cut -d' ' -f1 /proc/uptime)
rx=$(cat $MB/stats/rx_bytes)
awk -v t0="$t0" -v t1="$t1" -v rx="$rx" -v st="$st" 'BEGIN {
	b = 11 / 2400; win = 330 / 2400 + 0.050
	# each meter: E5 after 20 ms, the idle, REQ_UD2, its RSP_UD
	rsp = (rx - 3) / 3
	min = 251 * win + 3 * (0.020 + b + 33 / 2400 + 0.020 + rsp * b)
	printf "bench: mbus-primary-scan-0-250: %.2f s (limit %.2f s window minimum on this line, ratio %.3f; %s; libmbus here: 80.4 s, EN minimum with SND_NKE on the wire 52.8 s)\n", t1 - t0, min, (t1 - t0) / min, st }'
msim_stop
secondary last-digit 2 "2/2, 151 selects, 54 s" \
	--meter profile=mbus,id=12345670,manufacturer=KAM --meter profile=mbus,id=12345671,manufacturer=KAM
secondary same-id 2 "0/2, 172 selects, 60 s" \
	--meter profile=mbus,id=55501234,manufacturer=KAM --meter profile=mbus,id=55501234,manufacturer=ZRI
secondary consecutive-60 60 "60/60, 188 selects, 100 s" --gen mbus-consecutive:60:start=30010000
secondary random-60 60 "58/60, 835 selects, 324 s" --gen mbus-random:60:seed=7
fi
note "bench guest part: $(awk -v a="$T0" '{ printf "%.0f", $1 - a }' /proc/uptime) s"
