#!/usr/bin/env bash
# quickstart.sh [OUT_DIR] — the whole pipeline on the embedded synthetic data set, in Spark local
# mode: generate → build-tasks → train → evaluate (with a report) → recommend.
# Default OUT_DIR: runs/quickstart. Everything it writes stays under OUT_DIR; the report lands in
# OUT_DIR/report (report.md, report.html, metrics.json, charts). Extra options for every step
# come from QUICKSTART_OPTS (e.g. QUICKSTART_OPTS="--master local[4]").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
OUT="${1:-$METAREC_ROOT/runs/quickstart}"
OPTS=(${QUICKSTART_OPTS:-})
M="$METAREC_ROOT/scripts/metarec"
start=$(date +%s)
step() { printf '\n== %s (%ds)\n' "$1" "$(( $(date +%s) - start ))"; }

step "generate: the synthetic 'small' data set (3,000 users)"
"$M" generate --size small --out "$OUT/data" "${OPTS[@]}"
step "build-tasks: validate, index, split users, write meta-tasks"
"$M" build-tasks --input "$OUT/data/interactions" --user-features "$OUT/data/users" \
  --item-features "$OUT/data/items" --out "$OUT/tasks" --set split.test=0.2 "${OPTS[@]}"
step "train: distributed meta-training with early stopping"
"$M" train --tasks "$OUT/tasks" --model "$OUT/model" --iterations 300 "${OPTS[@]}"
step "evaluate: cold-start users against the baselines"
"$M" evaluate --tasks "$OUT/tasks" --model "$OUT/model" --report "$OUT/report" \
  --name quickstart "${OPTS[@]}"
step "recommend: top 10 for every user of the generated log"
"$M" recommend --model "$OUT/model" --input "$OUT/data/interactions" --out "$OUT/recommendations" \
  --user-features "$OUT/data/users" "${OPTS[@]}"
step "done"
echo "report:          $OUT/report/report.md (and report.html)"
echo "recommendations: $OUT/recommendations/recommendations (Parquet: user_id, rank, item_id, score)"
