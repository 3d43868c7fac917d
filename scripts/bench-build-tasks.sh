#!/usr/bin/env bash
# bench-build-tasks.sh [SIZE...] — wall time and peak memory (max RSS of the JVM) of
# `metarec generate` + `metarec build-tasks` on local[2], for the given size presets (default:
# 1m 10m), and of build-tasks on MovieLens-100K when ML100K points to it (default
# ../shared/data/ml-100k). Prints one line per run; figures go to BENCHMARKS.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
metarec_build_if_needed
WORK="${BENCH_DIR:-/tmp/metarec-bench}"
ML100K="${ML100K:-$METAREC_ROOT/../shared/data/ml-100k}"
mkdir -p "$WORK"
measure() { # label, then the metarec arguments
  local label="$1"; shift
  local log="$WORK/$label.log"
  /usr/bin/time -v "$METAREC_ROOT/scripts/metarec" "$@" --master 'local[2]' >"$log" 2>&1 || {
    echo "$label FAILED, see $log"; return 1; }
  local wall rss
  wall="$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')"
  rss="$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')"
  printf '%-28s wall %8s  peak RSS %6.2f GiB\n' "$label" "$wall" "$(echo "$rss / 1048576" | bc -l)"
}
for size in "${@:-1m 10m}"; do
  for s in $size; do
    measure "generate-$s" generate --size "$s" --out "$WORK/gen-$s"
    measure "build-tasks-$s" build-tasks --input "$WORK/gen-$s/interactions" \
      --user-features "$WORK/gen-$s/users" --item-features "$WORK/gen-$s/items" \
      --out "$WORK/tasks-$s"
    grep -E '^  (rows|per task|written)' "$WORK/build-tasks-$s.log" || true
  done
done
if [ -d "$ML100K" ]; then
  measure "build-tasks-ml-100k" build-tasks --input "$ML100K" --format movielens \
    --out "$WORK/tasks-ml100k" --set split.test=0.2
fi
