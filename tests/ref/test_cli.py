"""test_cli — the earshot CLI as a user drives it: every subcommand's help,
usage errors (exit 2), bad input (exit 1, message naming the file), decode and
features on every container/codec FFmpeg gives us, and the chunk layout."""
import os
import subprocess

import numpy as np

import reflib

c = reflib.Checks()
es = reflib.earshot()
tmp = reflib.tmpdir()


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True, capture_output=True)


# --- help and usage -------------------------------------------------------
r = reflib.run([es, "--help"])
c.check("global help lists the commands",
        all(w in r.stdout for w in ("decode", "info", "logmel", "features")))
for cmd in ("decode", "info", "logmel", "features"):
    r = reflib.run([es, cmd, "--help"], check=False)
    c.check(f"{cmd} --help", r.returncode == 0 and "Usage: earshot " + cmd in r.stdout)
r = reflib.run([es, "frobnicate"], check=False)
c.check("unknown command exits 2", r.returncode == 2 and "unknown command" in r.stderr)
r = reflib.run([es, "features", "x.wav"], check=False)
c.check("missing -o exits 2", r.returncode == 2 and "-o" in r.stderr)
r = reflib.run([es, "features", "x.wav", "-o", "y.npy", "--set", "huge"], check=False)
c.check("bad --set exits 2", r.returncode == 2 and "full or small" in r.stderr)
r = reflib.run([es, "features", "x.wav", "-o", "y.npy", "--window", "-3"], check=False)
c.check("negative --window exits 2", r.returncode == 2)
r = reflib.run([es, "logmel", "x.wav", "-o", "y.npy", "--mels", "81"], check=False)
c.check("bad --mels exits 2", r.returncode == 2)
r = reflib.run([es, "--version"])
c.check("--version", r.stdout.startswith("earshot "))

# --- bad input ------------------------------------------------------------
missing = os.path.join(tmp, "nope.wav")
for cmd in ("decode", "logmel", "features"):
    r = reflib.run([es, cmd, missing, "-o", os.path.join(tmp, "o")], check=False)
    c.check(f"{cmd}: missing file exits 1 naming it",
            r.returncode == 1 and missing in r.stderr and "not found" in r.stderr.lower(),
            r.stderr.strip())
junk = os.path.join(tmp, "junk.mp3")
with open(junk, "wb") as f:
    f.write(np.random.default_rng(1).integers(0, 256, 50000, dtype=np.uint8).tobytes())
r = reflib.run([es, "features", junk, "-o", os.path.join(tmp, "o.npy")], check=False)
c.check("random bytes named .mp3: exit 1, names the file",
        r.returncode == 1 and junk in r.stderr, r.stderr.strip())
c.check("no output left behind on failure", not os.path.exists(os.path.join(tmp, "o.npy")))
empty = os.path.join(tmp, "empty.wav")
open(empty, "wb").close()
r = reflib.run([es, "decode", empty, "-o", os.path.join(tmp, "e.wav")], check=False)
c.check("empty file: exit 1, says empty", r.returncode == 1 and "empty" in r.stderr.lower(),
        r.stderr.strip())
c.check("failed decode leaves no WAV", not os.path.exists(os.path.join(tmp, "e.wav")))

