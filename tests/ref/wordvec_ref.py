"""wordvec_ref — an independent NumPy/Python reimplementation of earshot's
word-vector text encoder (src/models/wordvec/), used by the reference tests
to check the C code, and by the measurements in docs/WORDVEC.md.

It follows the rules written in docs/WORDVEC.md ("Tokenisation", "Sentence
vector"), not the C source: if the two disagree, one of them is wrong.
"""
import re
import unicodedata

import numpy as np

APOSTROPHES = ("'", "\u2019")
CLITICS = {"s", "re", "ve", "ll", "d", "m"}
NT_STEMS = {"ca": "can", "wo": "will", "sha": "shall"}


def _fold_char(c):
    """Case fold, compatibility-decompose and strip marks, recursively, as
    utf8proc_decompose_char(DECOMPOSE|COMPAT|CASEFOLD|STRIPMARK) does."""
    if unicodedata.category(c) in ("Mn", "Mc", "Me"):
        return ""
    cf = c.casefold()
    if cf != c:
        return "".join(_fold_char(x) for x in cf)
    nf = unicodedata.normalize("NFKD", c)
    if nf != c:
        return "".join(_fold_char(x) for x in nf)
    return c


def _is_token_char(c):
    cat = unicodedata.category(c)
    return cat[0] == "L" or cat == "Nd"


def words(text):
    """Splits text (str, or bytes decoded with replacement) into words: runs
    of letters/digits, joined by single apostrophes between them."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    folded = "".join(_fold_char(c) for c in text)
    out, cur, pending_apos = [], [], False
    for c in folded:
        if _is_token_char(c):
            if pending_apos:
                cur.append("'")
                pending_apos = False
            cur.append(c)
        elif c in APOSTROPHES and cur and not pending_apos:
            pending_apos = True
        else:
            if cur:
                out.append("".join(cur))
            cur, pending_apos = [], False
    if cur:
        out.append("".join(cur))
    return out


def split_word(w):
    """A word with apostrophes → tokens: clitics 's 're 've 'll 'd 'm are
    dropped, n't becomes "not" (can't → can not), other parts stay."""
    parts = w.split("'")
    if len(parts) > 1:
        last, prev = parts[-1], parts[-2]
        if last in CLITICS:
            parts = parts[:-1]
        elif last == "t" and len(prev) > 1 and prev.endswith("n"):
            stem = prev[:-1]
            parts = parts[:-2] + [NT_STEMS.get(stem, stem), "not"]
    return parts


MAX_WORD_BYTES = 255


def tokenize(text):
    toks = []
    for w in words(text):
        if len(w.encode("utf-8")) > MAX_WORD_BYTES:
            continue
        toks.extend(split_word(w))
    return toks


VOCAB_RE = re.compile(r"[a-z0-9]+\Z")


def producible(word):
    """True if the tokenizer can ever emit this vocabulary word."""
    return bool(VOCAB_RE.match(word))


def zipf_norm(vocab_size, s=1.0):
    r = np.arange(1, vocab_size + 1, dtype=np.float64)
    return float(np.sum(r ** -s))


def sif_weight(rank0, a, vocab_size, s=1.0, norm=None):
    """SIF weight a / (a + p) with p = (rank+1)^-s / H (rank0 is 0-based)."""
    if norm is None:
        norm = zipf_norm(vocab_size, s)
    p = (np.asarray(rank0, dtype=np.float64) + 1.0) ** -s / norm
    return a / (a + p)


def embed(text, index, vectors, ranks, a, vocab_size, s=1.0, norm=None,
          unit_words=False):
    """Sentence vector of text: index maps word → row of vectors (float),
    ranks[row] is the word's 0-based rank in the full source vocabulary."""
    if norm is None:
        norm = zipf_norm(vocab_size, s)
    acc = np.zeros(vectors.shape[1], dtype=np.float64)
    for t in tokenize(text):
        i = index.get(t)
        if i is None:
            continue
        v = vectors[i].astype(np.float64)
        if unit_words:
            n = np.linalg.norm(v)
            v = v / n if n > 0 else v
        acc += sif_weight(ranks[i], a, vocab_size, s, norm) * v
    n = np.linalg.norm(acc)
    return acc / n if n > 0 else acc


def read_eswv(path):
    """Reads an .eswv file with NumPy, independently of the C reader.
    Returns dict(header fields..., words, index, ranks, vectors (f32))."""
    import struct
    import zlib
    data = open(path, "rb").read()
    h = data[:256]
    assert h[:4] == b"ESWV", "bad magic"
    (version, header_size, dim, n, dtype, flags, max_len, slots,
     vocab) = struct.unpack_from("<9I", h, 4)
    a, s, norm = struct.unpack_from("<3d", h, 40)
    (o_off, o_str, str_size, o_rank, o_hash, o_scale, o_vec,
     file_size) = struct.unpack_from("<8Q", h, 64)
    payload_crc, fingerprint, top = struct.unpack_from("<3I", h, 128)
    assert zlib.crc32(h[:252]) == struct.unpack_from("<I", h, 252)[0]
    assert zlib.crc32(data[256:]) == payload_crc and file_size == len(data)
    offs = np.frombuffer(data, "<u4", n + 1, o_off)
    strings = data[o_str:o_str + str_size]
    words = [strings[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    ranks = np.frombuffer(data, "<u4", n, o_rank).astype(np.int64)
    if dtype == 1:
        vecs = np.frombuffer(data, "<f2", n * dim, o_vec).reshape(n, dim).astype(np.float32)
    else:
        sc = np.frombuffer(data, "<f4", n, o_scale)
        q = np.frombuffer(data, "i1", n * dim, o_vec).reshape(n, dim)
        vecs = q.astype(np.float32) * sc[:, None]
    name = h[144:176].split(b"\0")[0].decode()
    source = h[176:240].split(b"\0")[0].decode()
    return dict(version=version, dim=dim, n_words=n, dtype=dtype, flags=flags,
                max_word_len=max_len, hash_slots=slots, vocab_size=vocab, sif_a=a,
                zipf_s=s, zipf_norm=norm, fingerprint=fingerprint, top=top, name=name,
                source=source, words=words, index={w: i for i, w in enumerate(words)},
                ranks=ranks, vectors=vecs, offsets=dict(offsets=o_off, strings=o_str,
                ranks=o_rank, hash=o_hash, scales=o_scale, vectors=o_vec))
