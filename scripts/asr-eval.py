#!/usr/bin/env python3
"""asr-eval.py — word error rate, speed and memory of `earshot transcribe` on
speech with known transcripts.

    scripts/asr-eval.py [--earshot build/earshot] [--model auto|pocketsphinx|whisper-tiny|PATH]
                        [--shared ../shared] [--lj N] [--fsdd N] [--details OUT.tsv]
                        [--markdown]

Sets (from the shared data folder, see ../shared/data/SOURCES.md):
  jfk       models/test-audio/jfk.wav, the 11 s JFK quote
  ljspeech  LJ Speech clips, reference = the manifest's normalised
            `transcript` column (numbers spelled out); the first N in
            manifest order (default: all 257)
  fsdd      Free Spoken Digit clips, reference = the digit as a word; N clips
            (default 200) spread evenly over the 4 speakers and 10 digits
  misc_librosa's 3 speech clips have no transcripts: skipped.

Each file is one `earshot transcribe --output json` process, so the
real-time factor (wall time / audio duration, summed over the set) includes
loading the model for every file; the load alone is measured on 0.1 s of
silence and reported separately. Peak RSS is the largest of the processes
(os.wait4). WER normalisation: scripts/wer.py (case, punctuation; numbers
are not converted between digits and words).
"""
import argparse
import csv
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wer  # noqa: E402

JFK_REF = ("And so my fellow Americans, ask not what your country can do for you, "
           "ask what you can do for your country.")
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def duration(path):
    with wave.open(path, "rb") as w:
        return w.getnframes() / w.getframerate()


def transcribe(earshot, path, model):
    """Runs the CLI once; returns (hypothesis text, wall s, peak RSS kB, json)."""
    args = [earshot, "transcribe", path, "--output", "json"]
    if model:
        args += ["--model", model]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.monotonic()
        p = subprocess.Popen(args, stdout=out, stderr=err, text=True)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        o, e = out.read(), err.read()
    if p.returncode != 0:
        raise RuntimeError(f"{path}: earshot exited {p.returncode}: {e.strip()}")
    j = json.loads(o)
    text = " ".join(s["text"] for s in j["segments"])
    return text, wall, ru.ru_maxrss, j


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def run_set(name, items, earshot, model, details):
    """items: list of (id, path, reference). Returns a result dict."""
    pairs, wall, audio = [], 0.0, 0.0
    exact = rss = 0
    backend = ""
    for i, (ident, path, ref) in enumerate(items):
        hyp, w, kb, j = transcribe(earshot, path, model)
        rss = max(rss, kb)
        backend = j["backend"]
        wall += w
        audio += duration(path)
        pairs.append((ref, hyp))
        if wer.words(ref) == wer.words(hyp):
            exact += 1
        r, h = wer.words(ref), wer.words(hyp)
        s, d, ins = wer.edit_counts(r, h)
        if details:
            details.write(f"{name}\t{ident}\t{(s + d + ins) / max(len(r), 1):.3f}\t{ref}\t{hyp}\n")
        if sys.stderr.isatty():
            print(f"\r{name}: {i + 1}/{len(items)}", end="", file=sys.stderr)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    S = D = I = N = 0
    for ref, hyp in pairs:
        r, h = wer.words(ref), wer.words(hyp)
        s, d, ins = wer.edit_counts(r, h)
        S, D, I, N = S + s, D + d, I + ins, N + len(r)
    return dict(name=name, files=len(items), audio=audio, words=N, S=S, D=D, I=I,
                wer=(S + D + I) / max(N, 1), rtf=wall / max(audio, 1e-9),
                exact=exact, backend=backend, rss=rss)


def fsdd_subset(rows, n):
    """n rows spread over speakers and digits (round robin)."""
    by = {}
    for r in rows:
        by.setdefault((r["speaker"], r["digit"]), []).append(r)
    keys = sorted(by)
    out, k = [], 0
    while len(out) < n and any(by.values()):
        lst = by[keys[k % len(keys)]]
        if lst:
            out.append(lst.pop(0))
        k += 1
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--earshot", default=os.path.join(HERE, "build", "earshot"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--shared", default=os.environ.get("EARSHOT_SHARED")
                    or os.path.join(HERE, "..", "shared"))
    ap.add_argument("--lj", type=int, default=257)
    ap.add_argument("--fsdd", type=int, default=200)
    ap.add_argument("--details", default=None, help="per-file TSV: set, id, WER, ref, hyp")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown section")
    a = ap.parse_args()
    data = os.path.join(a.shared, "data")
    details = open(a.details, "w", encoding="utf-8") if a.details else None

    sets = []
    jfk = os.path.join(a.shared, "models", "test-audio", "jfk.wav")
    if os.path.exists(jfk):
        sets.append(("jfk", [("jfk", jfk, JFK_REF)]))
    lj = os.path.join(data, "ljspeech", "manifest.csv")
    if os.path.exists(lj) and a.lj > 0:
        rows = list(csv.DictReader(open(lj, encoding="utf-8")))[:a.lj]
        sets.append(("ljspeech", [(r["path"], os.path.join(data, "ljspeech", r["path"]),
                                   r["transcript"]) for r in rows]))
    fs = os.path.join(data, "fsdd", "manifest.csv")
    if os.path.exists(fs) and a.fsdd > 0:
        rows = fsdd_subset(list(csv.DictReader(open(fs, encoding="utf-8"))), a.fsdd)
        sets.append(("fsdd", [(r["path"], os.path.join(data, "fsdd", r["path"]),
                               r["transcript"]) for r in rows]))

    # model load time and memory: 0.1 s of silence
    tmp = tempfile.mkdtemp(prefix="asr-eval-")
    sil = os.path.join(tmp, "silence.wav")
    with wave.open(sil, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 1600)
    _, load_s, rss_load, _ = transcribe(a.earshot, sil, a.model)

    results = []
    for name, items in sets:
        t0 = time.monotonic()
        results.append(run_set(name, items, a.earshot, a.model, details))
        print(f"{name}: done in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    if details:
        details.close()

    backend = results[0]["backend"] if results else "?"
    cmd = "scripts/asr-eval.py " + " ".join(sys.argv[1:])
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = []
    if a.markdown:
        lines += [f"### Speech recognition: {backend}", "",
                  f"Command: `{cmd}` · machine: {machine()} · {date}", ""]
    lines += ["| set | files | audio (s) | ref words | WER | S / D / I | exact files | RTF "
              "| peak RSS |",
              "|---|---:|---:|---:|---:|---|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['name']} | {r['files']} | {r['audio']:.1f} | {r['words']} | "
                     f"{r['wer']:.3f} | {r['S']} / {r['D']} / {r['I']} | "
                     f"{r['exact']}/{r['files']} | {r['rtf']:.3f} | {r['rss'] / 1024:.0f} MB |")
    lines += ["", f"Model load (a whole process on 0.1 s of silence): {load_s:.2f} s, "
              f"peak RSS {rss_load / 1024:.0f} MB. RTF = wall time of one `earshot "
              f"transcribe` process per file (model load included) / audio duration; "
              f"peak RSS = the largest process of the set. "
              f"\"exact files\" = hypothesis equal to the reference after normalisation."]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
