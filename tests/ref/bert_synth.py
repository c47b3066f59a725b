"""bert_synth — writes synthetic sentence-transformers model directories in
the genuine on-disk format (config.json, vocab.txt, model.safetensors,
1_Pooling/config.json, sentence_bert_config.json, tokenizer_config.json,
modules.json), with random weights of the shapes a config asks for.

No real weights can be downloaded here, so earshot's BERT is proven on these
files against the PyTorch reference in bert_ref.py. Weights are scaled like a
trained model's activations (linear layers ~ 1/sqrt(fan_in), LayerNorm gains
around 1) so that attention is far from uniform and different texts get
clearly different embeddings: a wrong kernel changes the output visibly.
"""
import json
import os
import shutil
import struct

import numpy as np

MINILM = dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
              intermediate_size=1536, max_position_embeddings=512,
              vocab_size=30522, type_vocab_size=2, layer_norm_eps=1e-12,
              max_seq_length=256)


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, np.ndarray) with dtype float32/float16/int64."""
    names = {np.dtype("float32"): "F32", np.dtype("float16"): "F16",
             np.dtype("int64"): "I64"}
    header, blobs, off = {}, [], 0
    for name, a in tensors:
        a = np.ascontiguousarray(a)
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[a.dtype], "shape": list(a.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)   # the reference writer aligns to 8
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def random_weights(cfg, seed):
    """Returns an ordered list of (name, float32 array) without prefix."""
    rng = np.random.default_rng(seed)
    H, I = cfg["hidden_size"], cfg["intermediate_size"]

    def lin(n_out, n_in, gain=1.0):
        return (rng.standard_normal((n_out, n_in)) * gain / np.sqrt(n_in)).astype(np.float32)

    def vec(n, mean=0.0, std=0.05):
        return (mean + rng.standard_normal(n) * std).astype(np.float32)

    w = [("embeddings.word_embeddings.weight",
          (rng.standard_normal((cfg["vocab_size"], H)) * 0.5).astype(np.float32)),
         ("embeddings.position_embeddings.weight",
          (rng.standard_normal((cfg["max_position_embeddings"], H)) * 0.2).astype(np.float32)),
         ("embeddings.token_type_embeddings.weight",
          (rng.standard_normal((cfg["type_vocab_size"], H)) * 0.1).astype(np.float32)),
         ("embeddings.LayerNorm.weight", vec(H, 1.0, 0.1)),
         ("embeddings.LayerNorm.bias", vec(H))]
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for part in ("query", "key", "value"):
            # query/key a little hotter: attention logits of a few units
            w.append((p + f"attention.self.{part}.weight",
                      lin(H, H, 1.6 if part != "value" else 1.0)))
            w.append((p + f"attention.self.{part}.bias", vec(H)))
        w += [(p + "attention.output.dense.weight", lin(H, H)),
              (p + "attention.output.dense.bias", vec(H)),
              (p + "attention.output.LayerNorm.weight", vec(H, 1.0, 0.1)),
              (p + "attention.output.LayerNorm.bias", vec(H)),
              (p + "intermediate.dense.weight", lin(I, H)),
              (p + "intermediate.dense.bias", vec(I)),
              (p + "output.dense.weight", lin(H, I)),
              (p + "output.dense.bias", vec(H)),
              (p + "output.LayerNorm.weight", vec(H, 1.0, 0.1)),
              (p + "output.LayerNorm.bias", vec(H))]
    w += [("pooler.dense.weight", lin(H, H)), ("pooler.dense.bias", vec(H))]
    return w


def write_model_dir(out, vocab_path, cfg=None, dtype="f32", prefix="",
                    pooling="mean", seed=1, name="synthetic-minilm",
                    lower_case=True, extra_vocab_rows=0):
    """Writes a model directory; returns the float32 weights actually stored
    (after f16 rounding when dtype is f16) as a dict name → array, without
    prefix, for the reference."""
    cfg = dict(MINILM if cfg is None else cfg)
    os.makedirs(os.path.join(out, "1_Pooling"), exist_ok=True)
    shutil.copyfile(vocab_path, os.path.join(out, "vocab.txt"))
    n_vocab = sum(1 for _ in open(vocab_path, encoding="utf-8"))
    cfg["vocab_size"] = n_vocab + extra_vocab_rows
    max_seq = cfg.pop("max_seq_length")
    config = {"_name_or_path": f"earshot-tests/{name}", "architectures": ["BertModel"],
              "model_type": "bert", "hidden_act": "gelu",
              "attention_probs_dropout_prob": 0.1, "hidden_dropout_prob": 0.1,
              "initializer_range": 0.02, "pad_token_id": 0,
              "position_embedding_type": "absolute", "torch_dtype": "float32"}
    config.update(cfg)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out, "sentence_bert_config.json"), "w") as f:
        json.dump({"max_seq_length": max_seq, "do_lower_case": False}, f)
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": lower_case, "model_max_length": 512,
                   "tokenizer_class": "BertTokenizer"}, f)
    with open(os.path.join(out, "1_Pooling", "config.json"), "w") as f:
        json.dump({"word_embedding_dimension": cfg["hidden_size"],
                   "pooling_mode_cls_token": pooling == "cls",
                   "pooling_mode_mean_tokens": pooling == "mean",
                   "pooling_mode_max_tokens": pooling == "max",
                   "pooling_mode_mean_sqrt_len_tokens": False}, f)
    with open(os.path.join(out, "modules.json"), "w") as f:
        json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                   {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                   {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}], f)
    cfg["max_seq_length"] = max_seq
    weights = random_weights(cfg, seed)
    stored, tensors = {}, []
    np_dtype = np.float16 if dtype == "f16" else np.float32
    for name_, a in weights:
        a = a.astype(np_dtype)
        stored[name_] = a.astype(np.float32)
        tensors.append((prefix + name_, a))
    # Older checkpoints carry an int64 position_ids buffer: it must be ignored.
    tensors.append((prefix + "embeddings.position_ids",
                    np.arange(cfg["max_position_embeddings"], dtype=np.int64)[None, :]))
    write_safetensors(os.path.join(out, "model.safetensors"), tensors,
                      {"format": "pt"})
    return cfg, stored
