#!/usr/bin/python3
"""fit_speech_detect.py — fits and evaluates the speech detector's logistic
weights (src/dsp/speech_detect.c) on ../shared/data.

  fit_speech_detect.py --tool BUILD/tests/speech_detect_tool [--shared DIR]
                       [--write-c src/dsp/speech_detect.c] [--score-only]

1. Lists every clip of ../shared/data with a label: speech (ljspeech, fsdd,
   misc_librosa "speech" rows, and mixtures of ljspeech over ESC-50
   backgrounds at 10 and 0 dB SNR, made here with a fixed seed) or not
   (ESC-50, split into non-vocal and vocal classes, misc_librosa music and
   animal rows, clotho).
2. Runs the tool over them (`--chunks --features`): one row of raw chunk
   features per index chunk (10 s windows, 5 s hop).
3. Two-fold cross-validation by recording (fsdd by speaker, ESC-50 by
   Freesound source file, mixtures by their speech and background files,
   the rest by file): the weights fitted on one fold score the other, and
   the table reports those held-out scores only.
4. The final weights are fitted on everything; --write-c puts them into the
   marked block of speech_detect.c (rebuild, then --score-only reports what
   the C code itself now scores, in-sample).

Weights: classes balanced (speech and non-speech carry equal total weight;
within each, every group equal; the 0 dB mixtures half), L2-regularised
logistic regression on standardised features clipped to ±Z_CLIP; the score
is then gated by min(1, voiced_frac / GATE_VOICED), as in the C code.
--save writes the chunk table (.npz) for other analyses.
"""
import argparse
import collections
import csv
import hashlib
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import scipy.io.wavfile
import scipy.optimize

VOCAL = {"crying_baby", "laughing", "coughing", "sneezing", "breathing", "snoring"}
L2 = 1e-3        # ridge penalty on the standardised weights (not the bias)
# These two mirror speech_detect.c (SD_Z_CLIP, SD_GATE_VOICED): standardised
# features are clipped to ±Z_CLIP, and the score is multiplied by
# min(1, voiced_frac / GATE_VOICED) (speech a recogniser can transcribe has
# voiced frames; this keeps click tracks and the like at 0).
Z_CLIP = 4.0
GATE_VOICED = 0.25
SNRS = (10, 0)


def stable_fold(key):
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2


def read_manifest(shared, name):
    path = os.path.join(shared, "data", name, "manifest.csv")
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            row["abspath"] = os.path.join(shared, "data", name, row["path"])
            yield row


def list_clips(shared):
    """(path, group, label, fold) for every clip; label 1 = speech."""
    clips = []
    for r in read_manifest(shared, "ljspeech"):
        clips.append((r["abspath"], "ljspeech", 1, stable_fold(r["path"])))
    for r in read_manifest(shared, "fsdd"):
        fold = 0 if r["speaker"] in ("george", "jackson") else 1
        clips.append((r["abspath"], "fsdd", 1, fold))
    for r in read_manifest(shared, "misc_librosa"):
        cat = r["category"]
        group = {"speech": "misc_speech", "music": "music", "animal": "animal"}[cat]
        clips.append((r["abspath"], group, 1 if cat == "speech" else 0,
                      stable_fold(r["path"])))
    for r in read_manifest(shared, "esc50"):
        group = "esc50_vocal" if r["label"] in VOCAL else "esc50"
        clips.append((r["abspath"], group, 0, stable_fold(r["src_file"])))
    for r in read_manifest(shared, "clotho"):
        # Tenerife bazaar is crowd babble ("people are talking"): reported
        # on its own, left out of the fit and of the speech/non-speech sums.
        group = "clotho_babble" if "tenerife" in r["path"] else "clotho"
        clips.append((r["abspath"], group, 0, stable_fold(r["path"])))
    return clips


def read_wav(path):
    rate, x = scipy.io.wavfile.read(path)
    assert rate == 16000, path
    if x.dtype == np.int16:
        x = x.astype(np.float32) / 32768.0
    return x.astype(np.float32)


def make_mixtures(clips, outdir, per_fold=60):
    """ljspeech over non-vocal ESC-50 backgrounds (same fold), SNR by RMS of
    the whole speech clip against the whole background segment (looped to
    the speech's length)."""
    rng = np.random.default_rng(1234)
    os.makedirs(outdir, exist_ok=True)
    out, listing = [], ["path,speech,background,snr_db"]
    for fold in (0, 1):
        sp = sorted(p for p, g, _, f in clips if g == "ljspeech" and f == fold)
        bg = sorted(p for p, g, _, f in clips if g == "esc50" and f == fold)
        for i in range(per_fold):
            s_path = sp[rng.integers(len(sp))]
            for _ in range(20):   # a background that is not silent
                b_path = bg[rng.integers(len(bg))]
                b = read_wav(b_path)
                if np.sqrt(np.mean(b ** 2)) > 1e-3:
                    break
            s = read_wav(s_path)
            b = np.resize(b, s.shape)
            ps, pb = np.mean(s ** 2), np.mean(b ** 2) + 1e-12
            for snr in SNRS:
                gain = np.sqrt(ps / (pb * 10 ** (snr / 10)))
                y = s + gain * b
                peak = np.max(np.abs(y))
                if peak > 0.99:
                    y *= 0.99 / peak
                name = "mix%d_%03d_snr%d.wav" % (fold, i, snr)
                path = os.path.join(outdir, name)
                if not os.path.exists(path):
                    scipy.io.wavfile.write(path, 16000, y.astype(np.float32))
                out.append((path, "mix_%ddB" % snr, 1, fold))
                listing.append("%s,%s,%s,%d" % (name, os.path.basename(s_path),
                                                 os.path.basename(b_path), snr))
    with open(os.path.join(outdir, "mixtures.csv"), "w") as f:
        f.write("\n".join(listing) + "\n")
    return out


