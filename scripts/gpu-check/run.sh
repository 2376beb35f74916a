#!/usr/bin/env bash
# On a machine with an NVIDIA GPU (driver with Vulkan), PyTorch with CUDA, no internet and maybe
# no Node: times ctc's training step on the webgpu backend and PyTorch's on cuda, same networks,
# batch and steps, and prints them side by side. Results in ./gpu-check-results/.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
node="$here/bin/node"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
out="${OUT:-$PWD}/gpu-check-results"
mkdir -p "$out"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
nets="${NETS:-lenets,lenetspp,resnet20}"
batch="${BATCH:-128}"
steps="${STEPS:-20}"
"$node" "$here/ctc.mjs" bench --backend webgpu --nets "$nets" --batch "$batch" --steps "$steps" --warmup 5 --no-torch --no-loss --out "$out" 2>&1 | grep -v '^Warning: maxDynamic' | tee "$out/ctc-webgpu.log"
python3 "$here/scripts/torch_reference.py" --device cuda --nets "$nets" --batch "$batch" --steps "$steps" --warmup 5 --no-loss --formats contiguous,channels_last > "$out/torch-cuda.json" 2> "$out/torch-cuda.log" ||
  echo "gpu-check: PyTorch on cuda failed: $(tail -1 "$out/torch-cuda.log")"
"$node" "$here/scripts/side-by-side.mjs" "$out/bench.json" "$out/torch-cuda.json" | tee "$out/side-by-side.md"
