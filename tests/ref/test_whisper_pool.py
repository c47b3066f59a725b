"""test_whisper_pool — es_whisper_pool_compute (src/models/whisper/whisper_pool.c),
the Hybrid bridge input, against the independent float64 PyTorch Whisper of
whisper_torch_ref.py on synthetic ggml files (whisper_synth.py).

The C side (tests/tools/whisper_pool_tool) decodes a WAV and pools the
encoder output of the chunk; the reference computes the same log-mel with
NumPy (whisper_ref.py: the signal padded with 30 s of zeros, max − 8 floor,
frames [0, n/160), raised to at least 100 frames and to an even count with
zero frames, as a short transcription window), encodes only those frames
(audio_ctx trimming) and takes the mean then the max over positions.
Required:
  - pooled vector [2·d], max abs diff ≤ 1e-3 (test_whisper_model.py's
    encoder tolerance) for 3 s and 10 s of audio (and 0.5 s, padded to 100
    frames), on a small f32 model and the tiny shape in f16;
  - identity "whisper:<size>:<wtype>:<16 hex>": equal for a copy of the
    file, different for other weights of the same shape;
  - more than 30 s is refused; a missing model or an uninstalled
    whisper-tiny is "not found" naming `earshot models pull whisper-tiny`.
"""
import os
import re
import shutil
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import whisper_ref  # noqa: E402
import whisper_synth as ws  # noqa: E402

TOL = 1e-3
MIN_FRAMES = 100


def gen_audio(seconds, seed, sr=16000):
    """Chirps, an amplitude-modulated tone and noise bursts."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * (180 * t + 90 * t ** 2))
    x += 0.2 * np.sin(2 * np.pi * 1100 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    x += (np.sin(2 * np.pi * 0.9 * t) > 0.5) * rng.standard_normal(t.size) * 0.15
    return x


def ref_pool(ref, x, filters):
    seg = x.size // 160
    m = whisper_ref.log_mel_spectrogram(np.concatenate([x, np.zeros(480000)]), filters)[:, :seg]
    n_enc = max(seg, MIN_FRAMES)
    n_enc += n_enc & 1
    mel = np.zeros((m.shape[0], n_enc), np.float32)
    mel[:, :seg] = m
    enc = ref.encode(mel).numpy()
    return np.concatenate([enc.mean(axis=0), enc.max(axis=0)]), enc.shape[0]


def main():
    try:
        import torch
        import whisper_torch_ref as wr
    except ImportError:
        print("FAIL: python3-torch is missing (run scripts/install-deps.sh)")
        sys.exit(1)
    torch.set_num_threads(2)
    t0 = time.time()
    c = reflib.Checks()
    vocab_file = reflib.shared("models/whisper-aux/for-tests-ggml-tiny.bin")
    tool = reflib.tool("whisper_pool_tool")
    tmp = reflib.tmpdir()
    _, filters, _ = ws.read_vocab_file(vocab_file)

    audio = {}
    for secs, seed in ((3.0, 1), (10.0, 2), (0.5, 3)):
        p = os.path.join(tmp, f"a{secs:g}.wav")
        audio[secs] = (p, reflib.write_wav_s16(p, gen_audio(secs, seed)))

    idents = {}
    for name, hp, wtype, seed, size in (("small f32", ws.SMALL, "f32", 5, "custom-2x64"),
                                        ("tiny f16", ws.TINY, "f16", 9, "tiny")):
        path = os.path.join(tmp, f"{size}-{wtype}.bin")
        ws.write_model(path, vocab_file, hp, wtype, seed=seed)
        ref = wr.Whisper.from_ggml(path)
        d = hp["n_audio_state"]
        for secs, (wav, x) in audio.items():
            out = os.path.join(tmp, "pool.npy")
            r = reflib.run([tool, path, wav, out, "--threads", "2"])
            ok_line = r.stdout.split()
            got = np.load(out)
            want, n_pos = ref_pool(ref, x, filters)
            same_shape = got.shape == want.shape == (2 * d,) and ok_line[1] == str(2 * d)
            diff = np.abs(got - want).max() if same_shape else np.inf
            c.check(f"{name}, {secs:g} s ({n_pos} positions): mean ‖ max [{2 * d}] "
                    f"max abs diff ≤ {TOL:g}", same_shape and diff <= TOL,
                    f"({diff:.2e}; range ±{np.abs(want).max():.2f})")
            idents.setdefault(name, set()).add(ok_line[2])
        ident = idents[name]
        pat = rf"whisper:{re.escape(size)}:{wtype}:[0-9a-f]{{16}}"
        c.check(f"{name}: identity {sorted(ident)[0]} has the form whisper:<size>:<wtype>:<hex>",
                len(ident) == 1 and re.fullmatch(pat, next(iter(ident))) is not None)
        # a copy of the file: same identity; other weights: another one
        copy = path + ".copy.bin"
        shutil.copy(path, copy)
        r = reflib.run([tool, copy, audio[3.0][0], os.path.join(tmp, "x.npy")])
        c.check(f"{name}: a copy of the file has the same identity",
                r.stdout.split()[2] == next(iter(ident)))
        other = path + ".other.bin"
        ws.write_model(other, vocab_file, hp, wtype, seed=seed + 100)
        r = reflib.run([tool, other, audio[3.0][0], os.path.join(tmp, "x.npy")])
        c.check(f"{name}: other weights of the same shape get another identity",
                r.stdout.split()[2] != next(iter(ident)), f"({r.stdout.split()[2]})")
        for f in (copy, other, path):
            os.remove(f)
        del ref
        if name == "small f32":
            # too long, then missing models
            path2 = os.path.join(tmp, "small2.bin")
            ws.write_model(path2, vocab_file, hp, wtype, seed=seed)
            long_wav = os.path.join(tmp, "long.wav")
            reflib.write_wav_s16(long_wav, gen_audio(31.0, 4))
            r = reflib.run([tool, path2, long_wav, os.path.join(tmp, "x.npy")], check=False)
            c.check("31 s of audio is refused (a chunk is at most 30 s)",
                    r.returncode == 1 and "30 s" in r.stderr, f"({r.stderr.strip()})")
            os.remove(path2)

    r = reflib.run([tool, os.path.join(tmp, "nope.bin"), audio[3.0][0], os.path.join(tmp, "x.npy")],
                   check=False)
    c.check("a missing model file: not found, naming the file",
            r.returncode == 1 and "nope.bin" in r.stderr, f"({r.stderr.strip()[:140]})")
    empty = os.path.join(tmp, "models")
    os.makedirs(empty)
    env = dict(os.environ, EARSHOT_MODELS=empty)
    for name in ("whisper-tiny", "auto"):
        import subprocess
        r = subprocess.run([tool, name, audio[3.0][0], os.path.join(tmp, "x.npy")],
                           capture_output=True, text=True, env=env)
        c.check(f"'{name}' with no model installed names `earshot models pull whisper-tiny`",
                r.returncode == 1 and "earshot models pull whisper-tiny" in r.stderr,
                f"({r.stderr.strip()[:160]})")
    print(f"     ({time.time() - t0:.1f} s)")
    if c.failed == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