def run_tool(tool, clips):
    """Rows: dict path → list of (score, gated, features[]) per chunk."""
    paths = "\n".join(p for p, *_ in clips) + "\n"
    r = subprocess.run([tool, "--chunks", "--features", "-"], input=paths,
                       capture_output=True, text=True, check=True)
    rows = collections.defaultdict(list)
    for line in r.stdout.splitlines():
        f = line.split("\t")
        rows[f[0]].append((float(f[4]), int(f[5]), [float(v) for v in f[6:]]))
    return rows


def feature_names(tool):
    r = subprocess.run([tool, "--names"], capture_output=True, text=True, check=True)
    return r.stdout.split()


def threshold_of(tool):
    r = subprocess.run([tool, "--threshold"], capture_output=True, text=True, check=True)
    return float(r.stdout)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def fit_logistic(X, y, w):
    """Weighted L2 logistic regression on standardised X; returns
    (mean, scale, weights, bias)."""
    mu = np.average(X, axis=0, weights=w)
    sd = np.sqrt(np.average((X - mu) ** 2, axis=0, weights=w)) + 1e-6
    Z = np.clip((X - mu) / sd, -Z_CLIP, Z_CLIP)
    W = w / w.sum()

    def loss(theta):
        b, v = theta[0], theta[1:]
        z = Z @ v + b
        # log(1 + e^z) - y z, stable
        l = np.logaddexp(0, z) - y * z
        p = sigmoid(z)
        g = W * (p - y)
        val = np.sum(W * l) + 0.5 * L2 * np.sum(v ** 2)
        grad = np.concatenate([[g.sum()], Z.T @ g + L2 * v])
        return val, grad

    res = scipy.optimize.minimize(loss, np.zeros(Z.shape[1] + 1), jac=True,
                                  method="L-BFGS-B")
    return mu, sd, res.x[1:], res.x[0]


def predict(model, X, voiced_frac):
    mu, sd, v, b = model
    z = np.clip((X - mu) / sd, -Z_CLIP, Z_CLIP)
    return sigmoid(z @ v + b) * np.minimum(1.0, voiced_frac / GATE_VOICED)


