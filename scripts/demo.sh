#!/usr/bin/env bash
# The main job: install the dependencies and the offline backends, build,
# index a folder of audio and search it.
#   scripts/demo.sh            a generated demo library: spoken passages
#                              (espeak-ng) and synthesised sounds, plus one
#                              corrupt file (reported and skipped)
#   scripts/demo.sh ~/Audio    your own folder (any format FFmpeg reads)
# The index goes to build/demo/<name>.earshot. With real models installed
# (`earshot models pull minilm`, `... whisper-tiny`) the same command uses
# them. Sound search needs a bridge: the demo trains one in seconds (on the
# generated sounds for the demo library; for your folder: the installed
# default bridge, else ESC-50 from $EARSHOT_SHARED if present).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
bash scripts/build.sh >/dev/null
bash scripts/install-wordvectors.sh >/dev/null
bin=build/earshot
out=build/demo
mkdir -p "$out"
models=${EARSHOT_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/earshot/models}
shared=${EARSHOT_SHARED:-../shared}
folder=${1:-}

say() { printf '\n== %s\n' "$*"; }

# train_bridge MANIFEST OUT: trains unless OUT is newer than MANIFEST
train_bridge() {
  if [ ! -f "$2" ] || [ "$1" -nt "$2" ]; then
    $bin train --manifest "$1" --out "$2" --int8 2>&1 | grep -E "^(trained|wrote)" || return 1
  fi
}

if [ -z "$folder" ]; then
  folder=$out/library
  say "generating the demo library in $folder (espeak-ng speech, synthesised sounds)"
  bash scripts/make-demo-audio.sh "$folder" "$out/train"
  say "training the sound bridge on the generated training set ($out/train)"
  bridge=$out/demo.esbridge
  train_bridge "$out/train/manifest.csv" "$bridge"
  queries=("dog barking" "police siren" "thunder and heavy rain" "church bells ringing"
           "birds singing" "people clapping" "the part about taxes and a refund"
           "a recipe with garlic and tomatoes" "who scored the goal" "rocket launch")
else
  [ -d "$folder" ] || { echo "demo: '$folder' is not a folder" >&2; exit 2; }
  if [ -f "$models/bridge/default.esbridge" ]; then
    bridge=$models/bridge/default.esbridge
  elif [ -f "$shared/data/esc50/manifest.csv" ]; then
    say "training the sound bridge on ESC-50 ($shared/data/esc50)"
    bridge=$out/esc50.esbridge
    train_bridge "$shared/data/esc50/manifest.csv" "$bridge"
  else
    say "no bridge installed and no ESC-50 data: training on synthesised sounds"
    bash scripts/make-demo-audio.sh "$out/library" "$out/train" >/dev/null
    bridge=$out/demo.esbridge
    train_bridge "$out/train/manifest.csv" "$bridge"
  fi
  queries=("dog barking" "people talking" "music" "rain" "applause" "birds singing")
fi

index=$out/$(basename "$(realpath "$folder")").earshot
say "indexing $folder → $index"
$bin index "$folder" --index "$index" --bridge "$bridge"

for q in "${queries[@]}"; do
  say "search: \"$q\""
  $bin search --index "$index" -k 3 --moments 1 "$q"
done

example=$(find "$folder" -type f -path '*sounds*' -name 'siren*' | sort | head -1)
[ -n "$example" ] || example=$(find "$folder" -type f \( -name '*.wav' -o -name '*.mp3' \) | sort | head -1)
if [ -n "$example" ]; then
  say "search by example: more like $example"
  $bin search --index "$index" -k 3 --moments 1 --like "$example"
fi

say "status"
$bin status --index "$index"
