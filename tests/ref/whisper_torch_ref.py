"""whisper_torch_ref — an independent PyTorch implementation of Whisper's
encoder and decoder, written from the architecture facts (DESIGN.md,
"Whisper facts"), and a ggml file reader in NumPy that dequantizes every
tensor exactly as stored (f32, f16, q8_0, q4_0, q4_1, q5_0, q5_1).

It shares no code with earshot's C model. Differences in approach, on
purpose: float64 throughout; torch.nn building blocks (nn.Conv1d with
stride/padding instead of im2col, nn.LayerNorm, nn.Linear); attention
scaled as openai does (d_head^-0.25 on q and on k); the decoder recomputes
the whole sequence at every step (no self-attention KV cache; only the
cross-attention projections of the encoder output are memoized), with an
explicit causal mask; audio_ctx trimming by slicing the positional embedding to the
frames given.
"""
import struct

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

torch.set_grad_enabled(False)

BLOCK = {2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34)}


def _f16(b):
    return np.frombuffer(b, "<f2").astype(np.float64)


def dequantize(ttype, raw, n):
    """float64 [n] from the bytes of a ggml tensor of type ttype."""
    if ttype == 0:
        return np.frombuffer(raw, "<f4", n).astype(np.float64)
    if ttype == 1:
        return np.frombuffer(raw, "<f2", n).astype(np.float64)
    qk, bb = BLOCK[ttype]
    blk = np.frombuffer(raw, np.uint8, n // qk * bb).reshape(-1, bb)
    d = _f16(blk[:, :2].tobytes())[:, None]
    if ttype == 8:
        return (d * blk[:, 2:].view(np.int8).astype(np.float64)).reshape(-1)
    if ttype in (3, 7):                      # with a minimum m
        m = _f16(blk[:, 2:4].tobytes())[:, None]
        rest = blk[:, 4:]
    else:
        m = 0.0
        rest = blk[:, 2:]
    if ttype in (6, 7):                      # a fifth bit in qh
        qh = np.frombuffer(rest[:, :4].tobytes(), "<u4").astype(np.int64)[:, None]
        qs = rest[:, 4:].astype(np.int64)
        j = np.arange(16)
        lo = (qs & 0xF) | (((qh >> j) & 1) << 4)
        hi = (qs >> 4) | (((qh >> (j + 16)) & 1) << 4)
        off = 16
    else:
        qs = rest.astype(np.int64)
        lo, hi = qs & 0xF, qs >> 4
        off = 8
    q = np.concatenate([lo, hi], axis=1).astype(np.float64)
    if ttype in (3, 7):
        return (d * q + m).reshape(-1)
    return (d * (q - off)).reshape(-1)


def read_ggml(path):
    """(hparams dict, {name: float64 array in PyTorch shape, squeezed})."""
    raw = open(path, "rb").read()
    magic, *hp = struct.unpack_from("<I11i", raw, 0)
    assert magic == 0x67676D6C, "not a ggml file"
    keys = ["n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
            "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer", "n_mels", "ftype"]
    hp = dict(zip(keys, hp))
    off = 48
    n_mel, n_fft = struct.unpack_from("<ii", raw, off)
    off += 8 + 4 * n_mel * n_fft
    (n,) = struct.unpack_from("<i", raw, off)
    off += 4
    for _ in range(n):
        (ln,) = struct.unpack_from("<I", raw, off)
        off += 4 + ln
    t = {}
    while off < len(raw):
        n_dims, name_len, ttype = struct.unpack_from("<iii", raw, off)
        off += 12
        ne = struct.unpack_from(f"<{n_dims}i", raw, off)
        off += 4 * n_dims
        name = raw[off:off + name_len].decode()
        off += name_len
        count = int(np.prod(ne))
        if ttype in (0, 1):
            nbytes = count * (4 if ttype == 0 else 2)
        else:
            qk, bb = BLOCK[ttype]
            nbytes = count // qk * bb
        a = dequantize(ttype, raw[off:off + nbytes], count)
        off += nbytes
        t[name] = a.reshape(tuple(reversed(ne))).squeeze()
    return hp, t


class Attention(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d, bias=False)
        self.value = nn.Linear(d, d)
        self.out = nn.Linear(d, d)

    def forward(self, x, kv_src, mask=None, cache=False):
        q = self.query(x)
        if cache and getattr(self, "_src", None) is kv_src:
            k, v = self._k, self._v              # cross-attention: same xa
        else:
            k, v = self.key(kv_src), self.value(kv_src)
            if cache:
                self._src, self._k, self._v = kv_src, k, v
        T, L, d = q.shape[0], k.shape[0], q.shape[1]
        dh = d // self.n_head
        scale = dh ** -0.25
        q = q.view(T, self.n_head, dh).permute(1, 0, 2) * scale
        k = k.view(L, self.n_head, dh).permute(1, 2, 0) * scale
        v = v.view(L, self.n_head, dh).permute(1, 0, 2)
        w = q @ k                              # [heads, T, L]
        if mask is not None:
            w = w + mask
        w = torch.softmax(w, dim=-1)
        return self.out((w @ v).permute(1, 0, 2).reshape(T, d))


class Block(nn.Module):
    def __init__(self, d, n_head, cross):
        super().__init__()
        self.attn = Attention(d, n_head)
        self.attn_ln = nn.LayerNorm(d, eps=1e-5)
        self.cross_attn = Attention(d, n_head) if cross else None
        self.cross_attn_ln = nn.LayerNorm(d, eps=1e-5) if cross else None
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.mlp_ln = nn.LayerNorm(d, eps=1e-5)

    def forward(self, x, xa=None, mask=None):
        h = self.attn_ln(x)
        x = x + self.attn(h, h, mask)
        if self.cross_attn is not None:
            x = x + self.cross_attn(self.cross_attn_ln(x), xa, cache=True)
        return x + self.mlp(self.mlp_ln(x))


class Whisper(nn.Module):
    def __init__(self, hp):
        super().__init__()
        d = hp["n_audio_state"]
        self.hp = hp
        self.conv1 = nn.Conv1d(hp["n_mels"], d, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(d, d, kernel_size=3, stride=2, padding=1)
        self.enc_pos = nn.Parameter(torch.zeros(hp["n_audio_ctx"], d))
        self.enc_blocks = nn.ModuleList(Block(d, hp["n_audio_head"], False)
                                        for _ in range(hp["n_audio_layer"]))
        self.ln_post = nn.LayerNorm(d, eps=1e-5)
        self.tok = nn.Embedding(hp["n_vocab"], d)
        self.dec_pos = nn.Parameter(torch.zeros(hp["n_text_ctx"], d))
        self.dec_blocks = nn.ModuleList(Block(d, hp["n_text_head"], True)
                                        for _ in range(hp["n_text_layer"]))
        self.ln = nn.LayerNorm(d, eps=1e-5)

    @classmethod
    def from_ggml(cls, path):
        hp, t = read_ggml(path)
        m = cls(hp).double()
        sd = {"conv1.weight": t["encoder.conv1.weight"].reshape(m.conv1.weight.shape),
              "conv1.bias": t["encoder.conv1.bias"],
              "conv2.weight": t["encoder.conv2.weight"],
              "conv2.bias": t["encoder.conv2.bias"],
              "enc_pos": t["encoder.positional_embedding"],
              "ln_post.weight": t["encoder.ln_post.weight"],
              "ln_post.bias": t["encoder.ln_post.bias"],
              "tok.weight": t["decoder.token_embedding.weight"],
              "dec_pos": t["decoder.positional_embedding"],
              "ln.weight": t["decoder.ln.weight"], "ln.bias": t["decoder.ln.bias"]}
        for pre, mine, n in (("encoder", "enc_blocks", hp["n_audio_layer"]),
                             ("decoder", "dec_blocks", hp["n_text_layer"])):
            for i in range(n):
                for name, a in t.items():
                    p = f"{pre}.blocks.{i}."
                    if name.startswith(p):
                        sd[f"{mine}.{i}.{name[len(p):]}"] = a
        sd = {k: torch.from_numpy(np.array(v, dtype=np.float64)) for k, v in sd.items()}
        m.load_state_dict(sd, strict=True)
        return m

    def encode(self, mel):
        """mel [n_mels, n_frames] (n_frames even) → [n_frames/2, d]."""
        x = torch.as_tensor(np.asarray(mel, np.float64))[None]
        x = F.gelu(self.conv1(x))
        x = F.gelu(self.conv2(x))[0].T          # [T, d]
        x = x + self.enc_pos[:x.shape[0]]
        for b in self.enc_blocks:
            x = b(x)
        return self.ln_post(x)

    def logits(self, tokens, xa, last_only=False):
        """Logits [len, n_vocab] of a whole token sequence over encoder output
        xa (only the last token's, [1, n_vocab], with last_only)."""
        tok = torch.as_tensor(np.asarray(tokens, np.int64))
        n = tok.shape[0]
        x = self.tok(tok) + self.dec_pos[:n]
        mask = torch.full((n, n), float("-inf"), dtype=torch.float64).triu(1)
        for b in self.dec_blocks:
            x = b(x, xa, mask)
        if last_only:
            x = x[-1:]
        return self.ln(x) @ self.tok.weight.T

    def greedy(self, prompt, xa, steps):
        """Plain argmax decoding; returns (tokens, last-token logits per step
        [steps+1, n_vocab], top-1 minus top-2 gap per step)."""
        toks = list(prompt)
        rows, gaps = [], []
        for i in range(steps + 1):
            lg = self.logits(toks, xa, last_only=True)[-1]
            rows.append(lg.numpy())
            top = torch.topk(lg, 2).values
            gaps.append(float(top[0] - top[1]))
            if i < steps:
                toks.append(int(torch.argmax(lg)))
        return toks, np.stack(rows), np.array(gaps)
