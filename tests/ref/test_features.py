"""test_features — earshot's sound feature vector (layout version 1) against
the float64 NumPy reference in features_ref.py, component by component, on
generated signals and real clips.

Tolerances (C works in float32, the reference in float64; both see the same
float32 samples):
  power      |ΔP| ≤ 1e-5·max P of the chunk: float32 FFT rounding is ~1e-7
             of the peak amplitude.
  mel_db     ≤ 1e-3 dB (≤ 5e-3 for pure tones, whose weak mel bands sit at
             the float32 FFT noise floor before the top_db clamp); mfcc and
             deltas are linear in mel_db (Σ|basis| ≈ 6), so 1e-2 / 5e-3.
  centroid, bandwidth, rolloff: relative 1e-4 (Hz-scale values); rolloff may
             move by one bin (15.6 Hz) in ≤ 1 % of frames when the running
             sum ties with 85 % to float32 rounding.
  flatness   1e-3 relative + 1e-7 absolute (pure tones: ~1e-10 values).
  contrast   0.1 dB: valleys are the smallest magnitudes of a band, where
             float32 FFT noise is relatively largest; not compared on pure
             tones, whose valleys are float32 noise (∞-dB contrast in exact
             arithmetic).
  zcr        exact per frame (its mean/std: float32 rounding, 1e-6 rel); rms 1e-5 relative; chroma 1e-5; onset 1e-3 dB.
  tempo      0.5 BPM and 1e-3 confidence (argmax over the same curve).
The click track at 120 BPM must give 120 ± 2 BPM.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import features_ref as R  # noqa: E402
import reflib  # noqa: E402

C = reflib.Checks()
TOOL = reflib.tool("dump_features")
TMP = reflib.tmpdir()


def run_c(x, tag):
    d = os.path.join(TMP, tag)
    os.makedirs(d, exist_ok=True)
    x32 = np.asarray(x, dtype="<f4")
    x32.tofile(os.path.join(d, "in.f32"))
    reflib.run([TOOL, os.path.join(d, "in.f32"), d])
    out = {k: np.load(os.path.join(d, k + ".npy")).astype(np.float64)
           for k in ["power", "mel_db", "mfcc", "delta", "delta2", "centroid",
                     "bandwidth", "rolloff", "flatness", "contrast", "zcr", "rms",
                     "chroma", "onset", "tempo", "full", "small"]}
    return out, R.components(x32.astype(np.float64))


def close(name, a, b, atol=0.0, rtol=0.0):
    if a.shape != b.shape:
        C.check(name, False, f"shape {a.shape} vs {b.shape}")
        return
    d = np.abs(a - b)
    lim = atol + rtol * np.abs(b)
    ok = bool(np.all(d <= lim)) and bool(np.all(np.isfinite(a)))
    C.check(name, ok, f"max |Δ| {d.max() if d.size else 0:.3g}")


def compare(tag, x, tone=False):
    c, r = run_c(x, tag)
    close(f"{tag} power", c["power"], r["power"], atol=1e-5 * max(r["power"].max(), 1e-30))
    db_tol = 5e-3 if tone else 1e-3
    close(f"{tag} mel_db", c["mel_db"], r["mel_db"], atol=db_tol)
    close(f"{tag} mfcc", c["mfcc"], r["mfcc"], atol=10 * db_tol)
    close(f"{tag} delta", c["delta"], r["delta"], atol=5 * db_tol)
    close(f"{tag} delta2", c["delta2"], r["delta2"], atol=5 * db_tol)
    close(f"{tag} centroid", c["centroid"], r["centroid"], atol=1e-3, rtol=1e-4)
    close(f"{tag} bandwidth", c["bandwidth"], r["bandwidth"], atol=1e-3, rtol=1e-3 if tone else 1e-4)
    ro = np.abs(c["rolloff"] - r["rolloff"])
    ok = np.all(ro <= 15.625 + 1e-3) and np.mean(ro > 1e-3) <= 0.01
    C.check(f"{tag} rolloff", bool(ok), f"{int(np.sum(ro > 1e-3))} of {len(ro)} frames differ by a bin")
    close(f"{tag} flatness", c["flatness"], r["flatness"], atol=1e-7, rtol=1e-3)
    if not tone:
        close(f"{tag} contrast", c["contrast"], r["contrast"], atol=0.1)
    close(f"{tag} zcr", c["zcr"], r["zcr"], atol=1e-9)
    close(f"{tag} rms", c["rms"], r["rms"], atol=1e-9, rtol=1e-5)
    close(f"{tag} chroma", c["chroma"], r["chroma"], atol=1e-5)
    close(f"{tag} onset", c["onset"], r["onset"], atol=1e-3)
    close(f"{tag} tempo", c["tempo"], r["tempo"], atol=np.array([0.5, 1e-3]))
    # the final vector, group by group, with the tolerances above
    tol = np.zeros(128)
    tol[0:73] = 10 * db_tol
    tol[73:79] = (1e-3 if tone else 1e-4) * np.abs(r["full"][73:79]) + 1e-3
    tol[77:79] += 15.625 * 0.02        # rolloff mean/std: rare one-bin moves
    tol[79:81] = 1e-3 * np.abs(r["full"][79:81]) + 1e-7
    tol[81:83] = 1e-6 * np.abs(r["full"][81:83]) + 1e-9  # float32 mean/std
    tol[83:85] = 1e-5 * np.abs(r["full"][83:85]) + 1e-9
    tol[85:99] = np.inf if tone else 0.1
    tol[99:123] = 1e-5
    tol[123:126] = 1e-3
    tol[126] = 0.5
    tol[127] = 1e-3
    d = np.abs(c["full"] - r["full"])
    bad = np.flatnonzero(~(d <= tol))
    names = R.names()
    C.check(f"{tag} full vector", bad.size == 0 and np.all(np.isfinite(c["full"])),
            "worst: " + ", ".join(f"{names[i]} Δ{d[i]:.3g}" for i in bad[:4]))
    C.check(f"{tag} small = full[0,1,73,81,126]",
            np.array_equal(c["small"], c["full"][[0, 1, 73, 81, 126]]))
    return c, r


rng = np.random.default_rng(7)
n10 = 160000
t = np.arange(n10) / R.SR
compare("noise", 0.3 * rng.standard_normal(n10))
compare("noise_fullscale", np.clip(rng.standard_normal(n10), -1, 1))
# A major: A4, C#5, E5 → chroma classes 9, 1, 4 dominate
chord = 0.2 * sum(np.sin(2 * np.pi * f * t) for f in (440.0, 554.37, 659.26))
c, _ = compare("a_major", chord, tone=True)
top = set(np.argsort(-c["full"][99:111])[:3].tolist())
C.check("a_major chroma peaks at A, C#, E", top == {9, 1, 4}, f"top classes {sorted(top)}")
# click track at 120 BPM: a 5 ms 2 kHz burst every 0.5 s
clicks = np.zeros(n10)
burst = 0.8 * np.sin(2 * np.pi * 2000 * np.arange(80) / R.SR)
for k in range(0, n10, R.SR // 2):
    clicks[k:k + 80] = burst
c, _ = compare("clicks_120bpm", clicks)
C.check("clicks tempo 120 ± 2 BPM", abs(c["tempo"][0] - 120) <= 2, f"{c['tempo'][0]:.2f} BPM")
compare("silence", np.zeros(16000))
compare("short_100", 0.3 * rng.standard_normal(100))
compare("short_2000", 0.3 * rng.standard_normal(2000))
compare("short_1", np.array([0.5]))

for rel in ["esc50/audio/4-172736-B-36.wav", "esc50/audio/2-104105-B-19.wav",
            "misc_librosa/audio/admiralbob77_choice_drum_bass.wav",
            "misc_librosa/audio/sorohanro_solo_trumpet_06.wav"]:
    x, sr = reflib.read_wav_s16(reflib.shared("data/" + rel))
    assert sr == R.SR
    compare(os.path.basename(rel)[:24], x[:n10])

C.finish()
