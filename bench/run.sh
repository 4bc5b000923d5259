#!/bin/bash
# run.sh: the guest memory benchmark and a CPU-bound kernel, run natively,
# under qemu-riscv64 and under gemu in the same run. Prints, per case,
#   BENCH <case> native_ns=... qemu_ns=... gemu_ns=... gemu_vs_native=... gemu_vs_qemu=...
# then the peak RSS of each run and the CPU kernel's wall times.
#
# Environment: GEMU (a gemu-riscv64 binary; default: built from this tree),
# QEMU (default qemu-riscv64), RISCV_CC (default riscv64-linux-gnu-gcc),
# CC (default cc), SCALE (work multiplier, default 1), CPU_SCALE (default 3).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work=$(mktemp -d /tmp/gemu-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
CC=${CC:-cc}
RISCV_CC=${RISCV_CC:-riscv64-linux-gnu-gcc}
QEMU=${QEMU:-qemu-riscv64}
SCALE=${SCALE:-1}
CPU_SCALE=${CPU_SCALE:-3}

for tool in "$CC" "$RISCV_CC" "$QEMU" /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 1; }
done

if [ -z "${GEMU:-}" ]; then
	GEMU=$work/gemu-riscv64
	(cd "$root" && go build -o "$GEMU" ./cmd/gemu-riscv64) || { echo "run.sh: cannot build gemu" >&2; GEMU=; }
fi

set -e
$CC -O2 -o "$work/membench.native" "$here/membench.c"
$RISCV_CC -O2 -static -o "$work/membench.rv" "$here/membench.c"
$CC -O2 -o "$work/cpu.native" "$here/cpu.c"
$RISCV_CC -O2 -static -o "$work/cpu.rv" "$here/cpu.c"
$RISCV_CC -O2 -static -o "$work/emuaccess.rv" "$here/emuaccess.c"
set +e

# run NAME CMD...: runs CMD with its stdout in $work/NAME.out, its peak RSS
# (KiB) in $work/NAME.rss and its wall time (s) in $work/NAME.wall; a failed
# run leaves NAME.failed.
run() {
	local name=$1
	shift
	if ! /usr/bin/time -o "$work/$name.time" -f "%M %e" "$@" >"$work/$name.out" 2>"$work/$name.err"; then
		touch "$work/$name.failed"
		echo "run.sh: $name failed: $(tail -n 3 "$work/$name.err" | tr '\n' ' ')" >&2
	fi
	local t
	t=$(tail -n 1 "$work/$name.time")
	if [ -e "$work/$name.failed" ]; then
		echo NA >"$work/$name.rss"
		echo NA >"$work/$name.wall"
	else
		echo "${t%% *}" >"$work/$name.rss"
		echo "${t##* }" >"$work/$name.wall"
	fi
}

run mem.native "$work/membench.native" "$SCALE"
run mem.qemu "$QEMU" "$work/membench.rv" "$SCALE"
if [ -n "$GEMU" ]; then
	run mem.gemu "$GEMU" "$work/membench.rv" "$SCALE"
else
	touch "$work/mem.gemu.failed" "$work/mem.gemu.out"
	echo NA >"$work/mem.gemu.rss"
fi

# value RUN CASE: the ns/op a run reported for a case, or NA.
value() {
	local v
	v=$(awk -v c="$2" '$1 == "CASE" && $2 == c { print $3 }' "$work/$1.out" 2>/dev/null)
	echo "${v:-NA}"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || b + 0 == 0) print "NA"; else printf "%.3g\n", a / b }'
}

for c in $(awk '$1 == "CASE" { print $2 }' "$work/mem.native.out"); do
	n=$(value mem.native "$c")
	q=$(value mem.qemu "$c")
	g=$(value mem.gemu "$c")
	echo "BENCH $c native_ns=$n qemu_ns=$q gemu_ns=$g gemu_vs_native=$(ratio "$g" "$n") gemu_vs_qemu=$(ratio "$g" "$q")"
done
echo "RSS membench native_kb=$(cat "$work/mem.native.rss") qemu_kb=$(cat "$work/mem.qemu.rss") gemu_kb=$(cat "$work/mem.gemu.rss")"

run cpu.native "$work/cpu.native" "$CPU_SCALE"
run cpu.qemu "$QEMU" "$work/cpu.rv" "$CPU_SCALE"
if [ -n "$GEMU" ]; then
	run cpu.gemu "$GEMU" "$work/cpu.rv" "$CPU_SCALE"
else
	touch "$work/cpu.gemu.failed" "$work/cpu.gemu.out"
	echo NA >"$work/cpu.gemu.wall"
	echo NA >"$work/cpu.gemu.rss"
fi
same=yes
cmp -s "$work/cpu.qemu.out" "$work/cpu.gemu.out" || same=no
nw=$(cat "$work/cpu.native.wall")
qw=$(cat "$work/cpu.qemu.wall")
gw=$(cat "$work/cpu.gemu.wall")
echo "BENCH cpu native_s=$nw qemu_s=$qw gemu_s=$gw gemu_vs_native=$(ratio "$gw" "$nw") gemu_vs_qemu=$(ratio "$gw" "$qw") same_output=$same"
echo "RSS cpu native_kb=$(cat "$work/cpu.native.rss") qemu_kb=$(cat "$work/cpu.qemu.rss") gemu_kb=$(cat "$work/cpu.gemu.rss")"

# Emulated accesses: 4 KiB guest pages on 16 and 64 KiB host pages (-p),
# a load or store to a page whose host page a read-only or inaccessible
# guest page makes stricter, next to a direct one. "fault" takes the whole
# path from a host fault each time; "mixed" is the steady state, where the
# CPU goes to its slow path at once.
if [ -n "$GEMU" ]; then
	for h in 16384 65536; do
		line="BENCH emuaccess -p $h"
		for m in store-direct load-direct store-mixed load-mixed store-fault load-fault; do
			n=2000000
			case $m in *-direct) n=20000000 ;; esac
			v=$("$GEMU" -p $h "$work/emuaccess.rv" $((n * SCALE / 10)) $m 2>/dev/null | awk '$1 == "ns_per_access" { print $2 }')
			line="$line ${m}_ns=${v:-NA}"
		done
		echo "$line"
	done
fi
