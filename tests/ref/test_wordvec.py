"""test_wordvec — the word-vector text encoder against its NumPy reference,
on a small synthetic vocabulary in the real (wink JSON) source format.

1. Builds a wink-format JSON (a few hundred words, random vectors), converts
   it with scripts/wordvec-convert.py (f16 and int8, and with a tiny JSON
   window to exercise the streaming parser), and reads the .eswv back with
   NumPy (wordvec_ref.read_eswv) to check the converter.
2. Embeds 60+ texts (empty, punctuation only, unknown words, mixed case,
   Unicode, contractions, invalid UTF-8) through the public C API
   (tests/tools/wordvec_embed) and compares with wordvec_ref: max abs
   difference ≤ 1e-3 for f16, cosine ≥ 0.999 for int8.
3. Hostile files: damaged, truncated, lying about counts (with valid
   checksums) and randomly mutated must be refused with a clear message and
   exit status 1, never a crash.
"""
import json
import os
import random
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import wordvec_ref as R  # noqa: E402

SRC = reflib.SRC
CONVERT = os.path.join(SRC, "scripts", "wordvec-convert.py")
EMBED = reflib.tool("wordvec_embed")
NEIGHBORS = reflib.tool("wordvec_neighbors")
TOKENS = reflib.tool("wordvec_tokens")

# Words the texts use; the rest of the vocabulary is random strings and the
# kinds of entries the real source holds that the tokenizer never produces.
REAL_WORDS = """the , . of to and in " a is was dog dogs barking barks bark cat cats
meowing rain rains heavy roof thunder storm violin concerto piano music loud
loudly quiet bell bells ringing church car engine idling people talking cafe
strasse fine not do does did can will shall is are wo ca sha o clock rock n roll
mp3 h1n1 well known water bird birds singing wind crowd applause door creaks
train siren baby crying laughter speech guitar 3d it let you i""".split()
NON_PRODUCIBLE = ["well-known", "'", "n't", "$", "“", "e-mail", "x-ray", "…", "--"]


def make_source(path, n_random=320, dim=100, seed=1):
    rng = np.random.default_rng(seed)
    words = list(dict.fromkeys(REAL_WORDS))
    pyr = random.Random(seed)
    while len(words) < len(REAL_WORDS) + n_random:
        w = "".join(pyr.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                    for _ in range(pyr.randint(2, 11)))
        if w not in words:
            words.append(w)
    for k, w in enumerate(NON_PRODUCIBLE):  # spread among the frequent words
        words.insert(3 + 7 * k, w)
    scales = rng.uniform(0.3, 6.0, size=len(words))
    vecs = rng.standard_normal((len(words), dim)) * scales[:, None] / np.sqrt(dim)
    vecs = np.round(vecs, 8)
    obj = {"precision": 8, "l2NormIndex": dim, "wordIndex": dim + 1,
           "size": len(words), "dimensions": dim, "words": words,
           "vectors": {w: [float(x) for x in vecs[i]] + [float(np.linalg.norm(vecs[i])), i]
                       for i, w in enumerate(words)},
           "unkVector": [0] * dim + [0, -1]}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)
    return words, vecs.astype(np.float64)


