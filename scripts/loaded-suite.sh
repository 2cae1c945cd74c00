#!/usr/bin/env bash
# Runs the README's test command (`cargo test --workspace`) RUNS times in a row (default 20)
# while two busy loops keep both cores busy, with no retry; stops at the first failure.
# Run it from a fresh clone (see RELIABILITY.md). Logs go to $LOG_DIR (default a temp dir).
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-20}"
log_dir="${LOG_DIR:-$(mktemp -d)}"
mkdir -p "$log_dir"
log="$log_dir/log"
echo "commit $(git rev-parse --short HEAD); build start $(date -u +%H:%M:%S)" | tee "$log"
if ! cargo test --workspace --no-run -q > "$log_dir/build.log" 2>&1; then
  echo "build failed; see $log_dir/build.log" | tee -a "$log"
  exit 1
fi
echo "build done $(date -u +%H:%M:%S)" | tee -a "$log"

busy=()
for _ in 1 2; do
  sh -c 'while :; do :; done' &
  busy+=("$!")
done
trap 'kill "${busy[@]}" 2>/dev/null' EXIT

pass=0
for run in $(seq 1 "$runs"); do
  start=$(date +%s)
  if cargo test --workspace -q > "$log_dir/run$run.log" 2>&1; then
    pass=$((pass + 1))
    echo "run $run: pass in $(($(date +%s) - start)) s ($(date -u +%H:%M:%S))" | tee -a "$log"
  else
    echo "run $run: FAIL in $(($(date +%s) - start)) s; see $log_dir/run$run.log" | tee -a "$log"
    break
  fi
done
echo "done: $pass/$runs passed $(date -u +%H:%M:%S)" | tee -a "$log"
[ "$pass" -eq "$runs" ]
