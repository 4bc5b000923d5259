#!/usr/bin/env bash
# gemu's main job, on a fresh Debian machine: installs what it needs (the
# riscv64 cross compiler and qemu-user), builds gemu-riscv64, compiles a
# real C program for riscv64 (dynamically linked against Debian's riscv64
# glibc) and runs it under gemu, then under qemu-riscv64 for comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
work=$(mktemp -d /tmp/gemu-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT
go build -o "$work/gemu-riscv64" ./cmd/gemu-riscv64
prog=${1:-testdata/procmaps.c}
riscv64-linux-gnu-gcc -O2 -o "$work/prog" "$prog"
echo "== $prog under gemu-riscv64 =="
set +e
"$work/gemu-riscv64" -L /usr/riscv64-linux-gnu "$work/prog" demo-arg
echo "== exit status $? =="
echo "== the same under qemu-riscv64 =="
qemu-riscv64 -L /usr/riscv64-linux-gnu "$work/prog" demo-arg
echo "== exit status $? =="
