#!/usr/bin/env bash
# Runs the test suite with node's test runner (tsx loads TypeScript).
# Usage: scripts/test.sh [unit|integration|e2e ...]  (default: all three)
set -euo pipefail
shopt -s globstar nullglob
cd "$(dirname "$0")/.."
suites=("$@")
# The slow end-to-end files go first: two run at a time, and a slow file started last would
# leave one slot idle while it finishes.
[ ${#suites[@]} -gt 0 ] || suites=(e2e integration unit)
files=()
for s in "${suites[@]}"; do files+=(test/"$s"/**/*.test.ts); done
if [ ${#files[@]} -eq 0 ]; then echo "no test files found for: ${suites[*]}" >&2; exit 1; fi
npx tsc --noEmit -p .
# Each file runs in its own process; a test that hangs fails at the timeout instead of stalling CI.
exec node --import tsx --test --test-concurrency=2 --test-timeout=180000 --test-force-exit "${files[@]}"
