#!/usr/bin/env bash
# bench-catalog.sh [ITEMS...] — training cost against catalog size (issue 19's bar): for each item
# count (default 20000 1000000), the same users and seed (BENCH_USERS, default 50000; seed 42) are
# generated, turned into tasks and trained for BENCH_ITERATIONS (default 30) iterations with a
# validation every 10, on BENCH_MASTER (default local[2]) with BENCH_CATALOG_SET settings (e.g.
# "train.exchange=jobs"). Data is kept in BENCH_DIR (default /tmp/metarec-catalog) and reused when
# it is there. Per item count it prints the parameters, the task adaptations per second and the
# share of slot time outside the kernel (the progress line's "outside kernel"), θ bytes sent per
# iteration, wall time and peak RSS of each step; the last line is the 1M/20k rate ratio.
# BENCH_REPEATS (default 1) trains every size that many times, the sizes alternating (20k, 1M,
# 20k, 1M, ...), and the ratio is that of the median rates: on two shared cores one run's rate
# moves by ±30% with where the collector's pauses land, which no single pair of runs averages out.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
metarec_build_if_needed
ITEMS=("${@:-20000 1000000}")
# shellcheck disable=SC2206
ITEMS=(${ITEMS[*]})
USERS="${BENCH_USERS:-50000}"
ITER="${BENCH_ITERATIONS:-30}"
MASTER="${BENCH_MASTER:-local[2]}"
WORK="${BENCH_DIR:-/tmp/metarec-catalog}"
mkdir -p "$WORK"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores; master $MASTER; ${USERS} users; ${ITER} iterations${BENCH_CATALOG_SET:+; $BENCH_CATALOG_SET}"
timed() { # timed LOG CMD... → runs CMD with its output in LOG; prints "wall s, peak RSS GB"
  local log="$1"; shift
  /usr/bin/time -f '%e %M' -o "$log.time" "$@" >"$log" 2>&1 || { tail -20 "$log" >&2; exit 1; }
  awk '{printf "%.1f s, %.2f GB", $1, $2/1048576}' "$log.time"
}
REPEATS="${BENCH_REPEATS:-1}"
declare -A RATE RATES
for rep in $(seq 1 "$REPEATS"); do
for n in "${ITEMS[@]}"; do
  g="$WORK/g-$USERS-$n" t="$WORK/t-$USERS-$n" m="$WORK/m-$USERS-$n"
  gen="kept"; tasks="kept"
  if [ ! -f "$g/_metarec-output.json" ]; then
    rm -rf "$g"
    gen=$(timed "$g.log" "$METAREC_ROOT/scripts/metarec" generate --out "$g" --users "$USERS" \
      --items "$n" --master "$MASTER")
  fi
  if [ ! -f "$t/_metarec-output.json" ]; then
    rm -rf "$t"
    tasks=$(timed "$t.log" "$METAREC_ROOT/scripts/metarec" build-tasks --input "$g/interactions" \
      --user-features "$g/users" --item-features "$g/items" --out "$t" --master "$MASTER")
  fi
  rm -rf "$m" "$m.checkpoints"
  train=$(timed "$m.log" "$METAREC_ROOT/scripts/metarec" train --tasks "$t" --model "$m" \
    --iterations "$ITER" --master "$MASTER" --set train.validateEvery=10 --set train.patience=0 \
    ${METAREC_BENCH_LOOP:+$(printf -- '--set %s ' $METAREC_BENCH_LOOP)} ${BENCH_CATALOG_SET:+$(printf -- '--set %s ' $BENCH_CATALOG_SET)})
  read -r rate outside < <(python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
print(d['run']['adaptationsPerSecond'], 100*d['run']['outsideKernelShare'])" "$m/model.json")
  last=$(grep -o 'outside kernel [0-9]*%' "$m.log" | tail -1 || true)
  sent=$(grep -o 'exchange: [0-9.]* MB of θ sent over [0-9]* iterations ([0-9.]* MB full θ[^)]*)' "$m.log" | tail -1 || true)
  params=$(grep -o '[0-9]* parameters' "$m.log" | head -1 || true)
  driver=$(grep -o 'driver memory for θ: .*' "$m.log" | head -1 || true)
  RATES[$n]="${RATES[$n]:-} $rate"
  printf '%8s items: %s; %.0f task adaptations/s, outside kernel %.1f%% (last progress line: %s)%s\n' \
    "$n" "$params" "$rate" "$outside" "$last" "$([ "$REPEATS" -gt 1 ] && echo "; run $rep of $REPEATS")"
  printf '%8s        %s; %s\n' "" "$sent" "$driver"
  printf '%8s        generate %s; build-tasks %s; train %s\n' "" "$gen" "$tasks" "$train"
done
done
for n in "${ITEMS[@]}"; do
  # shellcheck disable=SC2086
  RATE[$n]=$(python3 -c "import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))" ${RATES[$n]})
  if [ "$REPEATS" -gt 1 ]; then
    # shellcheck disable=SC2086
    printf '%8s items: median %.0f task adaptations/s of %s\n' "$n" "${RATE[$n]}" \
      "$(python3 -c "import sys; print(' / '.join('%.0f' % float(x) for x in sys.argv[1:]))" ${RATES[$n]})"
  fi
done
if [ "${#ITEMS[@]}" -ge 2 ]; then
  first="${ITEMS[0]}" last="${ITEMS[${#ITEMS[@]}-1]}"
  python3 -c "import sys; print('tasks/s with %s items / with %s items: %.2f%s' % (sys.argv[2], sys.argv[1], float(sys.argv[4]) / float(sys.argv[3]), sys.argv[5]))" \
    "$first" "$last" "${RATE[$first]}" "${RATE[$last]}" "$([ "$REPEATS" -gt 1 ] && echo " (medians of $REPEATS runs each)")"
fi
