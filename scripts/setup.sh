#!/usr/bin/env bash
# Installs everything Earshot needs on Debian 12 and builds it: system packages (ffmpeg, the
# PocketSphinx engine and its English model, speech synthesis for test recordings, Chromium for UI
# tests), npm dependencies, the TypeScript build and the native PocketSphinx decoder.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node.js >= 20.19 is the one prerequisite this script does not install (Debian 12 ships Node 18).
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; then
  echo "setup: Earshot needs Node.js >= 20.19 (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

APT_PACKAGES=(
  ffmpeg
  pocketsphinx pocketsphinx-en-us pocketsphinx-testdata libpocketsphinx-dev libsphinxbase-dev
  pkg-config gcc make python3 g++
  flite espeak-ng
  chromium
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# onnxruntime-node would otherwise try to download CUDA libraries; its CPU binary ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
# `npm install` with the committed lock rather than `npm ci`: the registry this project installs from
# lacks some other-platform optional packages (e.g. @biomejs/cli-android-arm64), so npm cannot record
# them in the lock and `npm ci` would refuse it as out of sync. Versions still come from the lock.
npm install --no-audit --no-fund
npm run build
