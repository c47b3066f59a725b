"""Batch throughput of the PyTorch reference BERT (tests/ref/bert_ref.py) on
the same 2000 sentences bench_text generates (same seeded generator and
words), run the way sentence-transformers runs: texts sorted by length,
batches of 32 padded to their longest, attention mask, 2 threads.
Usage: bench_text_torch.py MODEL_DIR [THREADS]"""
import json
import os
import sys
import time

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "ref"))
import bert_ref  # noqa: E402
sys.path.insert(0, here)
from wordpiece_ref import WordPiece  # noqa: E402

WORDS = ["dog", "rain", "bell", "car", "music", "door", "wind", "water", "bird",
         "church", "engine", "crowd", "train", "baby", "piano", "guitar", "street",
         "night", "loud", "soft", "the", "a", "in", "on", "with", "and", "of",
         "people", "talking", "walking", "running", "city", "river", "storm",
         "phone", "voice", "song", "drum", "glass", "fire"]


def lcg(s):
    return (s * 1664525 + 1013904223) & 0xFFFFFFFF


def make_text(words, seed):
    out = []
    for _ in range(words):
        seed = lcg(seed)
        out.append(WORDS[(seed >> 8) % len(WORDS)])
    return " ".join(out), seed


def main():
    model_dir = sys.argv[1]
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.set_num_threads(threads)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    cfg["max_seq_length"] = 256
    from safetensors_np import load
    w = load(os.path.join(model_dir, "model.safetensors"))
    model = bert_ref.BertRef(cfg, w)
    wp = WordPiece(os.path.join(model_dir, "vocab.txt"))
    # The generator state after bench_text's latency runs: it draws
    # 3 × 300 texts of 6, 14 and 62 words first (BERT token counts 8/16/64).
    seed = 42
    for words in (6, 14, 62):
        for _ in range(300):
            _, seed = make_text(words, seed)
    texts = []
    for _ in range(2000):
        seed = lcg(seed)
        n = 8 + ((seed >> 8) % 33)
        t, seed = make_text(n - 2, seed)
        texts.append(t)
    ids = [wp.encode(t) for t in texts]
    order = np.argsort([-len(x) for x in ids], kind="stable")
    best = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        for s in range(0, len(order), 32):
            model.embed([ids[i] for i in order[s:s + 32]], batch=32)
        best = min(best, time.perf_counter() - t0)
    mean = sum(len(x) for x in ids) / len(ids)
    print(f"torch {torch.__version__}: batch of 2000 sentences (mean {mean:.1f} tokens), "
          f"{threads} threads: {2000 / best:.0f} sentences/s (best of 3, {best:.2f} s)")


if __name__ == "__main__":
    main()
