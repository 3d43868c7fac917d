#!/usr/bin/env bash
# submit.sh [--target local|standalone|yarn|k8s] [--gpu] [--dry-run] <command> [options]
#
# Runs a MetaRec command (train, pipeline, nightly, evaluate, ...: `scripts/metarec --help`) with
# spark-submit: the application jar (built when missing), the Java 17 options, and the Spark
# properties of conf/spark-defaults.conf merged with conf/spark-<target>.conf and, with --gpu,
# conf/spark-gpu.conf (later files win; the merged file is passed as --properties-file).
#
# Environment:
#   SPARK_HOME            Spark 3.5 (Scala 2.12) installation; else spark-submit on PATH
#   METAREC_SUBMIT_ARGS   extra spark-submit arguments, e.g. "--master spark://host:7077
#                         --num-executors 16" (they win over the properties files)
#   METAREC_APP_JAR       the application jar (default spark-jobs/target/metarec-spark-jobs-*-app.jar)
#   METAREC_SPARK_CONF    folder of the spark-*.conf files (default conf/)
#
# Examples:
#   scripts/submit.sh --target yarn train --tasks hdfs:///metarec/tasks --model hdfs:///metarec/model
#   METAREC_SUBMIT_ARGS="--master spark://m:7077" scripts/submit.sh --target standalone \
#     pipeline --run /shared/runs/today --input /shared/logs --format parquet
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"

target=""
gpu=""
dry=""
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="${2:?--target needs local, standalone, yarn or k8s}"; shift 2 ;;
    --target=*) target="${1#--target=}"; shift ;;
    --gpu) gpu=yes; shift ;;
    --dry-run) dry=yes; shift ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "submit.sh: a MetaRec command is required (see submit.sh --help)" >&2
  exit 2
fi

CONF_DIR="${METAREC_SPARK_CONF:-$METAREC_ROOT/conf}"
files=("$CONF_DIR/spark-defaults.conf")
if [ -n "$target" ] && [ "$target" != "local" ]; then
  files+=("$CONF_DIR/spark-$target.conf")
fi
[ -n "$gpu" ] && files+=("$CONF_DIR/spark-gpu.conf")
for f in "${files[@]}"; do
  if [ ! -f "$f" ]; then
    echo "submit.sh: $f not found (--target must be local, standalone, yarn or k8s)" >&2
    exit 2
  fi
done

# Merge the properties files: one line per key, the last file's value wins.
props="$(mktemp "${TMPDIR:-/tmp}/metarec-spark.XXXXXX.conf")"
trap 'rm -f "$props"' EXIT
# The driver's log configuration joins its Java options (--driver-java-options would replace the
# module openings); it applies in client mode, in cluster mode the cluster's log4j2 settings do.
awk -v log4j="-Dlog4j2.configurationFile=file:$METAREC_ROOT/conf/log4j2.properties" '
  /^[[:space:]]*(#|$)/ { next }
  { key = $1; sub(/^[[:space:]]*[^[:space:]]+[[:space:]]*/, ""); if (!(key in v)) order[n++] = key; v[key] = $0 }
  END {
    if (!("spark.driver.extraJavaOptions" in v)) order[n++] = "spark.driver.extraJavaOptions"
    v["spark.driver.extraJavaOptions"] = v["spark.driver.extraJavaOptions"] " " log4j
    for (i = 0; i < n; i++) printf "%s %s\n", order[i], v[order[i]]
  }
' "${files[@]}" > "$props"

app_jar() {
  local jars=("$METAREC_ROOT"/spark-jobs/target/metarec-spark-jobs-*-app.jar)
  echo "${jars[0]}"
}
APP_JAR="${METAREC_APP_JAR:-$(app_jar)}"
if [ -z "$dry" ] && [ ! -f "$APP_JAR" ]; then
  echo "submit.sh: building the application jar (mvn package, tests skipped)..." >&2
  (cd "$METAREC_ROOT" && mvn -B -q -DskipTests ${gpu:+-Pgpu} package) >&2
  APP_JAR="${METAREC_APP_JAR:-$(app_jar)}"
fi

if [ -n "${SPARK_HOME:-}" ]; then
  SUBMIT="$SPARK_HOME/bin/spark-submit"
elif command -v spark-submit >/dev/null 2>&1; then
  SUBMIT="$(command -v spark-submit)"
else
  SUBMIT=""
  if [ -z "$dry" ]; then
    echo "submit.sh: no Spark found: set SPARK_HOME to a Spark 3.5 (Scala 2.12) installation or" \
      "put spark-submit on PATH (for runs on this machine without Spark, use scripts/metarec)" >&2
    exit 2
  fi
fi

cmd=("${SUBMIT:-spark-submit}" --class io.metarec.cli.MetaRecCli --name "metarec $1"
  --properties-file "$props")
[ -n "$gpu" ] && cmd+=(--files "$METAREC_ROOT/scripts/gpu-discovery.sh")
# shellcheck disable=SC2206
extra=(${METAREC_SUBMIT_ARGS:-})
cmd+=("${extra[@]+"${extra[@]}"}" "$APP_JAR" "$@")

if [ -n "$dry" ]; then
  echo "# properties ($props, merged from ${files[*]}):"
  cat "$props"
  printf '%q ' "${cmd[@]}"
  echo
  exit 0
fi
echo "submit.sh: ${cmd[*]}" >&2
# Not exec: the trap removes the merged properties file when spark-submit returns.
"${cmd[@]}"
