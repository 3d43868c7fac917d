#!/usr/bin/env bash
# bench-peer.sh [ROUNDS] — the JVM inner-loop kernel against the task-batched PyTorch peer on the
# same cores. Each round runs, one after the other: `scripts/metarec bench-kernel --threads 1`, the
# peer on 1 process, `bench-kernel --threads 2`, the peer on 2 processes (one thread each), and with
# BENCH_PEER_SCALAR=1 also bench-kernel on 1 and 2 threads without the Vector API module. Then it
# prints, per round and as the median over rounds, µs per task step of each and the ratio peer / JVM
# (above 1: the JVM kernel is ahead). The peer's figure is that of its best T (batch of tasks).
#
# Environment:
#   PEER          the peer (default ../shared/bench/torch_batched_peer.py next to the repository)
#   PEER_PYTHON   Python with torch (default /usr/bin/python3: Debian's python3-torch; install
#                 libopenblas0-pthread too, or torch runs on the reference BLAS, ~10x slower)
#   PEER_T        task batch sizes the peer tries (default 16,64,256,1024)
#   PEER_REPS     timed repetitions per peer measurement (default 5)
#   KERNEL_REPEAT bench-kernel --repeat (default 5)
#   BENCH_DIR     where the JSON of every run and summary.json go (default a new temporary folder)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"

ROUNDS="${1:-2}"
PEER="${PEER:-$METAREC_ROOT/../shared/bench/torch_batched_peer.py}"
PEER_PYTHON="${PEER_PYTHON:-/usr/bin/python3}"
PEER_T="${PEER_T:-16,64,256,1024}"
PEER_REPS="${PEER_REPS:-5}"
KERNEL_REPEAT="${KERNEL_REPEAT:-5}"
BENCH_DIR="${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/metarec-bench-peer.XXXXXX")}"
mkdir -p "$BENCH_DIR"

if ! [[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]]; then
  echo "bench-peer.sh: ROUNDS must be a positive integer, got '$ROUNDS'" >&2
  exit 2
fi
if [ ! -f "$PEER" ]; then
  echo "bench-peer.sh: peer not found at $PEER (set PEER)" >&2
  exit 2
fi
if ! "$PEER_PYTHON" -c 'import torch' 2>/dev/null; then
  echo "bench-peer.sh: $PEER_PYTHON cannot import torch (apt-get install -y python3-torch libopenblas0-pthread)" >&2
  exit 2
fi

echo "bench-peer.sh: $ROUNDS round(s), output in $BENCH_DIR" >&2
echo "bench-peer.sh: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

kernel() { # kernel OUT THREADS [VECTOR_OPTS]
  local out="$1" threads="$2"
  if [ $# -ge 3 ]; then
    METAREC_VECTOR_OPTS="$3" "$METAREC_ROOT/scripts/metarec" bench-kernel --threads "$threads" \
      --repeat "$KERNEL_REPEAT" --no-dl4j --json "$out" >/dev/null 2>"$out.log"
  else
    "$METAREC_ROOT/scripts/metarec" bench-kernel --threads "$threads" --repeat "$KERNEL_REPEAT" --no-dl4j \
      --json "$out" >/dev/null 2>"$out.log"
  fi
  echo "  $(basename "$out"): $(cat "$out")" >&2
}

peer() { # peer OUT PROCS
  local out="$1" procs="$2"
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$PEER_PYTHON" "$PEER" --mode bench --threads 1 --procs "$procs" \
    --T "$PEER_T" --reps "$PEER_REPS" --json "$out" >"$out.log" 2>&1
  sed 's/^/  /' "$out.log" >&2
}

for r in $(seq 1 "$ROUNDS"); do
  echo "round $r (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  kernel "$BENCH_DIR/jvm-1-r$r.json" 1
  peer "$BENCH_DIR/peer-1-r$r.json" 1
  kernel "$BENCH_DIR/jvm-2-r$r.json" 2
  peer "$BENCH_DIR/peer-2-r$r.json" 2
  if [ -n "${BENCH_PEER_SCALAR:-}" ]; then
    kernel "$BENCH_DIR/scalar-1-r$r.json" 1 ""
    kernel "$BENCH_DIR/scalar-2-r$r.json" 2 ""
  fi
done

"$PEER_PYTHON" - "$BENCH_DIR" "$ROUNDS" <<'EOF'
import json, os, statistics, sys

d, rounds = sys.argv[1], int(sys.argv[2])

def load(name):
    p = os.path.join(d, name)
    return json.load(open(p)) if os.path.exists(p) else None

def best(peer):
    r = min(peer["results"], key=lambda x: x["usPerTaskStep"])
    return r["usPerTaskStep"], r["T"]

rows, summary = [], {"rounds": rounds, "threads": {}}
print(f"{'threads':>7} {'round':>5} {'JVM us/step':>12} {'peer us/step (best T)':>22} {'peer/JVM':>9}"
      f" {'scalar us/step':>15} {'peer/scalar':>12}")
for t in (1, 2):
    ratios, jv, pv, sv = [], [], [], []
    for r in range(1, rounds + 1):
        j, p, s = load(f"jvm-{t}-r{r}.json"), load(f"peer-{t}-r{r}.json"), load(f"scalar-{t}-r{r}.json")
        pu, pt = best(p)
        ju = j["us_per_task_step"]
        su = s["us_per_task_step"] if s else None
        jv.append(ju); pv.append(pu); ratios.append(pu / ju)
        if su:
            sv.append(su)
        print(f"{t:>7} {r:>5} {ju:>12.2f} {pu:>14.2f} (T={pt:<4}) {pu / ju:>9.2f}"
              + (f" {su:>15.2f} {pu / su:>12.2f}" if su else ""))
    med = {"jvm_us": statistics.median(jv), "peer_us": statistics.median(pv),
           "peer_over_jvm": statistics.median(ratios), "kernel": j["kernel"]}
    if sv:
        med["scalar_us"] = statistics.median(sv)
    summary["threads"][t] = med
    print(f"{t:>7} {'med':>5} {med['jvm_us']:>12.2f} {med['peer_us']:>22.2f} {med['peer_over_jvm']:>9.2f}"
          + (f" {med['scalar_us']:>15.2f} {med['peer_us'] / med['scalar_us']:>12.2f}" if sv else ""))
print(f"kernel: {summary['threads'][1]['kernel']}")
json.dump(summary, open(os.path.join(d, "summary.json"), "w"), indent=1)
EOF
