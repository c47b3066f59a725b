"""Writes a synthetic all-MiniLM-L6-v2-shaped model directory (real vocab,
random weights, genuine file format) for the text benchmarks.
Usage: make-synthetic-bert.py OUT_DIR [VOCAB_TXT]"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
import bert_synth  # noqa: E402

out = sys.argv[1]
vocab = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.environ.get("EARSHOT_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared")),
    "models", "minilm-tokenizer", "vocab.txt")
bert_synth.write_model_dir(out, vocab, seed=1)
print(f"wrote {out}")
