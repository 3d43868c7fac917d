#!/usr/bin/env bash
# nightly.sh --root DIR --input PATH [--date YYYY-MM-DD] [metarec nightly options...]
#
# One night of scheduled retraining (`metarec nightly`): tasks from the logs up to the date,
# warm start from the registry's latest model, evaluation of candidate and current model on the
# night's test users, promotion unless worse beyond nightly.tolerance, the last nightly.keep
# versions kept. --date defaults to yesterday (UTC), the last complete day of logs. Rerunning a
# date that finished only reports it; a failed night leaves latest untouched and resumes when
# rerun. Exit status: 0 when the night finished (promoted or rejected: see the last line), non-zero
# when it failed.
#
# Locally it runs through scripts/metarec; on a cluster set METAREC_LAUNCHER to submit.sh with
# its options, e.g. METAREC_LAUNCHER="scripts/submit.sh --target yarn".
#
# cron (02:30 every night):
#   30 2 * * * cd /opt/metarec && scripts/nightly.sh --root hdfs:///metarec/registry \
#       --input hdfs:///logs/interactions --conf conf/my-model.conf >> /var/log/metarec-nightly.log 2>&1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
args=("$@")
has_date=""
for a in "$@"; do
  case "$a" in --date|--date=*) has_date=yes ;; esac
done
if [ -z "$has_date" ]; then
  args+=(--date "$(date -u -d yesterday +%F)")
fi
# shellcheck disable=SC2206
launcher=(${METAREC_LAUNCHER:-$METAREC_ROOT/scripts/metarec})
exec "${launcher[@]}" nightly "${args[@]}"
