#!/bin/sh
# build.sh OUTDIR: builds every guest test program for riscv64, static
# (NAME.static) and dynamic (NAME.dynamic), plus nolibc as static-pie, and
# memconf natively (memconf.native) and for riscv64 (memconf.static).
# The Go tests build the same way; this script is for running by hand.
set -e
out=${1:-/tmp/gemu-testdata}
cc=${RISCV_CC:-riscv64-linux-gnu-gcc}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
for src in "$here"/*.c; do
	name=$(basename "$src" .c)
	case $name in
	nolibc)
		$cc -O2 -static-pie -fPIE -nostdlib -ffreestanding -Wl,--no-dynamic-linker -o "$out/$name.static-pie" "$src"
		;;
	memconf)
		${NATIVE_CC:-cc} -O1 -Wall -o "$out/$name.native" "$src"
		$cc -O1 -Wall -static -o "$out/$name.static" "$src"
		;;
	*)
		$cc -O1 -Wall -static -o "$out/$name.static" "$src"
		$cc -O1 -Wall -o "$out/$name.dynamic" "$src"
		;;
	esac
done
