#!/usr/bin/env bash
# Runs the front-end benchmark on generated audio: 10 minutes of music-like
# signal encoded as FLAC and as MP3. Usage: bench/run.sh (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
b=build/bench/bench_frontend
[ -x "$b" ] || bash scripts/build.sh >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sox -n -r 44100 -c 2 "$tmp/long.flac" synth 600 sine 220-880 sine 330 pinknoise remix 1,2,3 1,2,3 gain -12
ffmpeg -loglevel error -y -i "$tmp/long.flac" -c:a libmp3lame -b:a 128k "$tmp/long.mp3"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; date: $(date -u +%F)"
"$b" "$tmp/long.flac"
"$b" "$tmp/long.mp3" | tail -n 2
