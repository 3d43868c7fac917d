#!/usr/bin/env bash
# bench-train.sh TASKS_DIR [ITERATIONS] — training throughput of `metarec train` on a build-tasks
# output: task adaptations per second on local[1] and local[2] over a fixed number of iterations
# (default 100, no validation or early stopping in the way; extra settings for both runs in
# BENCH_TRAIN_SET, e.g. "train.exchange=jobs"), then one run to convergence on local[2] with the
# default settings. For each throughput run: the whole run's rate and share of slot time outside
# the kernel (model.json), and the rate over the second half of the iterations (metrics.csv), once
# the JIT has compiled the kernel. Prints one line per run; figures go to BENCHMARKS.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
metarec_build_if_needed
TASKS="${1:?usage: bench-train.sh TASKS_DIR [ITERATIONS]}"
ITER="${2:-100}"
WORK="${BENCH_DIR:-/tmp/metarec-bench}"
mkdir -p "$WORK"
field() { # model.json key path → value
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$@"
}
for master in 'local[1]' 'local[2]'; do
  out="$WORK/train-throughput-${master//[^0-9]/}"
  rm -rf "$out" "$out.checkpoints"
  /usr/bin/time -v "$METAREC_ROOT/scripts/metarec" train --tasks "$TASKS" --model "$out" \
    --master "$master" --iterations "$ITER" --set train.validateEvery="$ITER" \
    --set train.checkpointEvery="$ITER" --set train.patience=0 \
    ${METAREC_BENCH_LOOP:+$(printf -- '--set %s ' $METAREC_BENCH_LOOP)} ${BENCH_TRAIN_SET:+$(printf -- '--set %s ' $BENCH_TRAIN_SET)} >"$out.log" 2>&1
  # second half: iterations ITER/2+1 .. ITER-1 (the last row also holds the final validation)
  steady=$(python3 -c "
import csv,sys
rows=list(csv.DictReader(open(sys.argv[1])))
n=len(rows); a=rows[n//2-1]; b=rows[n-2]
print('%.1f' % (sum(float(r['tasks']) for r in rows[n//2:n-1]) / (float(b['elapsed_s'])-float(a['elapsed_s']))))" \
    "$out/metrics.csv")
  printf '%-9s %4s iterations: %8.1f task adaptations/s (second half %s), outside kernel %4.1f%%, wall %6.1f s, peak RSS %s KiB\n' \
    "$master" "$ITER" "$(field "$out/model.json" "['run']['adaptationsPerSecond']")" "$steady" \
    "$(python3 -c "import json,sys; print(100*json.load(open(sys.argv[1]))['run']['outsideKernelShare'])" "$out/model.json")" \
    "$(field "$out/model.json" "['run']['wallSeconds']")" \
    "$(grep 'Maximum resident' "$out.log" | awk '{print $NF}')"
done
out="$WORK/train-converge"
rm -rf "$out" "$out.checkpoints"
"$METAREC_ROOT/scripts/metarec" train --tasks "$TASKS" --model "$out" --master 'local[2]' \
  >"$out.log" 2>&1
printf 'convergence (local[2], defaults): %s iterations (best %s), %.1f meta-epochs, wall %.1f s, validation %s\n' \
  "$(field "$out/model.json" "['run']['iterations']")" \
  "$(field "$out/model.json" "['metrics']['bestIteration']")" \
  "$(field "$out/model.json" "['run']['metaEpochs']")" \
  "$(field "$out/model.json" "['run']['wallSeconds']")" \
  "$(field "$out/model.json" "['metrics']['validation']")"
