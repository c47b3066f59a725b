#!/usr/bin/env bash
# Whisper benchmarks on synthetic tiny files in whisper.cpp's ggml layout
# (real shapes and vocab, random weights: timing does not depend on values):
# f32, f16 and q8_0 files, f32 and int8 compute. Usage: bench/run-whisper.sh
set -euo pipefail
cd "$(dirname "$0")/.."
b=build/bench/bench_whisper
[ -x "$b" ] || bash scripts/build.sh >/dev/null
shared=${EARSHOT_SHARED:-../shared}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" "$shared/models/whisper-aux/for-tests-ggml-tiny.bin" <<'PY'
import sys
sys.path.insert(0, "tests/ref")
import whisper_synth as w
for t in ("f32", "f16", "q8_0"):
    w.write_model(f"{sys.argv[1]}/tiny-{t}.bin", sys.argv[2], w.TINY, t)
PY
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; date: $(date -u +%F)"
for t in f32 f16 q8_0; do echo "--- tiny $t file, f32 compute"; "$b" "$tmp/tiny-$t.bin"; done
echo "--- tiny q8_0 file, int8 compute"; "$b" "$tmp/tiny-q8_0.bin" --int8
