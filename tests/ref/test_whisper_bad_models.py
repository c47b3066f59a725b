"""test_whisper_bad_models — broken or hostile whisper.cpp ggml files give a
clear error (exit 1, one message naming the file and, where there is one,
the tensor) and never a crash, a sanitizer report or a huge allocation (the
ASan run executes this test too).

Starting from an intact micro model (whisper_synth.py layout, 8 wide, 1+1
layers, 120-token vocabulary, real vocabulary bytes and mel filters):
truncation at ~90 points (every structure boundary ± a few bytes), wrong
magic, each hparam negative / zero / huge, inconsistent hparams, vocabulary
count and token lengths that lie, tensor dims that do not match the
hparams, unknown tensor types, bad dimension counts and name lengths,
unknown / duplicate / missing tensors, data past the end of the file, a NaN
weight, then 300 random mutations of the structural bytes (header, token
lengths, tensor headers), each of which must load or fail cleanly.
"""
import os
import random
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import whisper_synth as ws  # noqa: E402

MICRO = dict(n_vocab=120, n_audio_ctx=16, n_audio_state=8, n_audio_head=2,
             n_audio_layer=1, n_text_ctx=8, n_text_state=8, n_text_head=2,
             n_text_layer=1, n_mels=80)


def layout(raw):
    """Offsets of the file's structures: hparams, vocab entries, tensors."""
    off = 56 + 4 * 80 * 201
    vocab_count_at = off
    (n,) = struct.unpack_from("<i", raw, off)
    off += 4
    tokens = []
    for _ in range(n):
        (ln,) = struct.unpack_from("<I", raw, off)
        tokens.append(off)
        off += 4 + ln
    tensors = []
    while off < len(raw):
        n_dims, name_len, ttype = struct.unpack_from("<iii", raw, off)
        ne = struct.unpack_from(f"<{n_dims}i", raw, off + 12)
        name = raw[off + 12 + 4 * n_dims: off + 12 + 4 * n_dims + name_len].decode()
        data = off + 12 + 4 * n_dims + name_len
        count = int(np.prod(ne))
        nbytes = count * 4 if ttype == 0 else count * 2 if ttype == 1 else count // 32 * 34
        tensors.append(dict(at=off, n_dims=n_dims, name=name, type=ttype, ne=ne,
                            data=data, end=data + nbytes))
        off = data + nbytes
    return dict(vocab_count_at=vocab_count_at, tokens=tokens, tensors=tensors)


def load(path):
    r = subprocess.run([reflib.tool("whisper_run"), path], capture_output=True, text=True)
    return r.returncode, r.stderr.strip()


