#!/usr/bin/env bash
# Generates the demo's audio so the demo needs no downloaded data: spoken
# passages (espeak-ng) on distinct topics, synthesised sounds of ten classes
# (scripts/synth_sounds.py), one voice memo over rain and one corrupt file,
# in mixed formats; optionally a labelled training set for the bridge.
# Deterministic (same machine, same bytes) and quick (15-25 s on 2 cores).
#
# Usage: make-demo-audio.sh DIR [TRAIN_DIR]
#   DIR/speech/*        7 passages of 25-40 s + a memo over rain (wav mp3 ogg m4a flac opus)
#   DIR/sounds/*        13 clips of 6-20 s: siren rain clock bells dog birds
#                       engine knocking applause thunder
#   DIR/broken.mp3      an MP3 cut off after its header: must be reported, skipped
#   DIR-transcripts.csv path,text  (paths relative to DIR; the exact spoken text)
#   DIR-sounds.csv      path,label (the class of each clip in DIR/sounds)
#   TRAIN_DIR/audio/*.wav, TRAIN_DIR/manifest.csv  path,label,fold: 25 clips
#                       of 5 s per class, other seeds than DIR's, folds 1-5
set -euo pipefail

usage="usage: make-demo-audio.sh DIR [TRAIN_DIR]"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "$usage" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
for tool in espeak-ng ffmpeg "$PY"; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "make-demo-audio: $tool not found; run scripts/install-deps.sh" >&2; exit 1; }
done
"$PY" -c "import numpy, scipy" 2>/dev/null ||
  { echo "make-demo-audio: $PY lacks numpy/scipy; run scripts/install-deps.sh" >&2; exit 1; }

d=$(realpath -m "$1")
train=${2:+$(realpath -m "$2")}
rm -rf "$d/speech" "$d/sounds" "$d/broken.mp3"
mkdir -p "$d/speech" "$d/sounds"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# encode OUT FFMPEG_ARGS...: inputs (-i ...) and filters in FFMPEG_ARGS; the
# codec follows OUT's extension; the bitexact flags keep encoder versions and
# random stream ids out of the bytes
encode() {
  local out=$1; shift
  local codec
  case $out in
    *.wav) codec=(-c:a pcm_s16le) ;;
    *.mp3) codec=(-c:a libmp3lame -b:a 96k) ;;
    *.ogg) codec=(-c:a libvorbis -q:a 3) ;;
    *.m4a) codec=(-c:a aac -b:a 96k) ;;
    *.flac) codec=(-c:a flac) ;;
    *.opus) codec=(-c:a libopus -b:a 48k) ;;
  esac
  ffmpeg -nostdin -loglevel error -y "$@" -map_metadata -1 -fflags +bitexact \
    -flags:a +bitexact "${codec[@]}" "$out"
}

# ---- speech: name|voice|words per minute|pitch|format|text. Female US
# variants (+f2, +f5) at 140-160 wpm, because PocketSphinx, the offline
# recogniser, hears them best: 19-67 % WER per passage with most topic words
# kept, against 75-100 % for the default en-us and en-gb voices (measured on
# the tax passage; espeak-ng is hard for it either way).
PASSAGES=(
"tax_return|en-us+f5|140|50|mp3|Hi, it's Maria from the accounting office. I'm calling about your tax return for last year. We still need your income statements and the receipts for your business expenses before the deadline on the fifteenth of April. If you file late, the tax office may charge a penalty and interest. Once we have the documents, we can work out your deductions and tell you whether you will get a refund or have to pay more tax. Please bring your bank statements and last year's return to our meeting on Thursday."
"weather_forecast|en-us+f2|150|50|wav|Good evening, here is the weather forecast for tomorrow. A band of heavy rain will move in from the west during the morning, with thunderstorms likely by the afternoon. Some of the storms could bring lightning, hail and strong gusts of wind of up to fifty miles an hour. Temperatures will stay cool, around twelve degrees. The rain should clear overnight, and Saturday looks drier and brighter, with sunshine and a few scattered showers. Don't forget your umbrella."
"pasta_recipe|en-us+f5|150|70|ogg|Today we are cooking a simple pasta with tomato and garlic. First, bring a large pot of salted water to the boil and add the spaghetti. While the pasta cooks, warm some olive oil in a pan and fry three cloves of chopped garlic until golden. Add a tin of crushed tomatoes, a pinch of salt, black pepper and a little sugar, and let the sauce simmer for ten minutes. Drain the pasta, stir it into the sauce, and finish with fresh basil and grated parmesan cheese."
"football_match|en-us+f2|160|60|m4a|Welcome back to the second half of this football match. The home team leads by one goal to nil, after a header from the captain just before half time. Here comes the striker down the left wing. He crosses the ball into the box, the goalkeeper dives, and it's a goal! Two nil! The crowd is on its feet. The referee shows a yellow card to the defender for a late tackle. Twenty minutes left to play, and the visitors need two goals to stay in the league."
"rocket_launch|en-us+f5|145|35|flac|This is mission control. The rocket is on the launch pad and all systems are go. The astronauts are strapped into the capsule and the fuel tanks are full. Ten, nine, eight, seven, six, five, four, three, two, one, lift off! The engines are burning and the rocket is climbing into the sky. Booster separation confirmed. The spacecraft is now in orbit around the Earth, and in three days it will dock with the space station."
"doctor_appointment|en-us+f2|140|70|opus|Hello, this is a message from the health centre about your appointment with the doctor. Your appointment is on Monday at half past nine in the morning, with Doctor Patel. Please arrive ten minutes early and bring a list of any medicine you are taking. The doctor will check your blood pressure and go through the results of your blood test. If you cannot come, please call the surgery to cancel, so that another patient can have the appointment."
"train_delayed|en-us+f5|155|45|mp3|We are sorry to announce that the nine fifteen train to Edinburgh is delayed by approximately forty minutes. This is due to a signal failure near the station. Passengers for Edinburgh should wait on platform four. The buffet car is closed today, but hot drinks are available from the kiosk on the platform. If you have a connecting train, please speak to a member of staff. We apologise for the delay to your journey, and thank you for your patience."
)
MEMO="Hi, it's me. I'm standing outside in the rain, so it's a bit noisy. I left my keys at the library. Can you meet me at the bus stop at seven, and bring the spare key and an umbrella? Thanks, see you soon."

