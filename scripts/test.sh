#!/usr/bin/env bash
# Runs gemu's whole test suite: formatting and vet, every package's tests,
# then the race detector over the packages that run guest threads or take
# locks (in -short mode, which trims the long randomized runs).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
# Benchmarks and tests that hold tens of thousands of guest mappings need
# more host VMAs than Linux's default allows (each guest mapping costs up to
# two); raise the limit when we may.
if [ "$(id -u)" -eq 0 ] && [ "$(cat /proc/sys/vm/max_map_count)" -lt 1000000 ]; then
	echo 1000000 > /proc/sys/vm/max_map_count
fi
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted"
	exit 1
fi
go vet ./...
# The Linux-differential test draws its operations from a seed: CI pins one
# (GEMU_DIFF_SEED) so that a run is repeatable; without it each run takes a
# new, time-based seed, and -diff.ops=1000000 makes a longer run (see
# guestmem's linux_diff_test.go).
GEMU_DIFF_SEED=1126 go test -count=1 -timeout 40m ./...
# The race detector over what runs guest threads or takes locks: every
# package's own concurrency tests, and the guest programs that start threads
# (gemu built with -race). The Linux-differential run and the whole corpus
# run once above; under the race detector they would add a quarter of an
# hour and exercise no more concurrency.
go test -count=1 -race -short -timeout 30m -skip 'TestLinuxDiff' ./guestmem ./riscv ./cmd/...
go test -count=1 -race -short -timeout 30m \
	-run 'TestCorpusAgainstQemu/threads|TestCorpusAgainstQemu/signals|TestDispatch|TestSignalFrame|TestLoad|TestFutexUnreadableHostPage|TestBounceBuffers|TestSharedFutexAcrossSlot|TestPlacementSmallPages|TestCorpusSmallPages/(threads|smallpages)' ./linux
