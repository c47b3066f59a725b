"""whisper_synth — writes synthetic Whisper models as whisper.cpp ggml files,
byte for byte in the layout of whisper.cpp's converter (convert-pt-to-ggml.py)
and quantizer, with random weights of the shapes the hyperparameters ask for
and the REAL vocabulary and mel filters copied from a ggml file (the
vocab-only for-tests-ggml-tiny.bin).

Layout: u32 magic "ggml", 11 i32 hparams, i32 n_mel, i32 201, f32 filters,
i32 n_vocab_stored, {u32 len, bytes} per token, then per tensor: i32 n_dims,
i32 name length, i32 type, i32 ne[n_dims] (innermost first), name, data.
As the converter: each tensor is numpy's squeeze() of the state-dict entry,
the conv biases reshaped [n, 1] (so ne = [1, n]); with f16, tensors of ≥ 2
dims are f16 except the conv biases and positional embeddings (f32); 1-D
tensors are f32. As whisper.cpp's quantizer: only 2-D tensors are quantized
(not the positional embeddings), the 3-D conv weights stay f16, and ftype
is 1000·2 (quantization version) + the ggml ftype.

How the weights make the test decisive (logits far from ties):
  * linear layers ~ N(0, 1/fan_in), query/key 1.5× hotter so attention is
    peaked rather than uniform, biases and LayerNorm betas ~ N(0, 0.05),
    LayerNorm gains ~ 1 ± 0.1: activations keep unit scale through the
    blocks, like a trained model's;
  * the token embedding is N(0, EMB_STD²) with EMB_STD = 2: logits are
    ln(x) · Eᵀ, a sum of d unit-scale terms, so their spread is ~2·sqrt(d)
    (16 for d 64, 39 for d 384). The gap between the two largest of 51865
    such values is then typically a few units, three orders of magnitude
    above float32 noise on logits (~1e-5); the test prints the smallest gap
    met on every greedy path and requires it to exceed 1e-2;
  * the encoder's positional embedding is openai's sinusoids(), the
    decoder's N(0, 0.5²), so positions matter and a wrong offset shows.
"""
import struct

import numpy as np

GGML_MAGIC = 0x67676D6C
T_F32, T_F16, T_Q4_0, T_Q4_1, T_Q5_0, T_Q5_1, T_Q8_0 = 0, 1, 2, 3, 6, 7, 8
# hparams.ftype of a file, as whisper.cpp writes it
FTYPE = {"f32": 0, "f16": 1, "q8_0": 2007, "q5_0": 2008, "q4_0": 2002}
TENSOR_TYPE = {"q8_0": T_Q8_0, "q5_0": T_Q5_0, "q4_0": T_Q4_0}
EMB_STD = 0.5
LOGIT_GAIN = 80.0   # mean of decoder.ln.weight × sqrt(d): 10 at d = 64
OUT_GAIN = 2.0      # attention out / mlp.2 projections
POS_STD = 4.0       # decoder.positional_embedding

TINY = dict(n_vocab=51865, n_audio_ctx=1500, n_audio_state=384, n_audio_head=6,
            n_audio_layer=4, n_text_ctx=448, n_text_state=384, n_text_head=6,
            n_text_layer=4, n_mels=80)
SMALL = dict(n_vocab=51865, n_audio_ctx=1500, n_audio_state=64, n_audio_head=2,
             n_audio_layer=2, n_text_ctx=448, n_text_state=64, n_text_head=2,
             n_text_layer=2, n_mels=80)
HP_ORDER = ["n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head",
            "n_audio_layer", "n_text_ctx", "n_text_state", "n_text_head",
            "n_text_layer", "n_mels"]


def read_vocab_file(path):
    """(hparams list, filters [n_mel, 201] float32, [token bytes]) of a ggml file."""
    raw = open(path, "rb").read()
    magic, *hp = struct.unpack_from("<I11i", raw, 0)
    assert magic == GGML_MAGIC
    off = 48
    n_mel, n_fft = struct.unpack_from("<ii", raw, off)
    off += 8
    filters = np.frombuffer(raw, "<f4", n_mel * n_fft, off).reshape(n_mel, n_fft).copy()
    off += 4 * n_mel * n_fft
    (n,) = struct.unpack_from("<i", raw, off)
    off += 4
    words = []
    for _ in range(n):
        (ln,) = struct.unpack_from("<I", raw, off)
        off += 4
        words.append(raw[off:off + ln])
        off += ln
    return hp, filters, words


