"""test_wordpiece — src/models/bert/wordpiece.c against the pure-Python
reference wordpiece_ref.py on every text of text_corpus.py, with the real
all-MiniLM-L6-v2 vocab.txt: ids must be identical, at max_len 256, 16 and 2
(lowercasing, as the model) and for a subset without lowercasing (cased).
Also times the C encoder on the long paragraphs (must stay well under 1 ms
per 2000 chars; the limit is only enforced outside sanitizer builds).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import text_corpus  # noqa: E402
from wordpiece_ref import WordPiece  # noqa: E402

VOCAB = reflib.shared("models/minilm-tokenizer/vocab.txt")
TOOL = reflib.tool("wordpiece_ids")
TMP = reflib.tmpdir()
C = reflib.Checks()


def write_texts(texts, name):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        for t in texts:
            f.write(t.encode("utf-8") + b"\0")
    return path


def run_c(path, max_len, cased=False, timing=False):
    args = [TOOL, VOCAB, path, max_len] + (["--cased"] if cased else []) + \
        (["--time"] if timing else [])
    r = reflib.run(args)
    lines = r.stdout.split("\n")[:-1]
    return [[int(x) for x in ln.split()] for ln in lines], r.stderr


def compare(texts, ref, max_len, cased, label):
    path = write_texts(texts, f"{label}.bin")
    got, _ = run_c(path, max_len, cased)
    ok = len(got) == len(texts)
    mismatches = total = 0
    for i, t in enumerate(texts):
        want = ref.encode(t, max_len)
        total += len(want)
        if i >= len(got) or got[i] != want:
            mismatches += 1
            if mismatches <= 5:
                print(f"  mismatch #{i} {t[:60]!r}\n    C  {got[i] if i < len(got) else None}"
                      f"\n    py {want}\n    py tokens {ref.tokens(t)[:20]}")
    C.check(f"{label}: max_len {max_len}", ok and mismatches == 0,
            f"({len(texts)} texts, {total} ids, {mismatches} mismatches)")
    return total


texts = text_corpus.texts()
long_ones = text_corpus.long_paragraphs()
lower = WordPiece(VOCAB, lower_case=True)
cased = WordPiece(VOCAB, lower_case=False)

n_ids = 0
for max_len in (256, 16, 2):
    n_ids += compare(texts, lower, max_len, False, "uncased")
# Cased: no lowercasing, no accent stripping, NFC (decomposed accents compose).
cased_texts = (text_corpus.ACCENTS + text_corpus.SENTENCES[:20] + text_corpus.CJK[:6] +
               text_corpus.SPECIAL_TOKENS + text_corpus.long_paragraphs()[:2])
n_ids += compare(cased_texts, cased, 256, True, "cased")

# Long texts past the C encoder's 4 KiB chunks: the whole corpus joined by
# spaces and newlines (marks after spaces, CJK, specials at chunk edges).
joined = [" ".join(texts), "\n".join(texts), "".join(t + " " for t in texts[::-1])]
n_ids += compare(joined + long_ones, lower, 20000, False, "chunked")
n_ids += compare(joined[:1], cased, 20000, True, "chunked cased")

# Length guards: the corpus must actually exercise truncation.
C.check("corpus: >= 220 texts", len(texts) >= 220, f"({len(texts)})")
C.check("corpus: >= 10 paragraphs past 256 pieces",
        sum(len(lower.tokens(p)) > 256 for p in long_ones) >= 10)

# Timing: encode each 2000-char slice of the long paragraphs many times.
slices = [p[:2000] for p in long_ones]
path = write_texts(slices * 50, "timing.bin")
_, err = run_c(path, 256, timing=True)
us = float(err.split(",")[1].split()[0])
asan = os.environ.get("EARSHOT_ASAN", "0") in ("1", "ON", "TRUE", "true")
C.check("timing: 2000-char paragraph", asan or us < 1000.0,
        f"({us:.1f} us per text{', sanitizer build: not enforced' if asan else ''})")
print(f"summary: {len(texts)} texts x 3 lengths + {len(cased_texts)} cased + "
      f"{len(joined) + len(long_ones) + 1} long, "
      f"{n_ids} ids compared")
C.finish()
