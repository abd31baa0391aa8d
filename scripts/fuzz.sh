#!/usr/bin/env bash
# Runs every go test -fuzz target of the module for a short time each.
# Usage: scripts/fuzz.sh [DURATION]   (default 10s per target)
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-10s}"
n=0
for pkg in $(go list ./...); do
  for f in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz $pkg $f ($t)"
    go test -run '^$' -fuzz "^${f}\$" -fuzztime "$t" -fuzzminimizetime 5s "$pkg" >/tmp/aceso-fuzz.log 2>&1 || { cat /tmp/aceso-fuzz.log; exit 1; }
    n=$((n+1))
  done
done
echo "fuzz: $n targets ran without failure"
