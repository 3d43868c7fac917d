#!/usr/bin/env bash
# bench-ml100k.sh [ML100K_DIR] — the MovieLens-100K strict cold-start benchmark of BENCHMARKS.md
# with the defaults of conf/metarec.conf (no recipe): build-tasks (20% of users held out as
# cold-start test users, support = first ratings by time), the DL4J-Spark pretrained baseline
# (stopped on the validation users), meta-training for each seed in SEEDS (default "1 2 3"), and one
# evaluate run over all of them on the test users (every baseline computed in the same run; the
# headline compares the first seed's model with the best baseline). WARM=1 warm-starts each seed
# from the pretrained model instead (--init-from, meta.tableL2 = 0.1). The report goes to REPORT
# (default notebooks-export/ml-100k); work files to BENCH_DIR (default /tmp/metarec-ml100k). The
# data set is read in place, never copied. FEEDBACK=implicit runs the same benchmark on the data as
# implicit feedback (every rating an interaction, labels ignored: input.feedback=implicit), with
# the implicit baselines (popularity, ALS fold-in, item-knn, no-adapt, scratch) and no pretrain
# stage; its defaults: BENCH_DIR /tmp/metarec-ml100k-implicit, REPORT
# notebooks-export/ml-100k-implicit. BUILD_SET adds space-separated build-tasks settings, e.g.
# FEEDBACK=implicit BUILD_SET=input.columns.weight=rating (each rating an event count).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
metarec_build_if_needed
DATA="${1:-$METAREC_ROOT/../shared/data/ml-100k}"
FEEDBACK="${FEEDBACK:-explicit}"
case "$FEEDBACK" in
  explicit) suffix="" ;;
  implicit) suffix="-implicit" ;;
  *) echo "FEEDBACK must be explicit or implicit, got '$FEEDBACK'" >&2; exit 2 ;;
esac
WORK="${BENCH_DIR:-/tmp/metarec-ml100k$suffix}"
REPORT="${REPORT:-$METAREC_ROOT/notebooks-export/ml-100k$suffix}"
SEEDS="${SEEDS:-1 2 3}"
MASTER="${MASTER:-local[2]}"
build_set=()
for kv in ${BUILD_SET:-}; do
  build_set+=(--set "$kv")
done
M="$METAREC_ROOT/scripts/metarec"
mkdir -p "$WORK"
"$M" build-tasks --input "$DATA" --format movielens --out "$WORK/tasks" --set split.test=0.2 \
  --set input.feedback="$FEEDBACK" "${build_set[@]+"${build_set[@]}"}" --master "$MASTER" \
  > "$WORK/build-tasks.log" 2>&1
if [ "$FEEDBACK" = explicit ]; then
  "$M" pretrain --tasks "$WORK/tasks" --model "$WORK/pretrained" \
    --master "$MASTER" > "$WORK/pretrain.log" 2>&1
fi
warm=()
if [ "${WARM:-0}" = 1 ]; then
  warm=(--init-from "$WORK/pretrained" --set meta.tableL2=0.1)
fi
models=()
for s in $SEEDS; do
  rm -rf "$WORK/meta-seed$s" "$WORK/meta-seed$s.checkpoints"
  "$M" train --tasks "$WORK/tasks" --model "$WORK/meta-seed$s" --set seed="$s" \
    "${warm[@]+"${warm[@]}"}" --master "$MASTER" > "$WORK/train-seed$s.log" 2>&1
  grep '^train:' "$WORK/train-seed$s.log"
  grep 'adaptation chosen for' "$WORK/train-seed$s.log" | sed 's/.*TrainJob: /  /' || true
  models+=(--model "$WORK/meta-seed$s")
done
if [ "$FEEDBACK" = explicit ]; then
  models+=(--model "$WORK/pretrained")
fi
"$M" evaluate --tasks "$WORK/tasks" "${models[@]}" --report "$REPORT" --name "ml-100k$suffix" \
  --master "$MASTER" 2>&1 | tee "$WORK/evaluate.log" | grep -v ' INFO \| WARN '
