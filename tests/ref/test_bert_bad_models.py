"""test_bert_bad_models — broken sentence-transformers directories give a
clear error (exit 1, a message naming the file and the problem) and never a
crash or an out-of-bounds read (the ASan run executes this test too).

Cases: each required file missing; safetensors truncated at many points;
header length larger than the file; data_offsets past the end, reversed, or
not matching shape × dtype; a tensor of the wrong dtype (I32) or shape;
a missing tensor; header that is not JSON; an empty vocab; a vocab longer
than the embedding table; config.json with bad numbers or another model
type; plus 300 random byte mutations of the safetensors header, each of
which must either load or fail cleanly.
"""
import json
import os
import random
import shutil
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import bert_synth  # noqa: E402

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=64, max_position_embeddings=40,
            type_vocab_size=2, layer_norm_eps=1e-12, max_seq_length=32)


def embed(model, texts_file, tmp):
    r = subprocess.run([reflib.tool("bert_embed"), model, texts_file,
                        os.path.join(tmp, "out.npy")], capture_output=True, text=True)
    return r.returncode, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""


def read_header(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def write_with_header(path, header, data):
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def main():
    c = reflib.Checks()
    vocab = reflib.shared("models/minilm-tokenizer/vocab.txt")
    tmp = reflib.tmpdir()
    good = os.path.join(tmp, "good")
    bert_synth.write_model_dir(good, vocab, cfg=TINY, seed=3, name="tiny")
    tf = os.path.join(tmp, "texts.bin")
    with open(tf, "wb") as f:
        f.write("dog barking\0church bells in the rain\0".encode())
    rc, _ = embed(good, tf, tmp)
    c.check("the intact tiny model loads", rc == 0)
    st_path = os.path.join(good, "model.safetensors")
    header, data = read_header(st_path)
    n_crash = 0

    def case(name, mutate, expect):
        """Copies the good dir, applies mutate(dir), expects exit 1 + message."""
        nonlocal n_crash
        d = os.path.join(tmp, "case")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(good, d)
        mutate(d)
        rc, msg = embed(d, tf, tmp)
        if rc not in (0, 1):
            n_crash += 1
        c.check(f"{name}: exit 1 with a clear message", rc == 1 and expect in msg,
                f"(exit {rc}: {msg[:160]})")

    def rm(rel):
        return lambda d: os.remove(os.path.join(d, rel))

    case("missing config.json", rm("config.json"), "config.json: missing")
    case("missing vocab.txt", rm("vocab.txt"), "vocab.txt")
    case("missing model.safetensors", rm("model.safetensors"), "model.safetensors: missing")

    def truncate(n):
        def f(d):
            p = os.path.join(d, "model.safetensors")
            with open(p, "r+b") as fh:
                fh.truncate(n)
        return f

    size = os.path.getsize(st_path)
    for n in (0, 5, 8, 100, size // 2, size - 1):
        case(f"safetensors cut to {n} bytes", truncate(n), "model.safetensors")

    def with_header(edit):
        def f(d):
            h = json.loads(json.dumps(header))
            edit(h)
            write_with_header(os.path.join(d, "model.safetensors"), h, data)
        return f

    name0 = "embeddings.word_embeddings.weight"
    case("header length beyond the file",
         lambda d: open(os.path.join(d, "model.safetensors"), "r+b").write(struct.pack("<Q", 1 << 40)),
         "model.safetensors")

    def past_end(h):
        h[name0]["data_offsets"][1] = len(data) + 4096
    case("data_offsets past the end", with_header(past_end), "model.safetensors")

    def reversed_(h):
        b, e = h[name0]["data_offsets"]
        h[name0]["data_offsets"] = [e, b]
    case("data_offsets reversed", with_header(reversed_), "bad data_offsets")

    def size_lie(h):
        h[name0]["shape"] = [h[name0]["shape"][0] * 2, h[name0]["shape"][1]]
    case("shape larger than its bytes", with_header(size_lie), "needs")

    def wrong_dtype(h):
        h[name0]["dtype"] = "I32"
    case("weights stored as I32", with_header(wrong_dtype), "dtype I32")

    def unknown_dtype(h):
        h[name0]["dtype"] = "Q4"
    case("unknown dtype", with_header(unknown_dtype), "unknown dtype")

    def wrong_shape(h):
        t = h["encoder.layer.0.intermediate.dense.weight"]
        t["shape"] = [t["shape"][1], t["shape"][0]]
    case("transposed matrix", with_header(wrong_shape), "implies")

    def missing_tensor(h):
        del h["encoder.layer.1.output.LayerNorm.bias"]
    case("missing tensor", with_header(missing_tensor), "is missing")

    def huge_dims(h):
        h[name0]["shape"] = [2 ** 40, 2 ** 40]
    case("shape product overflows", with_header(huge_dims), "bad shape")

    case("header not JSON",
         lambda d: write_with_header(os.path.join(d, "model.safetensors"), "x", b"")
         if False else open(os.path.join(d, "model.safetensors"), "wb").write(
             struct.pack("<Q", 6) + b"{nope}" + data),
         "not a JSON object")

    case("empty vocab.txt", lambda d: open(os.path.join(d, "vocab.txt"), "w").close(), "vocab.txt")

    def long_vocab(d):
        with open(os.path.join(d, "vocab.txt"), "a", encoding="utf-8") as f:
            f.write("".join(f"extra{i}\n" for i in range(50)))
    case("vocab longer than the embedding table", long_vocab, "does not belong")

    def edit_config(key, value):
        def f(d):
            p = os.path.join(d, "config.json")
            cfg = json.load(open(p))
            cfg[key] = value
            json.dump(cfg, open(p, "w"))
        return f

    case("config hidden_size not a multiple of heads", edit_config("num_attention_heads", 5), "multiple")
    case("config hidden_size mismatching the weights", edit_config("hidden_size", 48), "implies")
    case("config negative layers", edit_config("num_hidden_layers", -1), "num_hidden_layers")
    case("config of another model type", edit_config("model_type", "roberta"), "not supported")
    case("config with another activation", edit_config("hidden_act", "relu"), "gelu")
    case("config not JSON", lambda d: open(os.path.join(d, "config.json"), "w").write("{"), "not a JSON object")
    case("pooling with two modes",
         lambda d: json.dump({"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": True},
                             open(os.path.join(d, "1_Pooling", "config.json"), "w")), "exactly one")
    case("max_seq_length beyond positions",
         lambda d: json.dump({"max_seq_length": 4096},
                             open(os.path.join(d, "sentence_bert_config.json"), "w")), "max_seq_length")

    # ---- random mutations of the header bytes: load or fail, never crash
    raw = open(st_path, "rb").read()
    hlen = struct.unpack("<Q", raw[:8])[0]
    rng = random.Random(7)
    outcomes = {0: 0, 1: 0}
    d = os.path.join(tmp, "fuzz")
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(good, d)
    p = os.path.join(d, "model.safetensors")
    for i in range(300):
        b = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(0, 8 + hlen)
            b[pos] = rng.choice([rng.randrange(256), ord("9"), ord("0"), ord(","), ord("]")])
        open(p, "wb").write(bytes(b))
        rc, msg = embed(d, tf, tmp)
        outcomes[rc] = outcomes.get(rc, 0) + 1
    c.check("300 mutated headers: every run loads or fails cleanly (exit 0/1)",
            set(outcomes) <= {0, 1}, f"(exit codes {outcomes})")
    c.check("no case crashed", n_crash == 0, f"({n_crash})")
    c.finish()


if __name__ == "__main__":
    main()
