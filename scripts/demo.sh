#!/usr/bin/env bash
# The main job, for now: install dependencies, build, then decode every audio
# file of a folder and compute its sound features, chunk by chunk; then
# install the offline text encoder and embed a few queries.
#   scripts/demo.sh            a generated demo folder (tones, clicks, noise)
#   scripts/demo.sh ~/Audio    your own folder (any format FFmpeg reads)
# Outputs go to out/: 16 kHz WAVs and features .npy (one row per chunk).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
bash scripts/build.sh >/dev/null
bin=build/earshot
folder=${1:-}
if [ -z "$folder" ]; then
  folder=build/demo
  bash scripts/make-demo-audio.sh "$folder"
fi
[ -d "$folder" ] || { echo "demo: '$folder' is not a folder" >&2; exit 2; }
mkdir -p out
echo "== earshot $($bin --version | cut -d' ' -f2): decode + features on $folder =="
ok=0; failed=0
while IFS= read -r -d '' f; do
  base=$(basename "$f"); stem=${base%.*}
  if $bin decode "$f" -o "out/$stem.wav" >/dev/null &&
     $bin features "$f" -o "out/$stem.features.npy" --times "out/$stem.times.npy" >/dev/null; then
    ok=$((ok + 1))
  else
    failed=$((failed + 1))
  fi
done < <(find "$folder" -type f \( -iname '*.wav' -o -iname '*.flac' -o -iname '*.mp3' \
          -o -iname '*.ogg' -o -iname '*.opus' -o -iname '*.m4a' -o -iname '*.aac' \
          -o -iname '*.mp4' -o -iname '*.mkv' -o -iname '*.webm' \) -print0 | sort -z)
/usr/bin/python3 scripts/summarize-features.py out
echo "decoded and featurised $ok file(s), $failed failed; outputs in out/"
[ "$ok" -gt 0 ]

echo "== text encoder: queries embedded into the search space =="
bash scripts/install-wordvectors.sh >/dev/null
$bin models list
queries=("dog barking" "a dog barks loudly" "church bells ringing" "heavy rain on a roof"
         "applause in a concert hall" "violin concerto")
$bin embed "${queries[@]}" -o out/queries.npy
/usr/bin/python3 - "${queries[@]}" <<'PY'
import sys, numpy as np
q = sys.argv[1:]
v = np.load("out/queries.npy")
s = v @ v.T
print("cosine similarity (rows: queries; columns in the same order):")
for i, t in enumerate(q):
    print(f"  {t:28s} " + " ".join(f"{x:5.2f}" for x in s[i]))
PY
