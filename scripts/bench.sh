#!/usr/bin/env bash
# Runs Aceso's benchmarks and prints a table (name, ns/op, B/op, allocs/op
# and custom metrics). Usage: scripts/bench.sh [PACKAGES] [-- extra go test flags]
# Example: scripts/bench.sh ./internal/match/ -- -benchtime=3x
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do pkgs+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#pkgs[@]} -eq 0 ] && pkgs=(./...)
echo "machine: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB; $(go version | cut -d' ' -f3); $(date -u +%F)"
go test -run '^$' -bench . -benchmem "$@" "${pkgs[@]}" 2>&1 | awk '
  /^pkg:/ { pkg=$2; sub(".*/internal/", "", pkg); next }
  /^Benchmark/ {
    name=$1; sub(/-[0-9]+$/, "", name)
    line=sprintf("%-14s %-48s", pkg, name)
    for (i=3; i<NF; i+=2) line=line sprintf("  %s %s", $i, $(i+1))
    print line; next }
  /^(FAIL|panic|---)/ { print; bad=1 }
  END { exit bad }'
