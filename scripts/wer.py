#!/usr/bin/env python3
"""wer.py — word error rate of transcripts against references.

    scripts/wer.py REF HYP                       two strings: prints the WER
    scripts/wer.py --pairs FILE.tsv              lines "id<TAB>reference<TAB>hypothesis":
                                                 per-line WER, then the corpus WER

Normalisation (both sides, before counting): Unicode NFKC, lower case,
apostrophes kept inside words ("don't"), possessive "'s" kept, every other
punctuation mark (ASCII and Unicode: . , ; : ! ? " - – — ( ) …) becomes a
space, then whitespace splits words. Numbers are NOT converted: "twenty"
and "20" count as different words, so a recognizer that writes digits
(Whisper does) is penalised against references that spell numbers out
(LJ Speech's normalised column, FSDD's "zero".."nine"). Say so when you
compare such systems.

WER = (substitutions + deletions + insertions) / reference words, by word-level
Levenshtein distance. The corpus WER is total edits / total reference words
(not the mean of per-file WERs). An empty reference with a non-empty
hypothesis counts each hypothesis word as an insertion (WER reported as
inf for that file alone). Importable: normalize(), words(), edit_counts(),
wer(), corpus_wer().
"""
import re
import sys
import unicodedata

_APOS = "'\u2019\u02bc"


def normalize(text):
    """Lower-cased text with punctuation removed (inner apostrophes kept)."""
    t = unicodedata.normalize("NFKC", text or "").lower()
    t = t.replace("\u2019", "'").replace("\u02bc", "'")
    out = []
    for i, ch in enumerate(t):
        cat = unicodedata.category(ch)
        if ch == "'":
            prev = t[i - 1] if i > 0 else " "
            nxt = t[i + 1] if i + 1 < len(t) else " "
            out.append("'" if prev.isalnum() and nxt.isalnum() else " ")
        elif cat.startswith("P") or cat.startswith("S") or cat.startswith("Z") or ch.isspace():
            out.append(" ")
        elif cat.startswith("C"):
            out.append(" ")
        else:
            out.append(ch)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def words(text):
    n = normalize(text)
    return n.split() if n else []


def edit_counts(ref, hyp):
    """(substitutions, deletions, insertions) turning word list ref into hyp."""
    r, h = list(ref), list(hyp)
    # dp[j] = (cost, S, D, I) for ref[:i] vs hyp[:j]
    prev = [(j, 0, 0, j) for j in range(len(h) + 1)]
    for i in range(1, len(r) + 1):
        cur = [(i, 0, i, 0)]
        for j in range(1, len(h) + 1):
            if r[i - 1] == h[j - 1]:
                best = prev[j - 1]
            else:
                c, s, d, ins = prev[j - 1]
                best = (c + 1, s + 1, d, ins)
            c, s, d, ins = prev[j]            # deletion of ref[i-1]
            if c + 1 < best[0]:
                best = (c + 1, s, d + 1, ins)
            c, s, d, ins = cur[j - 1]         # insertion of hyp[j-1]
            if c + 1 < best[0]:
                best = (c + 1, s, d, ins + 1)
            cur.append(best)
        prev = cur
    _, s, d, ins = prev[len(h)]
    return s, d, ins


def wer(ref_text, hyp_text):
    r, h = words(ref_text), words(hyp_text)
    s, d, i = edit_counts(r, h)
    if not r:
        return 0.0 if not h else float("inf")
    return (s + d + i) / len(r)


def corpus_wer(pairs):
    """pairs: iterable of (ref_text, hyp_text). Returns (wer, edits, ref_words)."""
    edits = n = 0
    for ref, hyp in pairs:
        r, h = words(ref), words(hyp)
        edits += sum(edit_counts(r, h))
        n += len(r)
    return (edits / n if n else 0.0), edits, n


def main(argv):
    if len(argv) == 3 and argv[1] == "--pairs":
        rows = []
        with open(argv[2], encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 3:
                    continue
                rows.append(parts)
        for ident, ref, hyp in rows:
            r, h = words(ref), words(hyp)
            s, d, i = edit_counts(r, h)
            print(f"{ident}\t{(s + d + i) / max(len(r), 1):.3f}\tS={s} D={d} I={i} N={len(r)}")
        w, e, n = corpus_wer((ref, hyp) for _, ref, hyp in rows)
        print(f"corpus\t{w:.4f}\tedits={e} words={n} files={len(rows)}")
        return 0
    if len(argv) == 3:
        print(f"{wer(argv[1], argv[2]):.4f}")
        return 0
    print(__doc__.strip().split("\n\n")[0], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
