#!/usr/bin/env bash
# Text-encoder benchmarks: a synthetic all-MiniLM-L6-v2-shaped model (real
# vocab, random weights, genuine format) in f32, int8 (VNNI where the CPU has
# it) and int8 weight-only; the installed word vectors; and the PyTorch
# reference on the same sentences. Usage: bench/run-text.sh (after
# scripts/build.sh; the word vectors come from scripts/install-wordvectors.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
b=build/bench/bench_text
[ -x "$b" ] || bash scripts/build.sh >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 bench/make-synthetic-bert.py "$tmp/minilm" >/dev/null
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; date: $(date -u +%F)"
echo "--- BERT f32";                 "$b" "$tmp/minilm"
echo "--- BERT int8";                "$b" "$tmp/minilm" --int8
echo "--- BERT int8, weight-only";   EARSHOT_NO_VNNI=1 "$b" "$tmp/minilm" --int8
wv=$(build/earshot models path wordvec 2>/dev/null || true)
if [ -n "$wv" ]; then echo "--- word vectors"; "$b" "$wv"; fi
echo "--- PyTorch reference (best thread setting: 1 torch thread, OpenBLAS 2)"
OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/bench_text_torch.py "$tmp/minilm" 1
OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/bench_text_torch.py "$tmp/minilm" 2
