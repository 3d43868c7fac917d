#!/usr/bin/env bash
# quickstart.sh [RUN_DIR] — the whole pipeline on the embedded synthetic data set, in Spark local
# mode: generate → build-tasks → train → evaluate (with a report) → recommend, as one
# `metarec pipeline` run with conf/quickstart.conf. Default RUN_DIR: runs/quickstart. Everything it
# writes stays under RUN_DIR; the report lands in RUN_DIR/report (report.md, report.html,
# metrics.json, charts). A second run reuses the build and skips the stages whose inputs and
# settings are unchanged (add --force to QUICKSTART_OPTS to rerun them). Extra options come from
# QUICKSTART_OPTS (e.g. QUICKSTART_OPTS="--master local[4] --set meta.iterations=100").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
RUN="${1:-$METAREC_ROOT/runs/quickstart}"
# shellcheck disable=SC2206
OPTS=(${QUICKSTART_OPTS:-})
start=$(date +%s)
"$METAREC_ROOT/scripts/metarec" pipeline --conf "$METAREC_ROOT/conf/quickstart.conf" --run "$RUN" \
  "${OPTS[@]+"${OPTS[@]}"}"
echo "quickstart: $(( $(date +%s) - start )) s"
echo "recommendations: $RUN/recommendations/recommendations (Parquet: user_id, rank, item_id, score)"
