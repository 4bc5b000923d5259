#!/usr/bin/env bash
# gemu's main job, on a fresh Debian machine: installs what it needs, then
# shows the guest memory manager at work against the host kernel (one line
# per benchmark case, with its ratio to native Linux).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
go test ./guestmem -run '^$' -bench . -benchtime 20000x | grep -E '^Benchmark|raised'