def sinusoids(length, channels, max_timescale=10000):
    """openai/whisper's encoder positional embedding."""
    inc = np.log(max_timescale) / (channels // 2 - 1)
    inv = np.exp(-inc * np.arange(channels // 2))
    t = np.arange(length)[:, None] * inv[None, :]
    return np.concatenate([np.sin(t), np.cos(t)], axis=1).astype(np.float32)


def random_weights(hp, seed):
    """Ordered list of (state-dict name, float32 array) in the converter's order."""
    rng = np.random.default_rng(seed)
    d, nm = hp["n_audio_state"], hp["n_mels"]

    def lin(n_out, n_in, gain=1.0):
        return (rng.standard_normal((n_out, n_in)) * gain / np.sqrt(n_in)).astype(np.float32)

    def vec(n, mean=0.0, std=0.05):
        return (mean + rng.standard_normal(n) * std).astype(np.float32)

    def block(pre, cross):
        w = [(pre + "attn_ln.weight", vec(d, 1.0, 0.1)), (pre + "attn_ln.bias", vec(d))]
        for a in ["attn"] + (["cross_attn"] if cross else []):
            if a == "cross_attn":
                w += [(pre + "cross_attn_ln.weight", vec(d, 1.0, 0.1)),
                      (pre + "cross_attn_ln.bias", vec(d))]
            w += [(pre + a + ".query.weight", lin(d, d, 1.5)), (pre + a + ".query.bias", vec(d)),
                  (pre + a + ".key.weight", lin(d, d, 1.5)),
                  (pre + a + ".value.weight", lin(d, d)), (pre + a + ".value.bias", vec(d)),
                  (pre + a + ".out.weight", lin(d, d, OUT_GAIN)), (pre + a + ".out.bias", vec(d))]
        w += [(pre + "mlp_ln.weight", vec(d, 1.0, 0.1)), (pre + "mlp_ln.bias", vec(d)),
              (pre + "mlp.0.weight", lin(4 * d, d)), (pre + "mlp.0.bias", vec(4 * d)),
              (pre + "mlp.2.weight", lin(d, 4 * d, OUT_GAIN)), (pre + "mlp.2.bias", vec(d))]
        return w

    w = [("encoder.conv1.weight", (rng.standard_normal((d, nm, 3)) / np.sqrt(3 * nm)).astype(np.float32)),
         ("encoder.conv1.bias", vec(d)),
         ("encoder.conv2.weight", (rng.standard_normal((d, d, 3)) / np.sqrt(3 * d)).astype(np.float32)),
         ("encoder.conv2.bias", vec(d)),
         ("encoder.positional_embedding", sinusoids(hp["n_audio_ctx"], d))]
    for i in range(hp["n_audio_layer"]):
        w += block(f"encoder.blocks.{i}.", False)
    w += [("encoder.ln_post.weight", vec(d, 1.0, 0.1)), ("encoder.ln_post.bias", vec(d))]
    w += [("decoder.token_embedding.weight",
           (rng.standard_normal((hp["n_vocab"], d)) * EMB_STD).astype(np.float32)),
          ("decoder.positional_embedding",
           (rng.standard_normal((hp["n_text_ctx"], d)) * POS_STD).astype(np.float32))]
    for i in range(hp["n_text_layer"]):
        w += block(f"decoder.blocks.{i}.", True)
    w += [("decoder.ln.weight", vec(d, LOGIT_GAIN / np.sqrt(d), 0.1 * LOGIT_GAIN / np.sqrt(d))), ("decoder.ln.bias", vec(d))]
    return w


# ------------------------------------------------------------ quantizers

def f16_bytes(x):
    return np.asarray(x, np.float32).astype("<f2").tobytes()


def quantize_q8_0(x):
    """ggml's quantize_row_q8_0_reference, rows of a multiple of 32."""
    b = np.asarray(x, np.float32).reshape(-1, 32)
    amax = np.abs(b).max(axis=1)
    d = amax / 127.0
    idv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0.0).astype(np.float32)
    v = b * idv[:, None]
    q = (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int8)   # roundf
    out = np.empty((b.shape[0], 34), np.uint8)
    out[:, :2] = np.frombuffer(d.astype("<f2").tobytes(), np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def quantize_q5_0(x):
    """ggml's quantize_row_q5_0_reference."""
    b = np.asarray(x, np.float32).reshape(-1, 32)
    idx = np.abs(b).argmax(axis=1)
    mx = b[np.arange(b.shape[0]), idx]
    d = (mx / -16.0).astype(np.float32)
    idv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0.0).astype(np.float32)
    xi = np.minimum(31, (b * idv[:, None] + 16.5).astype(np.int8)).astype(np.uint32)
    lo, hi = xi[:, :16], xi[:, 16:]
    qs = ((lo & 0xF) | ((hi & 0xF) << 4)).astype(np.uint8)
    j = np.arange(16, dtype=np.uint32)
    qh = (((lo & 0x10) >> 4) << j).sum(axis=1) + (((hi & 0x10) >> 4) << (j + 16)).sum(axis=1)
    out = np.empty((b.shape[0], 22), np.uint8)
    out[:, :2] = np.frombuffer(d.astype("<f2").tobytes(), np.uint8).reshape(-1, 2)
    out[:, 2:6] = np.frombuffer(qh.astype("<u4").tobytes(), np.uint8).reshape(-1, 4)
    out[:, 6:] = qs
    return out.tobytes()


def quantize_q4_0(x):
    """ggml's quantize_row_q4_0_reference."""
    b = np.asarray(x, np.float32).reshape(-1, 32)
    idx = np.abs(b).argmax(axis=1)
    mx = b[np.arange(b.shape[0]), idx]
    d = (mx / -8.0).astype(np.float32)
    idv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0.0).astype(np.float32)
    xi = np.minimum(15, (b * idv[:, None] + 8.5).astype(np.int8)).astype(np.uint8)
    out = np.empty((b.shape[0], 18), np.uint8)
    out[:, :2] = np.frombuffer(d.astype("<f2").tobytes(), np.uint8).reshape(-1, 2)
    out[:, 2:] = xi[:, :16] | (xi[:, 16:] << 4)
    return out.tobytes()


QUANTIZE = {T_Q8_0: quantize_q8_0, T_Q5_0: quantize_q5_0, T_Q4_0: quantize_q4_0}


def tensor_record(name, data, ttype):
    """Bytes of one tensor (header + data) as whisper.cpp writes them."""
    data = np.asarray(data)
    ne = list(reversed(data.shape))
    nb = name.encode()
    head = struct.pack("<iii", data.ndim, len(nb), ttype) + struct.pack(f"<{data.ndim}i", *ne) + nb
    if ttype == T_F32:
        body = data.astype("<f4").tobytes()
    elif ttype == T_F16:
        body = f16_bytes(data)
    else:
        body = QUANTIZE[ttype](data)
    return head + body


def choose_type(name, a, wtype):
    """The converter's / quantizer's choice of storage type for a tensor."""
    keep_f32 = name in ("encoder.conv1.bias", "encoder.conv2.bias",
                        "encoder.positional_embedding", "decoder.positional_embedding")
    if wtype == "f32" or a.ndim < 2 or keep_f32:
        return T_F32
    if wtype == "f16" or a.ndim != 2:
        return T_F16
    return TENSOR_TYPE[wtype]


def header_bytes(hp, wtype, filters, words):
    b = struct.pack("<I", GGML_MAGIC)
    b += struct.pack("<11i", *[hp[k] for k in HP_ORDER], FTYPE[wtype])
    b += struct.pack("<ii", filters.shape[0], filters.shape[1])
    b += np.asarray(filters, "<f4").tobytes()
    b += struct.pack("<i", len(words))
    for w in words:
        b += struct.pack("<I", len(w)) + w
    return b


def write_model(path, vocab_file, hp=None, wtype="f32", seed=1, filters=None,
                n_words=None):
    """Writes a synthetic model; returns (hp, [(name, float32 weights)]).

    filters: [n_mels, 201] (default: the vocab file's, which needs n_mels 80).
    n_words: tokens stored (default: n_vocab − 1608 like whisper.cpp files,
    i.e. 50257 multilingual / 50256 .en; at most what the vocab file holds)."""
    hp = dict(TINY if hp is None else hp)
    _, f0, words = read_vocab_file(vocab_file)
    if filters is None:
        filters = f0
    assert filters.shape[0] == hp["n_mels"]
    n_words = n_words or min(len(words), hp["n_vocab"] - 1608)
    words = words[:n_words]
    w = random_weights(hp, seed)
    with open(path, "wb") as f:
        f.write(header_bytes(hp, wtype, filters, words))
        for name, a in w:
            data = a.reshape(a.shape[0], 1) if name in ("encoder.conv1.bias", "encoder.conv2.bias") else a
            f.write(tensor_record(name, data, choose_type(name, data, wtype)))
    return hp, w


def special_tokens(n_vocab):
    """Ids of Whisper's special tokens as whisper.cpp derives them."""
    multilingual = n_vocab >= 51865
    eot = 50257 if multilingual else 50256
    n_lang = n_vocab - 51765 - (1 if multilingual else 0)
    sot = eot + 1
    translate = sot + 1 + n_lang if multilingual else 50357
    return dict(eot=eot, sot=sot, en=sot + 1, translate=translate,
                transcribe=translate + 1, no_timestamps=translate + 5,
                timestamp_begin=translate + 6)
