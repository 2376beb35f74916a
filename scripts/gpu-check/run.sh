#!/usr/bin/env bash
# On a machine with an NVIDIA GPU (driver with Vulkan), PyTorch with CUDA, no internet and maybe
# no Node or Vulkan loader: finds a WebGPU adapter (the packed loader first on the library path;
# when the defaults find none, each Vulkan ICD file under the usual driver folders in turn) and
# says which one it got or why none; then, on that adapter,
#   1. the three networks' loss and gradients against the cpu backend (`ctc bench --check`), and
#      ctc's training step timed beside PyTorch's on cuda, same networks, batch and steps;
#   2. a real run: LeNets++ with contrastive-center loss on MNIST (carried in the archive) for
#      TRAIN_ITERATIONS iterations, its test accuracy and wall time beside ctc's wasm+onednn run of
#      the same recipe on a 2-core CPU (results/gpu/reference, carried in the archive).
# Results, at most 8 files, in ./gpu-check-results/ (or $OUT/gpu-check-results); the whole
# output in run.log there. NETS, BATCH, STEPS, TRAIN_ITERATIONS and TRAIN_SETS (extra --set
# key=value words for the run) scale it down for tests.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
node="$here/bin/node"
out="${OUT:-$PWD}/gpu-check-results"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
exec > >(tee "$out/run.log") 2>&1
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# ctc checks an adapter against the cpu backend before trusting it; here a failing adapter is
# run anyway (with a warning) so that its numbers show what is wrong.
export CTC_TRUST_GPU=1
export XDG_CACHE_HOME="$work/cache"
nets="${NETS:-lenets,lenetspp,resnet20}"
batch="${BATCH:-128}"
steps="${STEPS:-20}"
iterations="${TRAIN_ITERATIONS:-2000}"
started=$(date +%s)
echo "gpu-check: commit $(cat "$here/COMMIT" 2>/dev/null), loader $(cat "$here/lib/VERSION" 2>/dev/null || echo 'the system one'), $(date -u +%FT%TZ)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

# One tiny webgpu step: ctc's "backend: webgpu (...)" and "self-check: ..." lines, or its error.
probe() {
  "$node" "$here/ctc.mjs" bench --backend webgpu --nets lenets --batch 2 --steps 1 --warmup 0 \
    --no-torch --no-loss --peak-runs 0 --out "$work/probe" 2>&1 | grep -E '^(backend: |self-check: |ctc: )'
}
first() { grep -v '^ctc: warning' <<<"$1" | head -1; }
found=""
lines=$(probe)
if [[ "$(first "$lines")" == backend:* ]]; then
  found="defaults"
else
  echo "gpu-check: no adapter with the defaults: $(first "$lines" || true)"
  for dir in /usr/local/nvidia/share/vulkan/icd.d /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    for icd in "$dir"/*.json; do
      [ -f "$icd" ] || continue
      lines=$(VK_DRIVER_FILES="$icd" probe)
      if [[ "$(first "$lines")" == backend:* ]]; then
        export VK_DRIVER_FILES="$icd"
        found="$icd"
        break 2
      fi
      echo "gpu-check: $icd: $(first "$lines")"
    done
  done
fi
if [ -z "$found" ]; then
  echo "gpu-check: no WebGPU adapter: no Vulkan ICD under the usual folders gave one (see above); is the GPU driver's Vulkan ICD installed?"
  exit 1
fi
line=$(first "$lines")
echo "gpu-check: adapter (ICD: $found): ${line#backend: }"
grep -E '^(self-check: |ctc: warning)' <<<"$lines" | sed 's/^/gpu-check: /'

echo "gpu-check: 1. gradients against the cpu backend, then step times beside PyTorch cuda ($nets, batch $batch, $steps steps)"
"$node" "$here/ctc.mjs" bench --backend webgpu --check --nets "$nets" --batch "$batch" --steps "$steps" --warmup 5 \
  --no-torch --no-loss --peak-runs 3 --out "$out" 2>&1 | grep -v '^Warning: maxDynamic'
python3 "$here/scripts/torch_reference.py" --device cuda --nets "$nets" --batch "$batch" --steps "$steps" --warmup 5 \
  --no-loss --formats contiguous,channels_last > "$out/torch-cuda.json" 2> "$work/torch-cuda.log" || {
  echo "gpu-check: PyTorch on cuda failed:"
  tail -5 "$work/torch-cuda.log"
  rm -f "$out/torch-cuda.json"
}
"$node" "$here/scripts/side-by-side.mjs" "$out/bench.json" "$out/torch-cuda.json" | tee "$out/side-by-side.md"

echo "gpu-check: 2. LeNets++ contrastive-center on MNIST, $iterations iterations on webgpu"
sets=(--set "train.iterations=$iterations" --set "dataset.path=$here/data/mnist")
for s in ${TRAIN_SETS:-}; do sets+=(--set "$s"); done
"$node" "$here/ctc.mjs" train --config mnist-lenetspp-contrastive-center.yaml "${sets[@]}" --backend webgpu \
  --out "$work/train" 2>&1 | grep -v '^Warning: maxDynamic' | tail -5
cp "$work/train/summary.json" "$out/train-summary.json" 2>/dev/null && cp "$work/train/metrics.jsonl" "$out/train-metrics.jsonl"
"$node" "$here/scripts/training.mjs" "$out/train-summary.json" "$here/reference/summary.json" | tee "$out/training.md"
echo "gpu-check: done in $(($(date +%s) - started)) s; results in $out: $(ls "$out" | tr '\n' ' ')"
