#!/usr/bin/python3
"""wordvec-quality.py — the quality report of the word-vector text encoder
(docs/WORDVEC.md), computed through the C implementation (the helper
programs tests/tools/wordvec_embed and wordvec_neighbors):

  1. the 8 nearest words of 20 probe words;
  2. Clotho caption grouping: for each caption, is the nearest other
     caption one of the same clip? (accuracy, and the AUC of same-clip vs
     other-clip cosines);
  3. LJ Speech chapter grouping: same question with transcripts of two
     book chapters (LJ001 vs LJ002);
  4. ESC-50 labels: for each prompt "the sound of a <label>", its 3 nearest
     other labels (a sanity look, not a score);
  5. vocabulary coverage of the tokens of all these texts.

Usage: wordvec-quality.py [--model FILE] [--build DIR] [--shared DIR]
Prints Markdown. Defaults: the installed model, build/, ../shared.
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "ref"))
import wordvec_ref as R  # noqa: E402

PROBES = ("dog rain guitar engine applause bird siren piano thunder laughter baby car "
          "door water bell train wind speech music crowd").split()
CAPTION_KEYS = ("caption", "caption_2", "caption_3", "caption_4", "caption_5")


def default_model():
    e = os.environ
    if e.get("EARSHOT_MODELS"):
        d = e["EARSHOT_MODELS"]
    elif e.get("XDG_DATA_HOME"):
        d = os.path.join(e["XDG_DATA_HOME"], "earshot", "models")
    else:
        d = os.path.join(os.path.expanduser("~"), ".local", "share", "earshot", "models")
    return os.path.join(d, "wordvec", "wink-sg-100d.eswv")


class Encoder:
    def __init__(self, model, build):
        self.model = model
        self.embed_bin = os.path.join(build, "tests", "wordvec_embed")
        self.nn_bin = os.path.join(build, "tests", "wordvec_neighbors")
        for b in (self.embed_bin, self.nn_bin):
            if not os.access(b, os.X_OK):
                sys.exit(f"wordvec-quality: {b} is missing; build first (scripts/build.sh)")
        self.tmp = tempfile.mkdtemp(prefix="wvq-")

    def embed(self, texts):
        tf, out = os.path.join(self.tmp, "t.bin"), os.path.join(self.tmp, "e.npy")
        with open(tf, "wb") as f:
            f.write(b"\0".join(t.encode("utf-8") for t in texts))
        r = subprocess.run([self.embed_bin, self.model, tf, out], capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"wordvec-quality: {r.stderr.strip()}")
        self.describe = r.stderr.strip().splitlines()
        return np.load(out)

    def neighbours(self, probes, k=8):
        r = subprocess.run([self.nn_bin, self.model, "-k", str(k), *probes],
                           capture_output=True, text=True, check=True)
        out = {}
        for line in r.stdout.splitlines():
            p, w, s = line.split("\t")
            out.setdefault(p, []).append((w, s))
        return out


def grouping(E, groups):
    """Top-1 same-group accuracy over rows with a known word, and the AUC of
    same-group vs other-group pair cosines."""
    groups = np.asarray(groups)
    S = E @ E.T
    np.fill_diagonal(S, -np.inf)
    ok = np.linalg.norm(E, axis=1) > 0
    S[:, ~ok] = -np.inf
    top1 = groups[np.argmax(S, axis=1)] == groups
    iu = np.triu_indices(len(groups), 1)
    keep = ok[iu[0]] & ok[iu[1]]
    s, same = S[iu][keep], (groups[iu[0]] == groups[iu[1]])[keep]
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    n1, n0 = same.sum(), (~same).sum()
    auc = (ranks[same].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    return top1[ok].mean(), int(ok.sum()), auc, s[same].mean(), s[~same].mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=default_model())
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--shared", default=os.environ.get("EARSHOT_SHARED") or
                    os.path.join(ROOT, "..", "shared"))
    a = ap.parse_args()
    if not os.path.exists(a.model):
        sys.exit(f"wordvec-quality: {a.model} is missing; run scripts/install-wordvectors.sh")
    enc = Encoder(a.model, a.build)
    data = os.path.join(a.shared, "data")
    all_texts = []

    enc.embed(["probe"])
    print(f"Model: `{a.model}`  \n{'  '.join(enc.describe)}\n")
    print("### Nearest words (cosine, C implementation)\n")
    print("| probe | 8 nearest words |\n|---|---|")
    nn = enc.neighbours(PROBES)
    for p in PROBES:
        cells = ", ".join(f"{w} {float(s):.2f}" for w, s in nn[p]) if nn[p][0][0] != "-" \
            else "(unknown)"
        print(f"| {p} | {cells} |")

    rows = list(csv.DictReader(open(os.path.join(data, "clotho", "manifest.csv"),
                                    encoding="utf-8")))
    caps = [r[k] for r in rows for k in CAPTION_KEYS]
    grp = [i for i, _ in enumerate(rows) for _ in CAPTION_KEYS]
    all_texts += caps
    acc, n, auc, ms, md = grouping(enc.embed(caps), grp)
    print(f"\n### Clotho caption grouping\n\n{len(rows)} clips × 5 captions: the nearest "
          f"other caption is from the same clip for **{acc * 100:.1f} %** of {n} captions; "
          f"AUC same-clip vs other-clip pairs {auc:.3f} (mean cosine {ms:.3f} vs {md:.3f}).")

    lj = list(csv.DictReader(open(os.path.join(data, "ljspeech", "manifest.csv"),
                                  encoding="utf-8")))
    ljt = [r["transcript"] for r in lj]
    ljg = [os.path.basename(r["path"])[:5] for r in lj]
    all_texts += ljt
    acc, n, auc, ms, md = grouping(enc.embed(ljt), ljg)
    print(f"\n### LJ Speech chapter grouping\n\n{len(lj)} transcripts from two chapters "
          f"({ljg.count('LJ001')} LJ001, {ljg.count('LJ002')} LJ002): nearest other "
          f"transcript from the same chapter for **{acc * 100:.1f} %** of {n}; AUC "
          f"{auc:.3f} (mean cosine {ms:.3f} vs {md:.3f}).")

    labels = sorted({r["label"] for r in csv.DictReader(
        open(os.path.join(data, "esc50", "manifest.csv"), encoding="utf-8"))})
    prompts = [f"the sound of a {l.replace('_', ' ')}" for l in labels]
    all_texts += prompts
    E = enc.embed(prompts)
    S = E @ E.T
    np.fill_diagonal(S, -np.inf)
    print(f"\n### ESC-50 labels ({len(labels)} prompts \"the sound of a <label>\")\n")
    print("| label | 3 nearest labels |\n|---|---|")
    for i, l in enumerate(labels):
        top = np.argsort(-S[i])[:3]
        print(f"| {l} | " + ", ".join(f"{labels[j]} {S[i, j]:.2f}" for j in top) + " |")

    F = R.read_eswv(a.model)
    toks = [t for x in all_texts for t in R.tokenize(x)]
    known = [t in F["index"] for t in toks]
    missing = sorted({t for t, k in zip(toks, known) if not k})
    print(f"\n### Coverage\n\n{len(toks)} tokens of these texts ({len(set(toks))} distinct): "
          f"{np.mean(known) * 100:.1f} % known. Unknown: {', '.join(missing[:40])}"
          f"{' …' if len(missing) > 40 else ''}.")


if __name__ == "__main__":
    main()
