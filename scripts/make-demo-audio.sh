#!/usr/bin/env bash
# Generates a small demo folder of sounds with known content, in several
# formats, so the demo needs no downloaded audio. Usage: make-demo-audio.sh DIR
set -euo pipefail
d=${1:?usage: make-demo-audio.sh DIR}
mkdir -p "$d"
# A-major chord, 6 s (chroma should peak at A, C#, E)
sox -n -r 44100 -c 2 "$d/a_major_chord.flac" synth 6 sine 220 sine 277.18 sine 329.63 remix 1,2 1,2 gain -6
# 120 BPM click track, 12 s (tempo ≈ 120)
sox -n -r 16000 -c 1 /tmp/es_click.wav synth 0.01 square 1000 pad 0 0.49 gain -3
sox $(printf '/tmp/es_click.wav %.0s' $(seq 24)) "$d/clicks_120bpm.wav"
rm -f /tmp/es_click.wav
# Rain-like pink noise, 8 s, as MP3
ffmpeg -loglevel error -y -f lavfi -i "anoisesrc=color=pink:duration=8:amplitude=0.3:sample_rate=44100" -c:a libmp3lame "$d/pink_noise.mp3"
# Rising sweep 100 Hz – 6 kHz, 15 s, as Ogg Vorbis
sox -n -r 48000 -c 1 "$d/sweep.ogg" synth 15 sine 100-6000 gain -6
# A low hum with a beat, 20 s, as Opus
ffmpeg -loglevel error -y -f lavfi -i "sine=frequency=110:duration=20" -c:a libopus "$d/hum.opus"
echo "demo audio: $(ls "$d" | wc -l) files in $d"
