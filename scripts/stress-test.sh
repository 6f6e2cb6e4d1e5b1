#!/usr/bin/env bash
# Usage: scripts/stress-test.sh [N]
#
# Runs `make test` N times (default 3) while CPU hogs run beside it, to show that the suite
# does not depend on how much CPU the machine has (issue 12). HOGS (default 2) processes of
# `sha256sum /dev/zero` are started before the runs and stopped by their PIDs when the
# script exits, however it exits. Extra make arguments go in MAKEARGS (e.g.
# MAKEARGS="TESTPKGS=./bot/...").
#
# Each run's output is kept in LOGDIR (default: a new directory under ${TMPDIR:-/tmp});
# the script prints PASS or FAIL per run with its duration and log, then a summary, and
# exits non-zero if any run failed.
set -euo pipefail

n="${1:-3}"
case "$n" in
'' | *[!0-9]* | 0)
  echo "usage: $0 [N]   (N: how many times to run make test, at least 1)" >&2
  exit 2
  ;;
esac
hogs="${HOGS:-2}"
logdir="${LOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/stress-test.XXXXXX")}"
mkdir -p "$logdir"
cd "$(dirname "$0")/.."

pids=()
stop_hogs() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
trap stop_hogs EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in $(seq "$hogs"); do
  sha256sum /dev/zero >/dev/null &
  pids+=("$!")
done
echo "stress-test: $n run(s) of make test beside $hogs CPU hog(s) (PIDs ${pids[*]:-none}); logs in $logdir"

failed=0
for i in $(seq "$n"); do
  log="$logdir/run-$i.log"
  start=$(date +%s)
  # shellcheck disable=SC2086 # MAKEARGS is a list of make arguments
  if make test ${MAKEARGS:-} >"$log" 2>&1; then
    result=PASS
  else
    result=FAIL
    failed=$((failed + 1))
  fi
  echo "run $i/$n: $result in $(($(date +%s) - start)) s ($log)"
  if [ "$result" = FAIL ]; then
    { grep -E '^(--- FAIL|FAIL|panic:)|_test\.go:[0-9]+:' "$log" || tail -n 5 "$log"; } | head -n 20 | sed 's/^/    /'
  fi
  if grep -q 'ERROR' "$log"; then
    echo "    note: the output has ERROR lines: grep ERROR $log"
  fi
done

echo "stress-test: $((n - failed)) of $n run(s) passed beside $hogs CPU hog(s)"
[ "$failed" -eq 0 ]