# --- every format ---------------------------------------------------------
# 23 s of a 44.1 kHz stereo signal: a 440 Hz tone on the left, noise on the right.
src = os.path.join(tmp, "src.wav")
sh(f"sox -n -r 44100 -c 2 {src} synth 23 sine 440 whitenoise gain -12")
encodings = {
    "wav": "-c:a pcm_s16le", "flac": "-c:a flac", "mp3": "-c:a libmp3lame",
    "ogg": "-c:a libvorbis", "opus": "-c:a libopus", "m4a": "-c:a aac",
    "mp4": "-f lavfi -i testsrc=size=64x64:rate=5:duration=23 -map 1:v -map 0:a -c:v mpeg4 -c:a aac",
    "mkv": "-f lavfi -i testsrc=size=64x64:rate=5:duration=23 -map 1:v -map 0:a -c:v mpeg4 -c:a libvorbis",
}
dur = 23.0
# 10 s windows, 5 s hop over 23 s: starts 0, 5, 10, 15 (15-23 s, 8 s ≥ 1 s);
# the chunk at 20 s would cover nothing new.
expected_chunks = 4
full_ref = None
for ext, args in encodings.items():
    f = os.path.join(tmp, f"clip.{ext}")
    if "-f lavfi" in args:
        sh(f"ffmpeg -loglevel error -y -i {src} {args} -shortest {f}")
    else:
        sh(f"ffmpeg -loglevel error -y -i {src} {args} {f}")
    out = os.path.join(tmp, f"{ext}.npy")
    times = os.path.join(tmp, f"{ext}.t.npy")
    r = reflib.run([es, "features", f, "-o", out, "--times", times], check=False)
    if r.returncode != 0:
        c.check(f"features on .{ext}", False, r.stderr.strip())
        continue
    x = np.load(out)
    t = np.load(times)
    c.check(f"features on .{ext}: {x.shape[0]} chunks x 128, finite",
            x.shape == (expected_chunks, 128) and np.isfinite(x).all(), str(x.shape))
    c.check(f".{ext}: chunk times", t.shape == (expected_chunks, 2) and
            np.allclose(t[:, 0], [0, 5, 10, 15], atol=0.01) and abs(t[-1, 1] - dur) < 0.1,
            str(t.tolist()))
    if full_ref is None:
        full_ref = x
    else:
        # Lossy codecs change the signal a little; the tone's chroma (A) and
        # the centroid must survive.
        a = 99 + 9
        c.check(f".{ext}: chroma peaks at A like the WAV",
                int(np.argmax(x[0, 99:111])) == 9, str(np.argmax(x[0, 99:111])))
        rel = abs(x[0, 73] - full_ref[0, 73]) / full_ref[0, 73]
        c.check(f".{ext}: centroid within 10% of the WAV's", rel < 0.10, f"{rel:.3f}")
    wav = os.path.join(tmp, f"{ext}.dec.wav")
    r = reflib.run([es, "decode", f, "-o", wav], check=False)
    ok = r.returncode == 0 and os.path.exists(wav)
    if ok:
        y, sr = reflib.read_wav_s16(wav)
        ok = sr == 16000 and abs(len(y) / 16000 - dur) < 0.1
    c.check(f"decode .{ext} → 16 kHz WAV of {dur} s", ok, r.stderr.strip())

# --- small set = its columns of the full set --------------------------------
f = os.path.join(tmp, "clip.flac")
reflib.run([es, "features", f, "-o", os.path.join(tmp, "s.npy"), "--set", "small"])
s = np.load(os.path.join(tmp, "s.npy"))
x = np.load(os.path.join(tmp, "flac.npy"))
c.check("small set is [mfcc_1, mfcc_2, centroid, zcr, tempo] of the full set",
        s.shape == (4, 5) and np.allclose(s, x[:, [0, 1, 73, 81, 126]], rtol=1e-6, atol=1e-6))

# --- window / hop options ----------------------------------------------------
reflib.run([es, "features", f, "-o", os.path.join(tmp, "w.npy"), "--window", "2",
            "--hop", "1", "--times", os.path.join(tmp, "wt.npy")])
t = np.load(os.path.join(tmp, "wt.npy"))
c.check("--window 2 --hop 1: 22 chunks starting every second",
        len(t) == 22 and np.allclose(np.diff(t[:, 0]), 1.0, atol=1e-3), str(len(t)))

# --- info ---------------------------------------------------------------------
r = reflib.run([es, "info", os.path.join(tmp, "clip.mp4")])
c.check("info names the codec and rate", "aac" in r.stdout and "44100" in r.stdout, r.stdout.strip())
c.finish()
