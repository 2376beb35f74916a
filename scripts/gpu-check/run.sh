#!/usr/bin/env bash
# On a machine with an NVIDIA GPU (driver with Vulkan), PyTorch with CUDA, no internet and maybe
# no Node or Vulkan loader: finds a WebGPU adapter (the packed loader first on the library path;
# when the defaults find none, each Vulkan ICD file under the usual driver folders in turn), says
# which one it got or why none, then times ctc's training step on the webgpu backend and
# PyTorch's on cuda, same networks, batch and steps, side by side. Results in ./gpu-check-results/
# (or $OUT/gpu-check-results); the whole output also in run.log there.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
node="$here/bin/node"
out="${OUT:-$PWD}/gpu-check-results"
mkdir -p "$out"
exec > >(tee "$out/run.log") 2>&1
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nets="${NETS:-lenets,lenetspp,resnet20}"
batch="${BATCH:-128}"
steps="${STEPS:-20}"
echo "gpu-check: commit $(cat "$here/COMMIT" 2>/dev/null), loader $(cat "$here/lib/VERSION" 2>/dev/null || echo 'the system one')"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

# One tiny webgpu step: prints ctc's "backend: webgpu (...)" line with the adapter, or its error.
probe() {
  "$node" "$here/ctc.mjs" bench --backend webgpu --nets lenets --batch 2 --steps 1 --warmup 0 \
    --no-torch --no-loss --peak-runs 0 --out "$out/probe" 2>&1 | grep -E '^(backend: |ctc: )' | head -1
}
found=""
line=$(probe)
if [[ "$line" == backend:* ]]; then
  found="defaults"
else
  echo "gpu-check: no adapter with the defaults: ${line:-no output}"
  for dir in /usr/local/nvidia/share/vulkan/icd.d /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    for icd in "$dir"/*.json; do
      [ -f "$icd" ] || continue
      line=$(VK_DRIVER_FILES="$icd" probe)
      if [[ "$line" == backend:* ]]; then
        export VK_DRIVER_FILES="$icd"
        found="$icd"
        break 2
      fi
      echo "gpu-check: $icd: ${line:-no output}"
    done
  done
fi
if [ -z "$found" ]; then
  echo "gpu-check: no WebGPU adapter: no Vulkan ICD under the usual folders gave one (see above); is the GPU driver's Vulkan ICD installed?"
  exit 1
fi
echo "gpu-check: adapter (ICD: $found): ${line#backend: }"

"$node" "$here/ctc.mjs" bench --backend webgpu --nets "$nets" --batch "$batch" --steps "$steps" --warmup 5 --no-torch --no-loss --peak-runs 3 --out "$out" 2>&1 | grep -v '^Warning: maxDynamic' | tee "$out/ctc-webgpu.log"
python3 "$here/scripts/torch_reference.py" --device cuda --nets "$nets" --batch "$batch" --steps "$steps" --warmup 5 --no-loss --formats contiguous,channels_last > "$out/torch-cuda.json" 2> "$out/torch-cuda.log" ||
  echo "gpu-check: PyTorch on cuda failed: $(tail -1 "$out/torch-cuda.log")"
"$node" "$here/scripts/side-by-side.mjs" "$out/bench.json" "$out/torch-cuda.json" | tee "$out/side-by-side.md"