def main():
    c = reflib.Checks()
    vocab_file = reflib.shared("models/whisper-aux/for-tests-ggml-tiny.bin")
    tmp = reflib.tmpdir()
    good = os.path.join(tmp, "good.bin")
    ws.write_model(good, vocab_file, MICRO, "f16", seed=2, n_words=100)
    raw = open(good, "rb").read()
    L = layout(raw)
    rc, msg = load(good)
    c.check("the intact micro model loads", rc == 0, msg)
    bad = os.path.join(tmp, "bad.bin")
    failures = []

    def expect(label, data, *words):
        """data must be rejected: exit 1, message names the file and words."""
        with open(bad, "wb") as f:
            f.write(data)
        rc, msg = load(bad)
        sane = "Sanitizer" not in msg and "runtime error" not in msg
        ok = rc == 1 and sane and bad in msg and all(w in msg for w in words)
        if not ok:
            failures.append(f"{label}: exit {rc}: {msg[-300:]}")
        return ok, msg

    def patch(data, off, fmt, *v):
        b = bytearray(data)
        struct.pack_into(fmt, b, off, *v)
        return bytes(b)

    def group(name, cases):
        n0 = len(failures)
        last = ""
        for label, data, *words in cases:
            _, last = expect(label, data, *words)
        c.check(f"{name} ({len(cases)} files): exit 1, message names the file",
                len(failures) == n0, f"(e.g. {last[:150]!r})" if len(failures) == n0
                else "\n       " + "\n       ".join(failures[n0:n0 + 5]))

    # ---- truncation
    T = L["tensors"]
    points = set(range(0, 64, 3)) | {56 + 4 * 80 * 201 - 1, L["vocab_count_at"] + 2,
                                      L["tokens"][0] + 2, L["tokens"][50] + 5, L["tokens"][-1] + 3}
    for t in T[:: max(1, len(T) // 12)] + [T[-1]]:
        points |= {t["at"] + 1, t["at"] + 12, t["data"] - 1, t["data"] + 1, t["end"] - 1}
    points = sorted(p for p in points if 0 <= p < len(raw))
    group("truncated at structure boundaries",
          [(f"cut at {p}", raw[:p]) for p in points])
    # Cut at a tensor boundary: the loader names the first missing tensor.
    cut = T[len(T) // 2]
    expect("cut between tensors", raw[:cut["at"]], cut["name"], "missing")
    c.check("cut between tensors: names the first missing tensor", not failures or
            "cut between tensors" not in failures[-1], f"({cut['name']})")
    group("data past the end of the file (last tensor 1 byte short)",
          [("short", raw[:-1], T[-1]["name"], "truncated")])

    # ---- header
    group("wrong magic", [("byte-swapped magic", b"ggml" + raw[4:], "magic"),
                          ("gguf", b"GGUF" + raw[4:], "magic")])
    cases = []
    for i, name in enumerate(ws.HP_ORDER + ["ftype"]):
        for v in (-1, 0, 1 << 30, 0x7fffffff):
            if name == "ftype" and v == 0:
                continue
            cases.append((f"{name}={v}", patch(raw, 4 + 4 * i, "<i", v)))
    cases.append(("ftype 5 (removed q4_2)", patch(raw, 4 + 40, "<i", 5), "ftype"))
    cases.append(("heads not dividing the width", patch(raw, 4 + 12, "<i", 3), "head"))
    cases.append(("audio/text widths differ", patch(raw, 4 + 24, "<i", 16), "n_text_state"))
    cases.append(("more layers than stored", patch(raw, 4 + 16, "<i", 2)))
    cases.append(("huge vocabulary for the file", patch(raw, 4, "<i", 2000000)))
    group("absurd or inconsistent hparams", cases)

    # ---- vocabulary
    vc = L["vocab_count_at"]
    t0 = L["tokens"][0]
    group("vocabulary count / token lengths that lie", [
        ("count -1", patch(raw, vc, "<i", -1), "vocabulary"),
        ("count 0", patch(raw, vc, "<i", 0), "vocabulary"),
        ("count > n_vocab", patch(raw, vc, "<i", 121), "vocabulary"),
        ("count huge", patch(raw, vc, "<i", 0x7fffffff), "vocabulary"),
        ("count + 1", patch(raw, vc, "<i", 101)),
        ("count - 1", patch(raw, vc, "<i", 99)),
        ("token len 2^31", patch(raw, t0, "<I", 0x80000000), "token 0"),
        ("token len 5000", patch(raw, t0, "<I", 5000), "token 0"),
        ("token len past EOF", patch(raw, L["tokens"][-1], "<I", 1000)[:L["tokens"][-1] + 20],
         "token 99", "truncated"),
        ("token len + 1", patch(raw, t0, "<I", struct.unpack_from("<I", raw, t0)[0] + 1)),
    ])

    # ---- tensor headers
    def tensor(name):
        return next(t for t in T if t["name"] == name)

    q = tensor("encoder.blocks.0.attn.query.weight")
    pos = tensor("encoder.positional_embedding")
    emb = tensor("decoder.token_embedding.weight")
    group("tensor dims not matching the hparams", [
        ("query 8x8 → 8x7", patch(raw, q["at"] + 12, "<i", 7), q["name"], "shape"),
        ("query ne 0", patch(raw, q["at"] + 16, "<i", 0), q["name"]),
        ("query ne -3", patch(raw, q["at"] + 16, "<i", -3), q["name"]),
        ("pos ctx 16 → 17", patch(raw, pos["at"] + 16, "<i", 17), pos["name"], "shape"),
        ("embedding rows huge", patch(raw, emb["at"] + 16, "<i", 0x7fffffff), emb["name"]),
        ("n_dims 3 for a matrix", patch(raw, q["at"], "<i", 3)),
    ])
    group("unknown tensor types", [
        (f"type {v}", patch(raw, q["at"] + 8, "<i", v), q["name"], "type")
        for v in (4, 5, 9, 15, 99, -1)] + [
        ("f16 relabelled f32 (size no longer fits)", patch(raw, q["at"] + 8, "<i", 0))])
    group("bad dimension counts and name lengths", [
        ("n_dims 0", patch(raw, q["at"], "<i", 0), "dimensions"),
        ("n_dims 5", patch(raw, q["at"], "<i", 5), "dimensions"),
        ("n_dims -1", patch(raw, q["at"], "<i", -1), "dimensions"),
        ("name_len 0", patch(raw, q["at"] + 4, "<i", 0), "name"),
        ("name_len 300", patch(raw, q["at"] + 4, "<i", 300), "name"),
        ("name_len -5", patch(raw, q["at"] + 4, "<i", -5), "name"),
        ("name_len 2^31-1", patch(raw, q["at"] + 4, "<i", 0x7fffffff), "name"),
    ])
    renamed = bytearray(raw)
    nm_at = q["data"] - len(q["name"])
    renamed[nm_at:nm_at + 7] = b"ENCODER"
    last = T[-1]
    missing = raw[:q["at"]] + raw[q["end"]:]
    group("unknown, duplicate and missing tensors", [
        ("unknown name", bytes(renamed), "unknown tensor", "ENCODER.blocks"),
        ("duplicate", raw + raw[last["at"]:last["end"]], last["name"], "twice"),
        ("missing", missing, q["name"], "missing"),
        ("trailing garbage", raw + b"\x01\x00\x00"),
    ])
    nan = patch(raw, q["data"], "<e", float("nan"))
    group("a NaN weight", [("nan", nan, q["name"], "non-finite")])

    # ---- 300 random mutations of structural bytes
    rng = random.Random(1234)
    struct_bytes = list(range(0, 64)) + list(range(vc, vc + 4))
    for t in L["tokens"][:20]:
        struct_bytes += range(t, t + 4)
    for t in T:
        struct_bytes += range(t["at"], t["data"])
    crashes, rejected, loaded = [], 0, 0
    for k in range(300):
        b = bytearray(raw)
        for _ in range(rng.choice((1, 1, 2, 4))):
            p = rng.choice(struct_bytes)
            b[p] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256), b[p] ^ (1 << rng.randrange(8))))
        with open(bad, "wb") as f:
            f.write(b)
        rc, msg = load(bad)
        if rc == 0:
            loaded += 1
        elif rc == 1 and bad in msg and "Sanitizer" not in msg and "runtime error" not in msg:
            rejected += 1
        else:
            crashes.append(f"mutation {k}: exit {rc}: {msg[-200:]}")
    c.check("300 random header / tensor-header mutations: load or exit 1 with a message",
            not crashes, f"({rejected} rejected, {loaded} still valid)" if not crashes
            else "\n       " + "\n       ".join(crashes[:5]))
    c.finish()


if __name__ == "__main__":
    main()
