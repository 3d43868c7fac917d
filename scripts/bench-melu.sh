#!/usr/bin/env bash
# bench-melu.sh [ML100K_DIR] — MovieLens-100K under the MeLU protocol (Lee et al. 2019): users
# with 13–100 ratings, 10 random ratings as the query, the rest as the support; 20% of users held
# out. For each seed in SEEDS (default "1 2 3 4 5": the query draw and the training both follow
# it) it builds the tasks, meta-trains with the defaults (validated, and the adaptation chosen, at
# each task's own split: train.validationSupports = [], as the protocol scores) and evaluates the
# test users with evaluate.protocol = task-split against the bias baseline; prints one line per
# seed and the mean.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
metarec_build_if_needed
DATA="${1:-$METAREC_ROOT/../shared/data/ml-100k}"
WORK="${BENCH_DIR:-/tmp/metarec-melu}"
SEEDS="${SEEDS:-1 2 3 4 5}"
MASTER="${MASTER:-local[2]}"
M="$METAREC_ROOT/scripts/metarec"
MELU=(--set split.test=0.2 --set tasks.supportSize=0 --set tasks.querySize=10
  --set tasks.ordering=random --set tasks.minInteractions=13 --set tasks.maxInteractions=100
  --set tasks.overflow=drop)
mkdir -p "$WORK"
for s in $SEEDS; do
  "$M" build-tasks --input "$DATA" --format movielens --out "$WORK/tasks-$s" "${MELU[@]}" \
    --set seed="$s" --master "$MASTER" > "$WORK/build-$s.log" 2>&1
  rm -rf "$WORK/meta-$s" "$WORK/meta-$s.checkpoints"
  "$M" train --tasks "$WORK/tasks-$s" --model "$WORK/meta-$s" --set seed="$s" \
    --set meta.resplit.maxSupport=90 --set 'train.validationSupports=[]' \
    --master "$MASTER" > "$WORK/train-$s.log" 2>&1
  "$M" evaluate --tasks "$WORK/tasks-$s" --model "$WORK/meta-$s" --report "$WORK/report-$s" \
    --set seed="$s" --set evaluate.protocol=task-split \
    --set 'evaluate.baselines=[bias, item-mean, no-adapt]' --set 'evaluate.steps=[]' \
    --master "$MASTER" > "$WORK/evaluate-$s.log" 2>&1
  python3 - "$WORK/report-$s/metrics.json" "$s" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["methods"]
print("seed %s: " % sys.argv[2] + "  ".join("%s MAE %.4f (all %.4f) RMSE %.4f" % (
    k, v["byK"]["0"]["mae"]["mean"], v["byK"]["0"]["mae_all"]["mean"], v["byK"]["0"]["rmse"]["mean"])
    for k, v in m.items()))
PY
done
