# Shared by the scripts: repository root, Java 17 module openings, and the local build.
# shellcheck shell=bash
METAREC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Spark on Java 17 needs these on the driver and on every executor.
JAVA17_OPENS="--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false"
# The kernel's Vector API path (io.metarec.kernel.KernelPath); METAREC_VECTOR_OPTS="" runs the scalar loops.
JAVA_VECTOR_OPTS="${METAREC_VECTOR_OPTS---add-modules=jdk.incubator.vector}"
METAREC_JAR="$METAREC_ROOT/spark-jobs/target/metarec-spark-jobs.jar"
METAREC_CP_FILE="$METAREC_ROOT/spark-jobs/target/classpath.txt"

# The inner loop the speed benchmarks (bench-train, bench-catalog) measure, as BENCHMARKS.md's
# earlier figures did: 5 SGD steps on the decision layers and the user part, supports of 5-20,
# validation at each task's own split, no adaptation selection. The defaults solve the user part
# exactly instead, which is less kernel work per task; METAREC_BENCH_LOOP="" benchmarks them.
METAREC_BENCH_LOOP="${METAREC_BENCH_LOOP-inner.userSolver=sgd inner.steps=5 inner.adapt=[decision,user] meta.resplit.minSupport=5 meta.resplit.maxSupport=20 train.validationSupports=[] train.selectAdaptation.enabled=false}"

# Builds the jobs (no tests) when the jar is missing or older than any source or build file.
metarec_build_if_needed() {
  local stale=""
  if [ ! -f "$METAREC_JAR" ] || [ ! -f "$METAREC_CP_FILE" ]; then
    stale=yes
  else
    stale="$(find "$METAREC_ROOT/core/src/main" "$METAREC_ROOT/spark-jobs/src/main" \
      "$METAREC_ROOT/conf/metarec.conf" "$METAREC_ROOT/pom.xml" "$METAREC_ROOT/core/pom.xml" \
      "$METAREC_ROOT/spark-jobs/pom.xml" -newer "$METAREC_JAR" -type f -print -quit 2>/dev/null)"
  fi
  if [ -n "$stale" ]; then
    echo "metarec: building (mvn package, tests skipped; the first build downloads dependencies)..." >&2
    local log
    log="$(mktemp)"
    if ! (cd "$METAREC_ROOT" && mvn -B -q -DskipTests -Dmetarec.skipAppJar=true package) >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      echo "metarec: the build failed (output above)" >&2
      exit 1
    fi
    rm -f "$log"
  fi
}
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
