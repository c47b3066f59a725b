#!/usr/bin/env bash
# run-index-results.sh — end-to-end retrieval through `earshot index` +
# `earshot search --json` (docs/RESULTS.md § Search (issue 6)): ESC-50 sounds
# in 5-fold CV (a bridge per fold, the held-out fold indexed), LJ Speech
# paraphrase and keyword queries in a mixed library, and the fusion grid
# (--temperature × --speech-weight × --lexical) tuned on ESC-50 folds 1-2 +
# half the paraphrases, reported on the rest. About 10 minutes on an idle
# 2-core machine, 17 with other jobs running (PocketSphinx on the LJ clips,
# once per fold, is about half of it). Needs the word vectors
# (scripts/install-wordvectors.sh) and ../shared/data.
#   bench/run-index-results.sh [WORK]      (default build/index-results)
#   EARSHOT_BIN=build-x/earshot JOBS=2 bench/run-index-results.sh
# Extra arguments after WORK go to bench/index_results.py (e.g. --reuse).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$root/build/index-results}
shift || true
bin=${EARSHOT_BIN:-$root/build/earshot}
shared=${EARSHOT_SHARED:-$root/../shared}
[ -x "$bin" ] || { echo "build first: scripts/build.sh (or set EARSHOT_BIN)" >&2; exit 1; }
[ -f "$shared/data/esc50/manifest.csv" ] || { echo "missing $shared/data (set EARSHOT_SHARED)" >&2; exit 1; }
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u '+%F %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exec /usr/bin/python3 "$root/bench/index_results.py" --bin "$bin" --shared "$shared/data" \
    --work "$work" --queries "$root/bench/queries" --jobs "${JOBS:-2}" "$@"
