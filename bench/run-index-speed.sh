#!/usr/bin/env bash
# run-index-speed.sh — `earshot index` throughput and peak memory
# (docs/BENCHMARKS.md § Indexing (issue 6)): ESC-50 (303 clips, 25 min),
# LJ Speech (257 clips, 28 min of speech: PocketSphinx runs), and a mixed
# folder (ESC-50 + 60 LJ clips + misc_librosa's 14 clips), each with --jobs 1
# and --jobs 2, from an empty index (esc50-noasr: ESC-50 with --asr none, the
# sound path alone); × real time = audio seconds / wall seconds, and audio
# seconds / CPU seconds (user + sys: less sensitive to other jobs on the
# machine); peak RSS from /usr/bin/time -v. Then hybrid mode on a synthetic
# whisper-tiny file (real shapes, random weights: the transcripts are
# garbage, only the speed counts). About 30-40 minutes on 2 cores.
#   bench/run-index-speed.sh [WORK]         (default build/index-speed)
#   EARSHOT_BIN=build-x/earshot REPEAT=3 SETS="esc50 esc50-noasr ljspeech mixed" HYBRID=1
# Runs append to WORK/results.tsv (delete it to start over); the table at the
# end covers every run in it (best and median wall time per row).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mkdir -p "${1:-$root/build/index-speed}" && cd "${1:-$root/build/index-speed}" && pwd)
bin=$(cd "$(dirname "${EARSHOT_BIN:-$root/build/earshot}")" && pwd)/$(basename "${EARSHOT_BIN:-$root/build/earshot}")
shared=${EARSHOT_SHARED:-$root/../shared}
data=$shared/data
repeat=${REPEAT:-1}
sets=${SETS:-esc50 esc50-noasr ljspeech mixed}
[ -x "$bin" ] || { echo "build first: scripts/build.sh (or set EARSHOT_BIN)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
export XDG_STATE_HOME=$work/state
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/^Mem/{print $2}') GiB; $(date -u '+%F %H:%M UTC')" >&2

# the sound path's bridge: trained on all of ESC-50
bridge=$work/esc50-all.esbridge
[ -s "$bridge" ] || "$bin" train --manifest "$data/esc50/manifest.csv" --text-encoder wordvec \
    --out "$bridge" --quiet >&2
# the mixed folder: symlinks
mix=$work/mixed
if [ ! -d "$mix" ]; then
  mkdir -p "$mix/esc50" "$mix/ljspeech" "$mix/misc"
  ln -s "$data"/esc50/audio/*.wav "$mix/esc50/"
  ls "$data"/ljspeech/audio/*.wav | awk 'NR % 4 == 1' | head -60 | xargs -I{} ln -s {} "$mix/ljspeech/"
  ln -s "$data"/misc_librosa/audio/* "$mix/misc/"
fi
dir_of() { case $1 in esc50|esc50-noasr) echo "$data/esc50/audio";; ljspeech) echo "$data/ljspeech/audio";; mixed) echo "$mix";; esac; }
asr_of() { case $1 in *-noasr) echo none;; *) echo pocketsphinx;; esac; }

results=$work/results.tsv
touch "$results"
one() {   # one(label, dir, index args...) — from an empty index
  local label=$1 dir=$2; shift 2
  local idx=$work/idx.earshot
  rm -f "$idx" "$idx"-wal "$idx"-shm "$idx".vcache
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v -o "$work/time.txt" "$bin" index "$dir" --index "$idx" -q "$@" > "$work/index.log" 2>&1 \
    || { cat "$work/index.log" >&2; exit 1; }
  local wall rss hours cpu load2
  load2=$(cut -d' ' -f1 /proc/loadavg)
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt" \
         | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
  cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$work/time.txt")
  hours=$("$bin" status --index "$idx" --json | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["hours"], j["files"], j["chunks"], j["segments"], j["vectors_speech"])')
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$wall" "$rss" "$hours" "$load-$load2" "$cpu" | tee -a "$results" >&2
}

for s in $sets; do
  for j in 1 2; do
    for r in $(seq "$repeat"); do
      one "$s jobs=$j" "$(dir_of "$s")" --bridge "$bridge" --text-model wordvec --asr "$(asr_of "$s")" --jobs "$j"
    done
  done
done

if [ "${HYBRID:-1}" = 1 ]; then
  # a whisper-tiny-shaped ggml file (f16, random weights; real vocab), the
  # hybrid bridge trained on 40 ESC-50 clips (its quality is meaningless)
  tiny=$work/tiny-synthetic-f16.bin
  [ -s "$tiny" ] || (cd "$root" && /usr/bin/python3 - "$tiny" "$shared/models/whisper-aux/for-tests-ggml-tiny.bin" <<'PY'
import sys
sys.path.insert(0, "tests/ref")
import whisper_synth as w
w.write_model(sys.argv[1], sys.argv[2], w.TINY, "f16")
PY
)
  hman=$work/hybrid-train.csv
  { echo "path,label"; awk -F, 'NR > 1 && NR <= 41 {print "'"$data"'/esc50/" $1 "," $2}' "$data/esc50/manifest.csv"; } > "$hman"
  hb=$work/hybrid.esbridge
  [ -s "$hb" ] || "$bin" train --manifest "$hman" --features hybrid --whisper "$tiny" \
      --text-encoder wordvec --out "$hb" --epochs 20 --val-fraction 0 --augment none --quiet >&2
  hdir=$work/hybrid-lib
  if [ ! -d "$hdir" ]; then
    mkdir -p "$hdir"
    ls "$data"/esc50/audio/*.wav | awk 'NR % 10 == 1' | xargs -I{} ln -s {} "$hdir/"
    ls "$data"/ljspeech/audio/*.wav | awk 'NR % 25 == 1' | xargs -I{} ln -s {} "$hdir/"
  fi
  for j in 1 2; do
    one "hybrid-subset jobs=$j" "$hdir" --mode hybrid --asr "$tiny" --bridge "$hb" --text-model wordvec --jobs "$j"
    /usr/bin/python3 -c 'import sqlite3, sys
n, c = sqlite3.connect(sys.argv[1]).execute("SELECT count(*), sum(length(text)) FROM segments").fetchone()
print(f"hybrid: {n} transcript segments, {c / n:.0f} characters each (random weights: garbage)", file=sys.stderr)' "$work/idx.earshot"
    one "lightweight-subset jobs=$j" "$hdir" --bridge "$bridge" --text-model wordvec --asr pocketsphinx --jobs "$j"
  done
fi
echo >&2
/usr/bin/python3 - "$results" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    label, wall, rss, status, load = f[:5]
    cpu = float(f[5]) if len(f) > 5 else None
    hours, files, chunks, segs, vsp = status.split()
    rows[label].append(dict(wall=float(wall), rss=int(rss), audio=float(hours) * 3600,
                            files=int(files), chunks=int(chunks), vsp=int(vsp), load=load,
                            cpu=cpu))
x = lambda v: f"{v:.0f}×" if v >= 10 else f"{v:.1f}×"
print("| folder, jobs | files | audio | chunks (with a speech vector) | wall s (runs) | "
      "× real time, best / median | audio s per CPU s | peak RSS MB | load at start-end |")
print("|---|---:|---:|---|---|---|---|---:|---|")
for label, rs in rows.items():
    walls = sorted(r["wall"] for r in rs)
    a = rs[0]["audio"]
    cpus = [r["cpu"] for r in rs if r["cpu"]]
    cpu = x(a / min(cpus)) if cpus else "–"
    print(f"| {label} | {rs[0]['files']} | {a / 60:.1f} min | {rs[0]['chunks']} "
          f"({', '.join(sorted({str(r['vsp']) for r in rs}))}) | "
          f"{', '.join(f'{w:.1f}' for w in walls)} | {x(a / walls[0])} / "
          f"{x(a / statistics.median(walls))} | {cpu} | "
          f"{max(r['rss'] for r in rs) / 1024:.0f} | {', '.join(r['load'] for r in rs)} |")
PY
