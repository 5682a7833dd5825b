#!/usr/bin/env bash
# Runs `npm test` several times in a row with CPU-bound processes beside it, as on a busy CI host:
# proves the suite waits for conditions, not for time. Usage: scripts/test-under-load.sh [runs] [hogs]
# Prints one line per run (exit code, minutes) and exits non-zero if any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
hogs=${2:-2}
pids=()
stop_hogs() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done; }
trap stop_hogs EXIT
for _ in $(seq 1 "$hogs"); do
  node -e 'for(;;){}' &
  pids+=($!)
done
mkdir -p reports
failed=0
summary=()
for run in $(seq 1 "$runs"); do
  start=$(date +%s)
  log="reports/test-under-load-$run.log"
  npm test >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  plain() { sed 's/\x1b\[[0-9;]*m//g' "$log"; }
  files=$(plain | grep -E '^ +Test Files' | tail -1 | sed 's/^ *//')
  tests=$(plain | grep -E '^ +Tests ' | tail -1 | sed 's/^ *//')
  line="run $run/$runs with $hogs CPU hogs: exit $rc in $((secs / 60)) min $((secs % 60)) s; $files; $tests (log: $log)"
  echo "$line"
  summary+=("$line")
  [ "$rc" -eq 0 ] || failed=1
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$failed"
