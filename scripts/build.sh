#!/usr/bin/env bash
# Configures and builds earshot. Usage: scripts/build.sh [--asan]
# Release build in build/, ASan+UBSan build in build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
flags=(-DCMAKE_BUILD_TYPE=Release)
if [ "${1:-}" = "--asan" ]; then
  dir=build-asan
  flags=(-DCMAKE_BUILD_TYPE=Debug -DEARSHOT_ASAN=ON)
fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)" --target all earshot
echo "$dir"
