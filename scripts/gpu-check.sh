#!/usr/bin/env bash
# gpu-check.sh — run from the repository root on a machine with an NVIDIA GPU (written for an
# H100/H200 with 16 CPU cores). It
#   1. prints nvidia-smi and the GPU's compute capability;
#   2. builds with -Pgpu (ND4J's CUDA 11.6 backend; offline when the local Maven repository already
#      holds it, e.g. a carried ~/.m2, else online; adds -Pgpu-redist when no CUDA 11.6 runtime is
#      installed);
#   3. runs the batched engine's parity tests (Nd4jBatchedEngineTest, EngineFactoryTest) on the GPU;
#   4. times task adaptations per second of the ND4J engine at T = 256, 1024, 4096 and of the JVM
#      kernel on all CPU cores, in the same run (bench-engine), and prints the ratio against the
#      target (>= 20x the all-core CPU figure).
# Logs and bench-engine.json go to $OUT when set, else runs/gpu-check/. Exit codes: 0 done (the
# figures say whether the target is met), 2 no GPU, 3 the CUDA 11.6 backend cannot run on this GPU,
# 4 build or parity failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib/env.sh
source "$ROOT/scripts/lib/env.sh"
OUT_DIR="${OUT:-$ROOT/runs/gpu-check}"
mkdir -p "$OUT_DIR"
exec > >(tee "$OUT_DIR/gpu-check.log") 2>&1

echo "== nvidia-smi"
if ! nvidia-smi; then
  echo "gpu-check: nvidia-smi failed: no NVIDIA driver or GPU visible on this machine" >&2
  exit 2
fi
CC="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' ')"
echo "compute capability: ${CC:-unknown}; CPU cores: $(nproc)"

hopper_hint() {
  echo "gpu-check: ERROR: ND4J's CUDA backend (nd4j-cuda-11.6 1.0.0-M2.1, built with CUDA 11.6) cannot" >&2
  echo "  run on this GPU (compute capability ${CC:-unknown}). CUDA 11.6 predates Hopper (9.0): its" >&2
  echo "  binaries carry no sm_90 code, and kernels without PTX cannot be JIT-compiled for it. The" >&2
  echo "  batched engine needs an ND4J CUDA build for CUDA >= 11.8 on H100/H200, or an Ampere GPU." >&2
  echo "  Evidence: the matching lines of $1" >&2
}
NO_KERNEL='no kernel image is available|NO_BINARY_FOR_GPU|NoKernelImageForDevice|invalid device function|PTX JIT compil|unsupported toolchain|cudaErrorUnsupportedPtxVersion'

M2="$(mvn -q -B help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>/dev/null || echo "$HOME/.m2/repository")"
MVN_MODE=""
if [ -f "$M2/org/nd4j/nd4j-cuda-11.6/1.0.0-M2.1/nd4j-cuda-11.6-1.0.0-M2.1-linux-x86_64.jar" ]; then
  MVN_MODE="-o"
fi
PROFILES="gpu"
if ! (ldconfig -p 2>/dev/null | grep -q 'libcudart.so.11.0') && [ -z "${CUDA_11_6_HOME:-}" ]; then
  PROFILES="gpu,gpu-redist"
fi
echo "== build: mvn ${MVN_MODE:-(online)} -P$PROFILES package"
if ! mvn $MVN_MODE -B -q -P"$PROFILES" -DskipTests -Dmetarec.skipAppJar=true package >"$OUT_DIR/build.log" 2>&1; then
  tail -40 "$OUT_DIR/build.log"
  echo "gpu-check: the -P$PROFILES build failed (log: $OUT_DIR/build.log)" >&2
  exit 4
fi
CP="$ROOT/spark-jobs/target/classes:$(cat "$ROOT/spark-jobs/target/classpath.txt")"
JAVA_OPTS=(-Xmx24g -Dorg.bytedeco.javacpp.maxbytes=48G -Dorg.bytedeco.javacpp.maxphysicalbytes=64G
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties")

echo "== ND4J backend check"
# shellcheck disable=SC2086
if ! java "${JAVA_OPTS[@]}" $JAVA17_OPENS $JAVA_VECTOR_OPTS -cp "$CP" io.metarec.cli.MetaRecCli bench-engine --engine nd4j \
    --block 16 --tasks 64 --seconds 1 >"$OUT_DIR/smoke.log" 2>&1; then
  if grep -Eiq "$NO_KERNEL" "$OUT_DIR/smoke.log"; then
    hopper_hint "$OUT_DIR/smoke.log"
    grep -Ei "$NO_KERNEL" "$OUT_DIR/smoke.log" | head -5 >&2
    exit 3
  fi
  tail -40 "$OUT_DIR/smoke.log"
  echo "gpu-check: the ND4J engine did not start (log: $OUT_DIR/smoke.log)" >&2
  exit 4
fi
head -1 "$OUT_DIR/smoke.log"
if ! grep -q "JCublasBackend" "$OUT_DIR/smoke.log"; then
  echo "gpu-check: ND4J did not load its CUDA backend (see $OUT_DIR/smoke.log)" >&2
  exit 4
fi

echo "== parity tests on the GPU (Nd4jBatchedEngineTest, EngineFactoryTest)"
set +e
mvn $MVN_MODE -B -P"$PROFILES" verify -Dmetarec.skipAppJar=true -pl core,spark-jobs \
  -Dtest='Nd4jBatchedEngineTest,EngineFactoryTest' -Dsurefire.failIfNoSpecifiedTests=false \
  >"$OUT_DIR/parity.log" 2>&1
PARITY=$?
set -e
grep -E "Tests run:|FAIL" "$OUT_DIR/parity.log" | tail -5 || true
if [ "$PARITY" -ne 0 ]; then
  if grep -Eiq "$NO_KERNEL" "$OUT_DIR/parity.log" spark-jobs/target/surefire-reports/*.txt 2>/dev/null; then
    hopper_hint "$OUT_DIR/parity.log"
    exit 3
  fi
  echo "gpu-check: parity tests failed on the GPU (log: $OUT_DIR/parity.log)" >&2
  exit 4
fi

echo "== bench-engine: ND4J at T = 256, 1024, 4096 vs the JVM kernel on $(nproc) cores"
# shellcheck disable=SC2086
java "${JAVA_OPTS[@]}" $JAVA17_OPENS $JAVA_VECTOR_OPTS -cp "$CP" io.metarec.cli.MetaRecCli bench-engine \
  --block 256,1024,4096 --threads "$(nproc)" --feeders "${FEEDERS:-4}" --tasks 16384 \
  --seconds "${SECONDS_PER_RUN:-20}" --json "$OUT_DIR/bench-engine.json" | tee "$OUT_DIR/bench.log"

echo "== summary (target: >= 20x the JVM kernel on all $(nproc) cores)"
python3 - "$OUT_DIR/bench-engine.json" <<'PY' || cat "$OUT_DIR/bench-engine.json"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
jvm = next(r for r in rows if r["engine"] == "jvm")
print(f"jvm  threads={jvm['threads']:3d}            {jvm['tasks_per_s']:12.1f} tasks/s")
for r in rows:
    if r["engine"] == "nd4j":
        x = r["tasks_per_s"] / jvm["tasks_per_s"]
        print(f"nd4j T={r['block']:5d} feeders={r['threads']}    {r['tasks_per_s']:12.1f} tasks/s  "
              f"{x:6.2f}x  {'target met' if x >= 20 else 'below the 20x target'}")
PY