def auc(pos, neg):
    """P(score(pos) > score(neg)) + ½ P(tie)."""
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    allv = np.concatenate([pos, neg])
    order = np.argsort(allv, kind="mergesort")
    ranks = np.empty(len(allv))
    # average ranks for ties
    sv = allv[order]
    i = 0
    while i < len(sv):
        j = i
        while j + 1 < len(sv) and sv[j + 1] == sv[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    rp = ranks[: len(pos)].sum()
    return (rp - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def sample_weights(groups, labels, fit_groups):
    w = np.zeros(len(groups))
    for lab in (0, 1):
        gs = sorted({g for g, l in zip(groups, labels) if l == lab and g in fit_groups})
        for g in gs:
            m = (groups == g)
            w[m] = 1.0 / (len(gs) * m.sum())
    return w


FIT_WEIGHT = {"mix_0dB": 0.5}   # relative group weights (default 1)


def table(groups, labels, scores, thr, title):
    order = ["ljspeech", "fsdd", "misc_speech", "mix_10dB", "mix_0dB",
             "esc50", "esc50_vocal", "music", "animal", "clotho", "clotho_babble"]
    sp_all = scores[(labels == 1) & (groups != "clotho_babble")]
    ns_all = scores[(labels == 0) & (groups != "clotho_babble")]
    clean_sp = scores[np.isin(groups, ["ljspeech", "fsdd", "misc_speech"])]
    print(title)
    print("| set | label | chunks | accuracy at %.2f | ROC AUC vs the other class | median score |" % thr)
    print("|---|---|---|---|---|---|")
    for g in order:
        m = groups == g
        if not m.any():
            continue
        lab = labels[m][0]
        s = scores[m]
        acc = np.mean((s >= thr) == (lab == 1))
        if g == "clotho_babble":
            a = float("nan")
        elif lab == 1:
            a = auc(s, ns_all)
        else:
            a = auc(clean_sp, s)
        print("| %s | %s | %d | %.3f | %.3f | %.3f |" %
              (g, "speech" if lab else "non-speech", m.sum(), acc, a, np.median(s)))
    ok = groups != "clotho_babble"
    bal = 0.5 * (np.mean(sp_all >= thr) + np.mean(ns_all < thr))
    print("| all (balanced by class) | | %d | %.3f | %.3f | |" %
          (ok.sum(), bal, auc(sp_all, ns_all)))
    print()


def c_array(name, values):
    """`static const float name[ES_SD_N_FEAT] = {…};`, 4 values a line."""
    vals = ["%.6ff" % v for v in values]
    lines = ["    " + ", ".join(vals[i:i + 4]) for i in range(0, len(vals), 4)]
    return ("static const float %s[ES_SD_N_FEAT] = {\n" % name
            + ",\n".join(lines) + "};\n")


def write_c(path, model, thr, note):
    mu, sd, v, b = model
    block = (
        "/* ---- the fitted model (bench/fit_speech_detect.py writes this block) ---- */\n"
        + "".join("/* %s */\n" % line for line in note)
        + c_array("model_mean", mu) + c_array("model_scale", sd)
        + c_array("model_weight", v)
        + "static const float model_bias = %.6ff;\n" % b
        + "static const float model_threshold = %.6ff;\n" % thr
        + "/* ---- end of the fitted model ---- */")
    src = open(path).read()
    new, k = re.subn(r"/\* ---- the fitted model .*?/\* ---- end of the fitted model ---- \*/",
                     lambda _: block, src, flags=re.S)
    if k != 1:
        sys.exit("fit_speech_detect: no model block in %s" % path)
    open(path, "w").write(new)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--shared", default=os.environ.get(
        "EARSHOT_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared")))
    ap.add_argument("--mixdir", default=os.path.join(tempfile.gettempdir(),
                                                     "earshot-speech-detect-mix"))
    ap.add_argument("--write-c")
    ap.add_argument("--score-only", action="store_true",
                    help="report the scores of the C detector as built")
    ap.add_argument("--drop", default="", help="comma-separated features to leave out")
    ap.add_argument("--save", help="save the chunk table as .npz (for analysis)")
    args = ap.parse_args()

    clips = list_clips(args.shared)
    clips += make_mixtures(clips, args.mixdir)
    names = feature_names(args.tool)
    rows = run_tool(args.tool, clips)

    groups, labels, folds, feats, cscore, gated = [], [], [], [], [], []
    for path, g, lab, fold in clips:
        for score, gt, f in rows.get(path, []):
            groups.append(g)
            labels.append(lab)
            folds.append(fold)
            feats.append(f)
            cscore.append(score)
            gated.append(gt)
    groups, labels, folds = np.array(groups), np.array(labels), np.array(folds)
    X, cscore, gated = np.array(feats), np.array(cscore), np.array(gated)
    print("%d clips, %d chunks, %d gated (too short or silent)" %
          (len(clips), len(groups), gated.sum()))

    if args.save:
        np.savez(args.save, X=X, groups=groups, labels=labels, folds=folds,
                 names=np.array(names), score=cscore, gated=gated,
                 paths=np.array([p for p, *_ in clips for _ in rows.get(p, [])]))
    if args.score_only:
        table(groups, labels, cscore, threshold_of(args.tool),
              "C detector as built (weights fitted on all of this data: in-sample)")
        return

    keep = [i for i, n in enumerate(names) if n not in args.drop.split(",")]
    Xk = X[:, keep]
    fit_groups = {g for g in set(groups) if g != "clotho_babble"}
    w = sample_weights(groups, labels, fit_groups)
    for g, r in FIT_WEIGHT.items():
        w[groups == g] *= r
    w[gated == 1] = 0     # the C code scores these 0 whatever the weights

    oof = np.zeros(len(groups))
    for fold in (0, 1):
        tr, te = folds != fold, folds == fold
        model = fit_logistic(Xk[tr], labels[tr], w[tr])
        oof[te] = predict(model, Xk[te], X[te, names.index("voiced_frac")])
    oof[gated == 1] = 0
    thr = 0.5

    model = fit_logistic(Xk, labels, w)
    mu, sd, v, b = model
    if args.write_c:      # before printing: a closed pipe must not lose it
        full = (np.zeros(len(names)), np.ones(len(names)), np.zeros(len(names)), b)
        for i, k in enumerate(keep):
            full[0][k], full[1][k], full[2][k] = mu[i], sd[i], v[i]
        note = ["Fitted by bench/fit_speech_detect.py on ../shared/data: %d chunks," % len(groups),
                "classes balanced, L2 %g on standardised weights; features are" % L2,
                "standardised by model_mean / model_scale. Held-out (2-fold by",
                "recording) accuracy: docs/SPEECH_DETECT.md."]
        write_c(args.write_c, full, thr, note)

    table(groups, labels, oof, thr, "2-fold cross-validation (held-out fold scores)")
    print("final weights (fitted on all data):")
    for i, k in enumerate(keep):
        print("  %-14s mean %9.4f  scale %8.4f  weight %+7.3f" % (names[k], mu[i], sd[i], v[i]))
    print("  bias %+.3f" % b)
    if args.write_c:
        print("wrote the model into", args.write_c)


if __name__ == "__main__":
    main()
