#!/usr/bin/env bash
# The main job: install the dependencies and the offline backends, build,
# index a folder of audio and search it.
#   scripts/demo.sh            a generated demo library: spoken passages
#                              (espeak-ng) and synthesised sounds, plus one
#                              corrupt file (reported and skipped)
#   scripts/demo.sh ~/Audio    your own folder (any format FFmpeg reads)
#   scripts/demo.sh --serve [FOLDER]
#                              then keep serving the web page to search,
#                              listen and index (Ctrl-C stops it)
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
serve=0
if [ "${1:-}" = "--serve" ]; then serve=1; shift; fi
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

# the web page and API over the same index (docs/API.md): a quick check
# here; --serve keeps it running for a person
say "earshot serve: the HTTP API over $index"
log=$(mktemp)
$bin serve --index "$index" --port 0 --quiet "$folder" >"$log" 2>&1 &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*http:\/\/127\.0\.0\.1:\([0-9][0-9]*\)\/.*/\1/p' "$log")
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then
  cat "$log" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
fi
"${PYTHON:-/usr/bin/python3}" - "$port" "${queries[0]}" <<'PY'
import json, sys, urllib.parse, urllib.request
port, query = sys.argv[1], sys.argv[2]
url = f"http://127.0.0.1:{port}/api/search?k=3&q=" + urllib.parse.quote(query)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local: no proxy
j = json.load(opener.open(url, timeout=60))
print(f"GET /api/search?q={query}: " +
      ", ".join(f"{r['name']} ({r['score']:.3f})" for r in j["results"]))
PY
kill "$pid"
wait "$pid" || true
rm -f "$log"
if [ "$serve" = 1 ]; then
  say "serving the web page: open the address below (Ctrl-C stops)"
  exec $bin serve --index "$index" "$folder"
fi
echo
echo "Search, listen and index in a web page: scripts/demo.sh --serve ${1:-}"
echo "  (or: $bin serve --index $index $folder)"
