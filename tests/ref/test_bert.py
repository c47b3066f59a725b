"""test_bert — earshot's C BERT sentence encoder against the independent
PyTorch reference in bert_ref.py, on synthetic model directories written in
the genuine sentence-transformers format (bert_synth.py) with the real
all-MiniLM-L6-v2 vocab.txt.

Checks, on the ≥ 220 texts of text_corpus.py (queries, paragraphs past 256
tokens, accents, CJK, emoji, punctuation runs, the empty string):
  - MiniLM shapes, F32 safetensors: cosine(C, torch) ≥ 0.99999 for every
    text; the same with OpenBLAS on 2 threads and with tiny packed batches
    (batching must not change a vector);
  - the same weights quantized to int8 in C: cosine ≥ 0.995 for every text;
  - F16 safetensors (reference uses the same f16-rounded weights): ≥ 0.99999;
  - another architecture (hidden 256, 3 layers, 8 heads, max length 128,
    names with a "bert." prefix, CLS pooling) and max pooling: ≥ 0.99999;
  - the synthetic model is not degenerate: the mean cosine between different
    texts' vectors is well below 1, so the comparison can fail.
The token ids fed to torch come from the Python WordPiece reference
(wordpiece_ref.py); test_wordpiece.py proves they equal the C tokenizer's.
"""
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import bert_synth  # noqa: E402
import text_corpus  # noqa: E402
from wordpiece_ref import WordPiece  # noqa: E402

F32_MIN_COS = 0.99999
INT8_MIN_COS = 0.995


def write_texts(path, texts):
    with open(path, "wb") as f:
        f.write(b"\0".join(t.encode("utf-8") for t in texts))


def c_embed(model_dir, texts_file, out, *opts):
    reflib.run([reflib.tool("bert_embed"), model_dir, texts_file, out, *opts])
    return np.load(out)


def ref_embed(cfg, weights, vocab, texts, pooling, lower_case=True):
    import bert_ref
    wp = WordPiece(vocab, lower_case=lower_case)
    ids = [wp.encode(t, max_len=cfg["max_seq_length"]) for t in texts]
    model = bert_ref.BertRef(cfg, weights, pooling=pooling)
    return model.embed(ids), ids


def row_cos(a, b):
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def compare(c, name, got, ref, min_cos):
    cos = row_cos(got.astype(np.float64), ref.astype(np.float64))
    worst = int(np.argmin(cos))
    c.check(f"{name}: cosine ≥ {min_cos} on all {len(cos)} texts",
            got.shape == ref.shape and cos.min() >= min_cos,
            f"(min {cos.min():.7f} at text {worst}, mean {cos.mean():.7f}, "
            f"max abs diff {np.abs(got - ref).max():.2e})")
    return cos


def main():
    try:
        import torch  # noqa: F401
    except ImportError:
        print("FAIL: python3-torch is missing (run scripts/install-deps.sh)")
        sys.exit(1)
    c = reflib.Checks()
    vocab = reflib.shared("models/minilm-tokenizer/vocab.txt")
    tmp = reflib.tmpdir()
    texts = text_corpus.texts()
    tf = os.path.join(tmp, "texts.bin")
    write_texts(tf, texts)
    c.check("corpus has ≥ 200 texts", len(texts) >= 200, f"({len(texts)})")

    # ---- MiniLM shapes, f32
    d = os.path.join(tmp, "minilm-f32")
    cfg, w = bert_synth.write_model_dir(d, vocab, dtype="f32", seed=11)
    ref, ids = ref_embed(cfg, w, vocab, texts, "mean")
    lens = [len(x) for x in ids]
    c.check("corpus has texts at the 256-token limit", max(lens) == 256 and sum(l == 256 for l in lens) >= 10,
            f"(longest {max(lens)}, {sum(l == 256 for l in lens)} truncated, shortest {min(lens)})")
    sims = ref @ ref.T
    off = sims[~np.eye(len(texts), dtype=bool)]
    c.check("synthetic model separates texts (mean off-diagonal cosine < 0.9)",
            off.mean() < 0.9, f"(mean {off.mean():.3f}, max {off.max():.3f})")
    got = c_embed(d, tf, os.path.join(tmp, "f32.npy"))
    compare(c, "minilm f32", got, ref, F32_MIN_COS)
    # The OpenBLAS path (CPUs without AVX-512) gives the same vectors.
    os.environ["EARSHOT_NO_AVX512"] = "1"
    compare(c, "minilm f32 through OpenBLAS (EARSHOT_NO_AVX512=1)",
            c_embed(d, tf, os.path.join(tmp, "f32blas.npy")), ref, F32_MIN_COS)
    del os.environ["EARSHOT_NO_AVX512"]
    got2 = c_embed(d, tf, os.path.join(tmp, "f32t2.npy"), "--threads", "2", "--batch-tokens", "300")
    c.check("batching and threads do not change vectors (max abs ≤ 1e-5)",
            np.abs(got2 - got).max() <= 1e-5, f"({np.abs(got2 - got).max():.2e})")
    got8 = c_embed(d, tf, os.path.join(tmp, "int8.npy"), "--int8")
    cos8 = compare(c, "minilm int8 (W8A8 VNNI kernel where the CPU has it)", got8, ref, INT8_MIN_COS)
    print(f"     int8 vs f32 cosine: min {cos8.min():.5f}, mean {cos8.mean():.5f}")
    # The weight-only path (any CPU): int8 weights, f32 activations.
    os.environ["EARSHOT_NO_VNNI"] = "1"
    got8w = c_embed(d, tf, os.path.join(tmp, "int8w.npy"), "--int8")
    del os.environ["EARSHOT_NO_VNNI"]
    compare(c, "minilm int8 weight-only path", got8w, ref, INT8_MIN_COS)

    # ---- f16 safetensors
    d = os.path.join(tmp, "minilm-f16")
    cfg, w = bert_synth.write_model_dir(d, vocab, dtype="f16", seed=12)
    ref, _ = ref_embed(cfg, w, vocab, texts, "mean")
    compare(c, "minilm f16 file", c_embed(d, tf, os.path.join(tmp, "f16.npy")), ref, F32_MIN_COS)

    # ---- another architecture: prefix, CLS pooling, shorter limit
    small = dict(hidden_size=256, num_hidden_layers=3, num_attention_heads=8,
                 intermediate_size=640, max_position_embeddings=160,
                 type_vocab_size=1, layer_norm_eps=1e-6, max_seq_length=128)
    d = os.path.join(tmp, "small-cls")
    cfg, w = bert_synth.write_model_dir(d, vocab, cfg=small, prefix="bert.", pooling="cls",
                                        seed=13, name="small-cls")
    ref, _ = ref_embed(cfg, w, vocab, texts, "cls")
    compare(c, "256-d 3-layer bert.-prefixed CLS model", c_embed(d, tf, os.path.join(tmp, "small.npy")),
            ref, F32_MIN_COS)
    d = os.path.join(tmp, "small-max")
    cfg, w = bert_synth.write_model_dir(d, vocab, cfg=small, pooling="max", seed=14,
                                        name="small-max", extra_vocab_rows=6)
    ref, _ = ref_embed(cfg, w, vocab, texts, "max")
    compare(c, "max-pooling model with padded vocab rows", c_embed(d, tf, os.path.join(tmp, "smax.npy")),
            ref, F32_MIN_COS)
    if c.failed == 0:
        shutil.rmtree(tmp, ignore_errors=True)   # ~200 MB of synthetic models
    c.finish()


if __name__ == "__main__":
    main()
