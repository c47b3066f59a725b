"""test_transcribe_whisper_cli — `earshot transcribe` end to end with the
Whisper backend, on a small synthetic ggml model (real vocab, random
weights: the text is noise, the structure is what is checked).

Checks: the backend is named; JSON segments are ordered, inside the audio,
carry token ids (text tokens below eot, a timestamp token first),
and avg_logprob / no_speech_prob in range; two runs with the same threads
give identical output; beam search runs; srt and vtt parse; an English-only
model refuses another language; a vocab-only file is refused clearly.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import whisper_synth  # noqa: E402


def es(args):
    return subprocess.run([reflib.earshot(), *args], capture_output=True, text=True)


def main():
    c = reflib.Checks()
    vocab = reflib.shared("models/whisper-aux/for-tests-ggml-tiny.bin")
    jfk = reflib.shared("models/test-audio/jfk.wav")
    tmp = reflib.tmpdir()
    model = os.path.join(tmp, "small.bin")
    whisper_synth.write_model(model, vocab, hp=whisper_synth.SMALL, seed=4)

    r = es(["transcribe", jfk, "--model", model, "--threads", "1", "--output", "json"])
    c.check("transcribe exits 0", r.returncode == 0, r.stderr.strip()[-200:])
    j = json.loads(r.stdout)
    segs = j["segments"]
    c.check("backend is named whisper", j["backend"].startswith("whisper") and
            "asr: whisper" in r.stderr, j["backend"])
    c.check("at least one segment", len(segs) >= 1, f"({len(segs)})")
    starts = [s["start"] for s in segs]
    c.check("segments ordered and inside the 11 s clip",
            starts == sorted(starts) and all(0 <= s["start"] <= s["end"] <= 11.01 for s in segs),
            str([(s["start"], s["end"]) for s in segs][:5]))
    ok_tokens = all(s["tokens"] and all(isinstance(t, int) and 0 <= t < 51865 for t in s["tokens"])
                    for s in segs)
    ts_begin = 50364   # multilingual: timestamps start after no_timestamps
    # A segment opens with a timestamp; it closes with one unless the window
    # ran out first (random weights rarely emit end-of-text).
    c.check("segments carry token ids and open with a timestamp", ok_tokens and
            all(s["tokens"][0] >= ts_begin for s in segs) and
            any(t < 50257 for s in segs for t in s["tokens"]))
    c.check("avg_logprob ≤ 0 and no_speech_prob in [0, 1]",
            all(s["avg_logprob"] <= 0 and 0 <= s["no_speech_prob"] <= 1 for s in segs))
    r2 = es(["transcribe", jfk, "--model", model, "--threads", "1", "--output", "json"])
    c.check("same model, audio and threads: identical output", r2.stdout == r.stdout)
    r = es(["transcribe", jfk, "--model", model, "--beam", "5", "--output", "json"])
    c.check("beam search (5) runs", r.returncode == 0 and json.loads(r.stdout)["segments"],
            r.stderr.strip()[-200:])
    r = es(["transcribe", jfk, "--model", model, "--output", "srt"])
    c.check("srt cues parse", r.returncode == 0 and re.search(
        r"^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n", r.stdout, re.M) is not None)
    r = es(["transcribe", jfk, "--model", model, "--output", "vtt"])
    c.check("vtt starts with WEBVTT", r.returncode == 0 and r.stdout.startswith("WEBVTT"))

    en = os.path.join(tmp, "small.en.bin")
    hp = dict(whisper_synth.SMALL, n_vocab=51864)
    whisper_synth.write_model(en, vocab, hp=hp, seed=5)
    r = es(["transcribe", jfk, "--model", en, "--language", "de"])
    c.check("English-only model refuses German", r.returncode == 1 and "English-only" in r.stderr,
            r.stderr.strip()[-200:])
    r = es(["transcribe", jfk, "--model", en, "--output", "json"])
    c.check(".en model transcribes", r.returncode == 0 and json.loads(r.stdout)["segments"] is not None)
    r = es(["transcribe", jfk, "--model", vocab])
    c.check("vocab-only file: exit 1, says it holds no tensors",
            r.returncode == 1 and "no tensors" in r.stderr, r.stderr.strip()[-200:])
    c.finish()


if __name__ == "__main__":
    main()