def convert(src, out, *args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    import subprocess
    return subprocess.run(["/usr/bin/python3", CONVERT, src, out, "--quiet", *args],
                          capture_output=True, text=True, env=e)


TEXTS = [
    "", " ", "!!!", "... ,,, ;;; ---", "\t\n", "'", "''", "’’’",
    "dog", "Dog", "DOG", "dOg BaRkInG", "the dog", "a dog barks loudly",
    "dog barking", "violin concerto", "heavy rain on the roof",
    "church bells ringing", "car engine idling", "people talking in a cafe",
    "zzqx unknownword blorf", "zzqx dog blorf", "xylophonic quasar",
    "Café", "CAFÉ", "cafe\u0301", "Straße", "STRASSE", "ﬁne", "ＤＯＧ ｂａｒｋｉｎｇ",
    "Ça va très bien", "собака лает", "犬が吠える", "κύων", "naïve café",
    "don't", "Don't stop", "DOESN'T", "doesn’t", "can't", "won't", "shan't",
    "dog's bark", "dogs' barks", "o'clock", "rock'n'roll", "'quoted words'",
    "it's", "let's go", "you're", "i'll", "we'd", "i'm", "they've", "isn't",
    "a''b", "dog''s", "n't", "'t", "x'y'z",
    "mp3 player", "h1n1", "3d", "2024 dogs", "dog2", "well-known", "well known",
    "x-ray", "e-mail", "cat—dog", "cat/dog", "cat_dog", "cat.dog", "cat,dog",
    "dog " * 50, "b" * 300 + " dog", "dog " + "a" * 256, "dog a" + "'b" * 200,
    "🐶 dog 🎵 music", "dog\u00a0barking", "dog\u200bbarking",
]
BAD_UTF8 = [b"dog \xff barking", b"\xe2\x82dog", b"do\xc3g", b"\xed\xa0\x80cat",
            b"cat\xf0\x9f\x90"]


def random_texts(words, n, seed=3):
    """Vocabulary words in random case, glued with random punctuation,
    apostrophes and non-ASCII separators."""
    rng = random.Random(seed)
    seps = [" ", "  ", ", ", ". ", "-", "/", "'", "’", " '", "' ", "\n", "—", "…", "!? "]
    out = []
    for _ in range(n):
        toks = []
        for _ in range(rng.randint(1, 14)):
            w = rng.choice(words)
            w = "".join(ch.upper() if rng.random() < 0.3 else ch for ch in w)
            toks.append(w + rng.choice(["", "", "", "'s", "n't", "'ll", "é"]))
            toks.append(rng.choice(seps))
        out.append("".join(toks))
    return out


def embed_c(model, texts):
    tdir = reflib.tmpdir()
    tf = os.path.join(tdir, "texts.bin")
    with open(tf, "wb") as f:
        f.write(b"\0".join(t if isinstance(t, bytes) else t.encode("utf-8") for t in texts))
    out = os.path.join(tdir, "out.npy")
    r = reflib.run([EMBED, model, tf, out])
    return np.load(out), r.stderr


def run_open(model):
    """Opens a model through the public API; returns (rc, stderr)."""
    tdir = reflib.tmpdir()
    tf = os.path.join(tdir, "t.bin")
    with open(tf, "wb") as f:
        f.write(b"dog barking\0rain")
    import subprocess
    r = subprocess.run([EMBED, model, tf, os.path.join(tdir, "o.npy")],
                       capture_output=True)
    return r.returncode, r.stderr.decode("utf-8", errors="replace")


def fix_crcs(b):
    """Recomputes both checksums of a (tampered) .eswv image."""
    b = bytearray(b)
    struct.pack_into("<I", b, 128, zlib.crc32(bytes(b[256:])))
    struct.pack_into("<I", b, 252, zlib.crc32(bytes(b[:252])))
    return bytes(b)


def main():
    c = reflib.Checks()
    tdir = reflib.tmpdir()
    src = os.path.join(tdir, "wink-synth.json")
    words, vecs = make_source(src)
    V = len(words)
    producible = [i for i, w in enumerate(words) if R.producible(w)]
    top = len(producible) - 25  # drop the 25 rarest producible words
    kept = producible[:top]

    f16 = os.path.join(tdir, "s-f16.eswv")
    i8 = os.path.join(tdir, "s-int8.eswv")
    f16b = os.path.join(tdir, "s-f16-window.eswv")
    for path, args, env in ((f16, ["--top", str(top)], None),
                            (i8, ["--top", str(top), "--dtype", "int8"], None),
                            (f16b, ["--top", str(top)], {"ESWV_JSON_CHUNK": "997"})):
        r = convert(src, path, *args, env=env)
        c.check(f"convert {os.path.basename(path)}", r.returncode == 0, r.stderr.strip())
    c.check("streaming window does not change the output",
            open(f16, "rb").read() == open(f16b, "rb").read())

    # --- the converter's output, read back with NumPy -------------------------
    F = R.read_eswv(f16)
    Q = R.read_eswv(i8)
    c.check("kept words are the producible ones in rank order",
            F["words"] == [words[i] for i in kept], f"{F['n_words']} words")
    c.check("ranks are the source ranks", list(F["ranks"]) == kept)
    c.check("header: dim, vocabulary size, SIF a, Zipf norm",
            F["dim"] == 100 and F["vocab_size"] == V and F["sif_a"] == 1e-3 and
            abs(F["zipf_norm"] - R.zipf_norm(V)) < 1e-12 and F["top"] == top)
    err16 = np.abs(F["vectors"] - vecs[kept]).max()
    c.check("f16 vectors round the source", err16 <= 2e-3 * np.abs(vecs).max(), f"{err16:.2e}")
    cos8 = np.sum(Q["vectors"] * vecs[kept], 1) / (
        np.linalg.norm(Q["vectors"], axis=1) * np.linalg.norm(vecs[kept], axis=1))
    c.check("int8 vectors keep direction", cos8.min() > 0.999, f"min cos {cos8.min():.5f}")
    c.check("f16 and int8 share the source fingerprint",
            F["fingerprint"] == Q["fingerprint"] != 0)

    # --- C encoder vs reference ---------------------------------------------
    texts = TEXTS + BAD_UTF8 + random_texts(words, 30)
    tf = os.path.join(tdir, "tok.bin")
    with open(tf, "wb") as f:
        f.write(b"\0".join(t if isinstance(t, bytes) else t.encode("utf-8") for t in texts))
    import subprocess
    r = subprocess.run([TOKENS, tf], capture_output=True, check=True)
    got = [l.split("\t") if l else [] for l in r.stdout.decode("utf-8").split("\n")[:-1]]
    want = [R.tokenize(t) for t in texts]
    diff = [(t, g, w) for t, g, w in zip(texts, got, want) if g != w]
    c.check("tokens: C equals the reference on every text", len(got) == len(texts) and not diff,
            f"{len(texts)} texts" + (f"; first difference {diff[0]!r}" if diff else ""))
    c.check("at least 50 texts", len(texts) >= 50, str(len(texts)))
    index = {words[i]: j for j, i in enumerate(kept)}
    ref = np.array([R.embed(t, index, vecs[kept], np.array(kept), 1e-3, V) for t in texts])
    E16, err16s = embed_c(f16, texts)
    E8, err8s = embed_c(i8, texts)
    zero_ref = np.linalg.norm(ref, axis=1) == 0
    d16 = np.abs(E16 - ref).max()
    c.check("f16: C matches the NumPy reference", d16 <= 1e-3, f"max abs diff {d16:.2e}")
    worst = np.argsort(-np.abs(E16 - ref).max(axis=1))[:3]
    if d16 > 1e-3:
        for w in worst:
            print("   worst:", repr(texts[w]), R.tokenize(texts[w]))
    cos = np.sum(E8 * ref, axis=1)
    c.check("int8: cosine with the reference ≥ 0.999", cos[~zero_ref].min() >= 0.999,
            f"min {cos[~zero_ref].min():.5f}")
    c.check("zero rows exactly where no word is known",
            np.array_equal(np.linalg.norm(E16, axis=1) == 0, zero_ref) and
            np.array_equal(np.linalg.norm(E8, axis=1) == 0, zero_ref),
            f"{zero_ref.sum()} empty texts")
    nz = np.linalg.norm(E16[~zero_ref], axis=1)
    c.check("other rows are unit vectors", np.abs(nz - 1).max() < 1e-5)
    c.check("tokenizer sanity (reference)",
            R.tokenize("Don't stop, dog's CAN'T Straße ﬁne o'clock") ==
            ["do", "not", "stop", "dog", "can", "not", "strasse", "fine", "o", "clock"])
    ident16 = [l for l in err16s.splitlines() if l.startswith("identity:")]
    ident8 = [l for l in err8s.splitlines() if l.startswith("identity:")]
    c.check("identity: f16 and int8 are one space", ident16 == ident8 and
            ident16[0].startswith("identity: wordvec:wink-sg-100d:100:"), str(ident16))
    c.check("describe names dtype and size",
            f"{top} words, f16" in err16s and f"{top} words, int8" in err8s)

    # --- odd dimension, f16 --------------------------------------------------
    src7 = os.path.join(tdir, "dim7.json")
    w7, v7 = make_source(src7, n_random=40, dim=7, seed=5)
    m7 = os.path.join(tdir, "dim7.eswv")
    r = convert(src7, m7)
    k7 = [i for i, w in enumerate(w7) if R.producible(w)]
    ref7 = np.array([R.embed(t, {w7[i]: j for j, i in enumerate(k7)}, v7[k7],
                             np.array(k7), 1e-3, len(w7)) for t in texts])
    E7, _ = embed_c(m7, texts)
    c.check("dim 7 model: shape and values", E7.shape == (len(texts), 7) and
            np.abs(E7 - ref7).max() <= 1e-3, f"{np.abs(E7 - ref7).max():.2e}")

    # --- neighbours through C vs NumPy ---------------------------------------
    r = reflib.run([NEIGHBORS, f16, "-k", "5", "dog", "rain", "nosuchword"])
    Fv = F["vectors"].astype(np.float64)
    U = Fv / np.linalg.norm(Fv, axis=1, keepdims=True)
    ok = True
    for probe in ("dog", "rain"):
        got = [l.split("\t")[1] for l in r.stdout.splitlines() if l.startswith(probe + "\t")]
        sims = U @ U[F["index"][probe]]
        sims[F["index"][probe]] = -9
        want = [F["words"][j] for j in np.argsort(-sims)[:5]]
        ok &= got == want
    c.check("neighbours match NumPy", ok and "nosuchword\t-\tunknown" in r.stdout)

    # --- converter errors ----------------------------------------------------
    bad = os.path.join(tdir, "bad.json")
    open(bad, "w").write('{"dimensions": 3, "words": ["a"], "vectors": {"a": [1, 2]}}')
    r = convert(bad, os.path.join(tdir, "bad.eswv"))
    c.check("converter refuses a malformed source", r.returncode == 1 and
            "does not hold" in r.stderr, r.stderr.strip())
    open(bad, "w").write('{"dimensions": 3, "words": ["a"], "vectors": {"a": [1, 2, 3, 4')
    r = convert(bad, os.path.join(tdir, "bad.eswv"))
    c.check("converter refuses a cut source", r.returncode == 1 and "malformed JSON" in r.stderr,
            r.stderr.strip())

    # --- hostile files -------------------------------------------------------
    good = open(f16, "rb").read()
    good8 = open(i8, "rb").read()
    hostile = os.path.join(tdir, "hostile.eswv")

    def refused(name, data, phrase, code_ok=(1,)):
        with open(hostile, "wb") as f:
            f.write(data)
        rc, err = run_open(hostile)
        clean = "Sanitizer" not in err and "runtime error" not in err
        c.check(f"hostile: {name}", rc in code_ok and phrase in err and clean,
                f"rc {rc}: {err.strip().splitlines()[-1] if err.strip() else ''}")

    def patched(data, fmt, at, value, crcs=True):
        b = bytearray(data)
        struct.pack_into(fmt, b, at, value)
        return fix_crcs(b) if crcs else bytes(b)

    mid = len(good) // 2
    refused("payload byte flipped", good[:mid] + bytes([good[mid] ^ 1]) + good[mid + 1:],
            "payload checksum mismatch")
    refused("last byte flipped", good[:-1] + bytes([good[-1] ^ 0x80]),
            "payload checksum mismatch")
    refused("header byte flipped (dim)", patched(good, "<I", 12, 101, crcs=False),
            "header checksum mismatch")
    refused("cut in half", good[:mid], "truncated")
    refused("cut by one byte", good[:-1], "truncated")
    refused("cut inside the header", good[:100], "truncated")
    refused("empty file", b"", "empty")
    refused("not an eswv file", b"hello world, this is not a model" * 20, "no ESWV magic")
    refused("trailing bytes", good + b"\0" * 64, "trailing bytes")
    refused("future version", patched(good, "<I", 4, 2), "version 2")
    refused("n_words lies (huge)", patched(good, "<I", 16, 1 << 25), "hash table of")
    refused("n_words lies (a little)", patched(good, "<I", 16, top + 1), "runs past the end")
    refused("n_words lies (over the limit)", patched(good, "<I", 16, 0xFFFFFFFF),
            "impossible header")
    refused("n_words zero", patched(good, "<I", 16, 0), "impossible header")
    refused("dim lies", patched(good, "<I", 12, 1000), "runs past the end")
    refused("dim zero", patched(good, "<I", 12, 0), "impossible header")
    refused("unknown dtype", patched(good, "<I", 20, 7), "impossible header")
    refused("f16 file claims int8", patched(good, "<I", 20, 2), "section")
    refused("hash slots not a power of two", patched(good, "<I", 32, 1000), "hash table")
    refused("hash slots below the word count", patched(good, "<I", 32, 64), "hash table")
    refused("longest word lies", patched(good, "<I", 28, 2), "bad length")
    refused("SIF a is NaN", patched(good, "<d", 40, float("nan")), "SIF parameters")
    refused("Zipf norm negative", patched(good, "<d", 56, -1.0), "SIF parameters")
    refused("source vocab smaller than kept", patched(good, "<I", 36, 10), "SIF parameters")
    refused("strings size lies", patched(good, "<Q", 80, 1 << 40), "runs past the end")
    refused("vectors offset past the end", patched(good, "<Q", 112, (len(good) // 64 + 2) * 64),
            "runs past the end")
    refused("vectors offset misaligned", patched(good, "<Q", 112, F["offsets"]["vectors"] + 2),
            "misplaced")
    refused("sections overlap", patched(good, "<Q", 88, F["offsets"]["offsets"]), "misplaced")
    refused("file size lies", patched(good, "<Q", 120, len(good) + 1000), "truncated")
    refused("name not terminated", patched(good, "32s", 144, b"x" * 32), "model name")
    refused("escape codes in the name", patched(good, "32s", 144, b"\x1b[31mred"), "model name")
    o = F["offsets"]
    refused("word offsets not increasing", patched(good, "<I", o["offsets"] + 8, 0), "bad length")
    refused("word offset past the strings", patched(good, "<I", o["offsets"] + 4, 1 << 30),
            "bad length")
    refused("rank beyond the source vocabulary", patched(good, "<I", o["ranks"], V + 5),
            "rank")
    refused("hash slot past the vocabulary",
            patched(good, "<I", o["hash"] + 4 * int(np.argmax(
                np.frombuffer(good, "<u4", F["hash_slots"], o["hash"]) == 0)), top + 9),
            "hash slot")
    nan_f16 = bytearray(good)
    nan_f16[o["vectors"]:o["vectors"] + 2] = b"\x00\x7e"
    refused("NaN in an f16 vector", fix_crcs(nan_f16), "Inf or NaN")
    Qo = Q["offsets"]
    refused("negative int8 scale", patched(good8, "<f", Qo["scales"], -1.0), "bad scale")
    full = bytearray(good)
    slots = F["hash_slots"]
    full[o["hash"]:o["hash"] + 4 * slots] = np.ones(slots, "<u4").tobytes()
    refused("hash table with no empty slot", fix_crcs(full), "too many entries")

    # Random mutations with valid checksums: opened or refused, never a crash.
    rng = random.Random(7)
    crashes, opened, n_fuzz = [], 0, 150
    for k in range(n_fuzz):
        b = bytearray(good if k % 2 else good8)
        for _ in range(rng.randint(1, 4)):
            region = rng.random()
            if region < 0.5:
                at = rng.randrange(4, 252)  # header fields
            else:
                at = rng.randrange(256, min(len(b), o["vectors"] + 64))  # tables
            b[at] = rng.randrange(256)
        with open(hostile, "wb") as f:
            f.write(fix_crcs(b))
        rc, err = run_open(hostile)
        if rc == 0:
            opened += 1
        elif rc != 1 or "Sanitizer" in err or "runtime error" in err:
            crashes.append((k, rc, err[-300:]))
    c.check(f"{n_fuzz} random mutations: opened or refused, never a crash", not crashes,
            f"{opened} opened, {n_fuzz - opened - len(crashes)} refused"
            + (f"; first crash {crashes[0]}" if crashes else ""))
    c.finish()


if __name__ == "__main__":
    main()
