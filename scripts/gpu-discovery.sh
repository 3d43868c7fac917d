#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript): prints the GPUs of
# this node as Spark's resource JSON, {"name": "gpu", "addresses": ["0", "1", ...]}: the CUDA
# device ordinals the executor will see. When CUDA_VISIBLE_DEVICES restricts the visible devices
# (YARN, containers), CUDA renumbers them 0..n-1, and so does this script. A node
# without nvidia-smi reports no GPUs (the executor then fails to start if it asked for one,
# which is what Spark expects of a discovery script).
set -euo pipefail
addresses=()
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ] && [ "${CUDA_VISIBLE_DEVICES}" != "NoDevFiles" ]; then
  IFS=',' read -r -a visible <<< "${CUDA_VISIBLE_DEVICES}"
  for i in "${!visible[@]}"; do
    addresses+=("$i")
  done
elif command -v nvidia-smi >/dev/null 2>&1; then
  while IFS= read -r index; do
    index="${index//[[:space:]]/}"
    [ -n "$index" ] && addresses+=("$index")
  done < <(nvidia-smi --query-gpu=index --format=csv,noheader)
fi
json=""
for a in "${addresses[@]+"${addresses[@]}"}"; do
  json="${json:+$json, }\"$a\""
done
printf '{"name": "gpu", "addresses": [%s]}\n' "$json"
