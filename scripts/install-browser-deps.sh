#!/usr/bin/env bash
# Installs what the browser test (tests/browser/test_serve_page.mjs) needs:
# Debian's Chromium (apt-get, root or sudo) and playwright-core from npm
# (`npm ci` in tests/browser, pinned by its package-lock.json).
#
#   scripts/install-browser-deps.sh
#
# Idempotent: Chromium is left alone when installed, and `npm ci` runs only
# when tests/browser/node_modules is missing or older than the lock file.
# Exits non-zero, saying what failed, when something cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "install-browser-deps: $*"; }
die() { echo "install-browser-deps: $*" >&2; exit 1; }

# Chromium (Debian package); its version must be the one the pinned
# playwright-core drives (see tests/browser/package.json).
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "chromium is missing and this is not root (no sudo either): run as root: apt-get install chromium"
    SUDO="sudo"
  fi
  say "installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || die "apt-get update failed"
  $SUDO apt-get install -y -qq --no-install-recommends chromium || die "apt-get install chromium failed"
fi
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing after installing the chromium package"

# playwright-core, exactly as locked.
command -v npm >/dev/null 2>&1 || die "npm is missing: scripts/install-deps.sh installs nodejs and npm"
dir=tests/browser
lock=$dir/package-lock.json
mods=$dir/node_modules
[ -f "$lock" ] || die "$lock is missing"
if [ ! -f "$mods/playwright-core/package.json" ] || [ "$lock" -nt "$mods" ]; then
  say "npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) ||
    die "npm ci in $dir failed (is the npm registry reachable?)"
  touch "$mods"   # newer than the lock file: the next run skips npm
fi
ver=$(node -e "console.log(require('./$mods/playwright-core/package.json').version)") ||
  die "cannot read the installed playwright-core version"
say "chromium $(dpkg-query -W -f='${Version}' chromium 2>/dev/null), playwright-core $ver: ready"
