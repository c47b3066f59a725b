"""test_logmel — earshot's Whisper log-mel front end against the float64
NumPy reference in whisper_ref.py (openai/whisper's log_mel_spectrogram).

Checks:
  - mel filters, computed and read from the ggml test model, equal
    openai's mel_filters.npz (max abs ≤ 1e-6);
  - log-mel of jfk.wav (80 and 128 mels, and with the ggml filters) and of
    generated signals (noise, sweep, impulses, silence, clipped square; many
    lengths including short ones) within 1e-4 max abs of the reference;
  - frame count n // 160;
  - the CLI (`earshot logmel IN.wav -o OUT.npy`) gives the same array.
The helper tools get raw float32 samples (.f32), so the C and the reference
see exactly the same input.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import whisper_ref  # noqa: E402

TOL = 1e-4
FILTER_TOL = 1e-6


def main():
    c = reflib.Checks()
    npz_path = reflib.shared("models/whisper-aux/mel_filters.npz")
    ggml = reflib.shared("models/whisper-aux/for-tests-ggml-tiny.bin")
    jfk_path = reflib.shared("models/test-audio/jfk.wav")
    tmp = reflib.tmpdir()
    npz = np.load(npz_path)
    ref_filters = {80: npz["mel_80"].astype(np.float64), 128: npz["mel_128"].astype(np.float64)}

    # ---- filters
    for n_mels in (80, 128):
        out = os.path.join(tmp, f"filters{n_mels}.npy")
        reflib.run([reflib.tool("dump_mel_filters"), out, n_mels])
        w = np.load(out)
        d = float(np.abs(w - ref_filters[n_mels]).max())
        c.check(f"computed mel filters {n_mels} == mel_filters.npz", w.shape == (n_mels, 201)
                and d <= FILTER_TOL, f"max abs {d:.3g}")
        d2 = float(np.abs(whisper_ref.mel_filters(n_mels) - ref_filters[n_mels]).max())
        c.check(f"reference mel filters {n_mels} == mel_filters.npz", d2 <= FILTER_TOL,
                f"max abs {d2:.3g}")
    out = os.path.join(tmp, "filters_ggml.npy")
    reflib.run([reflib.tool("dump_mel_filters"), out, "--ggml", ggml])
    w = np.load(out)
    d = float(np.abs(w - ref_filters[80]).max()) if w.shape == (80, 201) else float("inf")
    c.check("ggml mel filters == mel_filters.npz mel_80", d <= FILTER_TOL, f"max abs {d:.3g}")

    # ---- log-mel helper
    def earshot_logmel(x, name, extra):
        f32 = os.path.join(tmp, name + ".f32")
        npy = os.path.join(tmp, name + ".npy")
        np.asarray(x, dtype="<f4").tofile(f32)
        reflib.run([reflib.tool("dump_logmel"), f32, npy] + extra)
        return np.load(npy)

    def compare(name, x, n_mels=80, ggml_filters=False):
        x32 = np.asarray(x, dtype=np.float32)
        extra = ["--ggml", ggml] if ggml_filters else ["--mels", str(n_mels)]
        got = earshot_logmel(x32, name, extra)
        ref = whisper_ref.log_mel_spectrogram(x32.astype(np.float64), ref_filters[n_mels])
        n_frames = x32.size // 160
        if got.shape != (n_mels, n_frames) or ref.shape != got.shape:
            c.check(f"log-mel {name}", False, f"shape {got.shape}, expected {(n_mels, n_frames)}")
            return None
        d = float(np.abs(got.astype(np.float64) - ref).max()) if got.size else 0.0
        c.check(f"log-mel {name} [{n_mels}×{n_frames}]", d <= TOL, f"max abs {d:.3g}")
        return got, ref

    # ---- jfk.wav
    jfk, sr = reflib.read_wav_s16(jfk_path)
    assert sr == 16000
    compare("jfk_80", jfk, 80)
    compare("jfk_128", jfk, 128)
    compare("jfk_ggml", jfk, 80, ggml_filters=True)

    # ---- generated signals
    rng = np.random.default_rng(1234)
    sr = whisper_ref.SAMPLE_RATE
    for n in (16000, 16000 * 30, 12345, 401):
        compare(f"noise_{n}", rng.uniform(-0.5, 0.5, n), 80)
    t = np.arange(16000 * 30) / sr
    f0, f1, T = 20.0, 7900.0, 30.0
    sweep = 0.8 * np.sin(2 * np.pi * f0 * T / np.log(f1 / f0) * (np.exp(t / T * np.log(f1 / f0)) - 1))
    compare("sweep_30s", sweep, 80)
    compare("sweep_30s_128", sweep, 128)
    imp = np.zeros(16000 * 3)
    imp[[0, 1, 999, 16000, 16001, 47999]] = [1.0, -1.0, 0.5, 0.9, -0.3, 1.0]
    compare("impulses", imp, 80)
    square = np.clip(8.0 * np.sign(np.sin(2 * np.pi * 440.0 * np.arange(16000) / sr)), -1, 1)
    compare("clipped_square", square, 80)
    compare("loud_square_x1000", 1000.0 * square, 128)
    # Quiet: mel energies ~1e-7..1e-5, well above the 1e-10 clamp.
    compare("noise_quiet", 1e-4 * rng.standard_normal(12345), 80)
    # Near the clamp: part of the bands fall under 1e-10.
    compare("noise_near_clamp", 3e-6 * rng.standard_normal(12345), 80)

    # Silence: every mel value is 0 → log10 clamps to -10, max-8 = -18 does
    # not bind, so every output is (-10 + 4) / 4 = -1.5.
    r = compare("silence", np.zeros(16000), 80)
    if r is not None:
        c.check("silence is -1.5 everywhere", bool(np.all(np.abs(r[0] + 1.5) < 1e-6)),
                f"range {r[0].min():.7g}..{r[0].max():.7g}")

    # Short signals: n < 160 → 0 frames; 160 ≤ n ≤ 200 padded as numpy.pad reflect.
    for n in (0, 1, 159):
        got = earshot_logmel(rng.uniform(-1, 1, n), f"short_{n}", ["--mels", "80"])
        c.check(f"{n} samples → 0 frames", got.shape == (80, 0), f"shape {got.shape}")
    for n in (160, 170, 200, 201, 319, 320, 321):
        compare(f"short_noise_{n}", rng.uniform(-1, 1, n), 80)

    # Frame count n // 160 over lengths around frame boundaries.
    bad = []
    for n in (0, 159, 160, 161, 479, 480, 481, 16000, 16159, 16160):
        got = earshot_logmel(0.1 * np.ones(n) + 0.01 * rng.standard_normal(n), "count", ["--mels", "80"])
        if got.shape != (80, n // 160):
            bad.append((n, got.shape))
    c.check("frame count is n // 160", not bad, f"mismatches {bad}" if bad else "")

    # ---- the CLI on jfk.wav (decoder + log-mel end to end)
    cli_out = os.path.join(tmp, "cli_jfk.npy")
    try:
        r = reflib.run([reflib.earshot(), "logmel", jfk_path, "-o", cli_out], check=False)
        rc, msg = r.returncode, (r.stderr or r.stdout).strip()[:300]
    except OSError as e:
        rc, msg = -1, str(e)
    if rc != 0 or not os.path.exists(cli_out):
        c.check("CLI earshot logmel jfk.wav", False, f"exit {rc}: {msg}")
    else:
        got = np.load(cli_out)
        ref = whisper_ref.log_mel_spectrogram(jfk, ref_filters[80])
        ok = got.shape == ref.shape
        d = float(np.abs(got.astype(np.float64) - ref).max()) if ok else float("inf")
        c.check("CLI earshot logmel jfk.wav == reference", ok and d <= TOL,
                f"shape {got.shape}, max abs {d:.3g}")

    c.finish()


if __name__ == "__main__":
    main()
