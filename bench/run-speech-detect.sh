#!/usr/bin/env bash
# run-speech-detect.sh — the speech detector's evaluation on ../shared/data
# (docs/SPEECH_DETECT.md shows its output): per set, accuracy at the
# threshold, ROC AUC against the other class and the median score, for the
# 2-fold cross-validated weights (held-out scores) and for the C detector
# as built (its weights were fitted on all of this data: in-sample), then
# the CPU cost per 10 s chunk.
#
#   bench/run-speech-detect.sh [BUILD_DIR]     (default: build)
#   EARSHOT_SHARED=/path/to/shared bench/run-speech-detect.sh
#
# To refit the weights after changing the features (then rebuild and run
# this again):
#   /usr/bin/python3 bench/fit_speech_detect.py \
#       --tool BUILD/tests/speech_detect_tool --write-c src/dsp/speech_detect.c
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
tool="$build/tests/speech_detect_tool"
shared="${EARSHOT_SHARED:-$here/../shared}"
if [[ ! -x "$tool" ]]; then
    echo "run-speech-detect: $tool is missing: build first" \
         "(cmake -S $here -B $build && cmake --build $build)" >&2
    exit 1
fi
if [[ ! -d "$shared/data" ]]; then
    echo "run-speech-detect: no data under $shared/data (set EARSHOT_SHARED)" >&2
    exit 1
fi
py=/usr/bin/python3      # the system Python has numpy and scipy

"$py" "$here/bench/fit_speech_detect.py" --tool "$tool" --shared "$shared"
echo
"$py" "$here/bench/fit_speech_detect.py" --tool "$tool" --shared "$shared" --score-only
echo
echo "cost (CPU, one core; the first 10 s of each file, looped if shorter):"
for f in "$shared/models/test-audio/jfk.wav" \
         "$shared/data/misc_librosa/audio/kevin_macleod_vibe_ace.wav" \
         "$shared/data/esc50/audio/4-181955-B-3.wav"; do
    [[ -f "$f" ]] || continue
    printf '  %-40s ' "$(basename "$f")"
    "$tool" --bench 2000 "$f"
done