# ---- sounds: class|seed|seconds|rate|file in DIR/sounds (the demo's seeds
# are 9000+, the training set's 100-124: no clip is in both)
SOUNDS=(
"siren|9001|12|22050|siren.mp3"        "rain|9002|20|44100|rain.ogg"
"clock|9003|8|22050|clock_ticking.wav" "bells|9004|15|44100|church_bells.flac"
"dog|9005|10|22050|dog_barking.mp3"    "dog|9015|7|16000|dog_2.wav"
"birds|9006|12|44100|birds.m4a"        "engine|9007|15|22050|engine.opus"
"knocking|9008|6|22050|knocking.wav"   "applause|9009|10|44100|applause.ogg"
"thunder|9010|14|22050|thunder.flac"   "siren|9011|9|16000|siren_2.m4a"
"birds|9016|8|22050|birds_2.ogg"
)

# jobs for synth_sounds.py: the demo clips, the memo's rain, the training set
jobs=$tmp/jobs.txt
: >"$jobs"
for s in "${SOUNDS[@]}"; do
  IFS='|' read -r cls seed secs rate file <<<"$s"
  echo "$cls $seed $secs $rate $tmp/${file%.*}.wav" >>"$jobs"
done
echo "rain 9020 25 22050 $tmp/memo_rain.wav" >>"$jobs"
if [ -n "$train" ]; then
  rm -rf "$train/audio"
  mkdir -p "$train/audio"
  echo "path,label,fold" >"$train/manifest.csv"
  for cls in $("$PY" "$here/synth_sounds.py" classes); do
    for k in $(seq 0 24); do
      rel=$(printf 'audio/%s_%02d.wav' "$cls" "$k")
      echo "$cls $((100 + k)) 5 16000 $train/$rel" >>"$jobs"
      echo "$rel,$cls,$((k % 5 + 1))" >>"$train/manifest.csv"
    done
  done
fi

# two synthesiser processes (alternate lines) while espeak-ng speaks
awk 'NR % 2 == 1' "$jobs" >"$tmp/jobs1"
awk 'NR % 2 == 0' "$jobs" >"$tmp/jobs2"
"$PY" "$here/synth_sounds.py" render "$tmp/jobs1" & p1=$!
"$PY" "$here/synth_sounds.py" render "$tmp/jobs2" & p2=$!

key=$(dirname "$d")/$(basename "$d")-transcripts.csv
echo "path,text" >"$key"
for p in "${PASSAGES[@]}"; do
  IFS='|' read -r name voice wpm pitch fmt text <<<"$p"
  espeak-ng -v "$voice" -s "$wpm" -p "$pitch" -w "$tmp/$name.wav" "$text"
  encode "$d/speech/$name.$fmt" -i "$tmp/$name.wav"
  echo "speech/$name.$fmt,\"$text\"" >>"$key"
done
espeak-ng -v en-us+f2 -s 145 -p 55 -w "$tmp/memo.wav" "$MEMO"
echo "speech/voice_memo_in_rain.m4a,\"$MEMO\"" >>"$key"

wait "$p1"
wait "$p2"
labels=$(dirname "$d")/$(basename "$d")-sounds.csv
echo "path,label" >"$labels"
for i in "${!SOUNDS[@]}"; do
  IFS='|' read -r cls seed secs rate file <<<"${SOUNDS[$i]}"
  # every third clip stereo, so the demo covers channel mixing too
  ch=(); [ $((i % 3)) -eq 1 ] && ch=(-ac 2)
  encode "$d/sounds/$file" -i "$tmp/${file%.*}.wav" "${ch[@]}"
  echo "sounds/$file,$cls" >>"$labels"
done
# the memo: speech over rain, 2 s of rain before and after
encode "$d/speech/voice_memo_in_rain.m4a" -i "$tmp/memo_rain.wav" -i "$tmp/memo.wav" \
  -filter_complex "[1:a]aresample=22050,adelay=2000,apad=pad_dur=2[v];[0:a]volume=0.35[r];[v][r]amix=inputs=2:duration=first:normalize=0" \
  -ac 1
# a download cut off after the header: the indexer must report it and go on
encode "$tmp/full.mp3" -i "$tmp/memo.wav"
head -c 400 "$tmp/full.mp3" >"$d/broken.mp3"

n_speech=$(ls "$d/speech" | wc -l)
n_sounds=$(ls "$d/sounds" | wc -l)
echo "demo audio: $n_speech speech files, $n_sounds sounds and broken.mp3 in $d" \
  "(texts: $key, labels: $labels)"
[ -z "$train" ] || echo "training set: $(($(wc -l <"$train/manifest.csv") - 1)) clips in $train" \
  "(manifest.csv: path,label,fold)"
