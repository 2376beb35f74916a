#!/usr/bin/env bash
# A software WebGPU adapter for machines without a GPU (tests, CI): Mesa's Vulkan lavapipe from
# Debian bookworm-backports (Mesa 25; bookworm's own Mesa 22 lavapipe lacks a feature Dawn needs,
# so Dawn refuses it). This upgrades the machine's Mesa packages to the backports' version.
# Needs root and Debian 12 (bookworm). With a real GPU, install its driver instead: nothing here.
# Then `ctc train ... --backend webgpu` runs on it (slowly: it is the CPU).
set -euo pipefail
if ! grep -q bookworm /etc/os-release 2>/dev/null; then
  echo "install-software-gpu: this script is for Debian 12 (bookworm); elsewhere install Mesa >= 24's lavapipe (mesa-vulkan-drivers)" >&2
  exit 2
fi
list=/etc/apt/sources.list.d/bookworm-backports.sources
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > "$list"
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1
echo "install-software-gpu: Mesa $(dpkg-query -W -f '${Version}' mesa-vulkan-drivers) lavapipe installed"
