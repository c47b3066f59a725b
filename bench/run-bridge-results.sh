#!/usr/bin/env bash
# run-bridge-results.sh — the bridge experiments of docs/RESULTS.md: 5-fold
# cross-validation on ESC-50 (folds by source recording) in the word-vector
# text space, for every feature set × loss × head, then augmentation on the
# default configuration. Writes one JSON per run to OUT (default
# build/bridge-results) and prints the tables (bench/bridge_tables.py).
#   bench/run-bridge-results.sh [OUT]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/bridge-results}
bin=${EARSHOT_BIN:-$root/build/earshot}
shared=${EARSHOT_SHARED:-$root/../shared}
manifest=$shared/data/esc50/manifest.csv
queries=$root/bench/queries/esc50-paraphrases.csv
[ -x "$bin" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
[ -f "$manifest" ] || { echo "missing $manifest (set EARSHOT_SHARED)" >&2; exit 1; }
mkdir -p "$out"
common="--manifest $manifest --cv --kfold 5 --group-by src_file --text-encoder wordvec --queries $queries --json"
jobs=()
for f in full small; do
  for l in mse cosine infonce; do
    for h in tanh l2; do
      jobs+=("$f-$l-$h|--features $f --loss $l --head $h")
    done
  done
done
for a in gain noise shift mix gain,noise,shift,mix; do
  jobs+=("aug-${a//,/+}|--loss cosine --head l2 --augment $a --augment-copies 4")
done
run() {
  name=${1%%|*}; args=${1#*|}
  if [ ! -s "$out/$name.json" ]; then
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$bin" eval $common $args > "$out/$name.json.tmp" 2> "$out/$name.log"
    mv "$out/$name.json.tmp" "$out/$name.json"
    echo "$name: $(echo "$(date +%s.%N) - $start" | bc) s" >&2
  fi
}
export -f run
export bin common out
printf '%s\n' "${jobs[@]}" | xargs -d '\n' -P "${JOBS:-2}" -I{} bash -c 'run "$@"' _ {}
/usr/bin/python3 "$root/bench/bridge_tables.py" "$out"
