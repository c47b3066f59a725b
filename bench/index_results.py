#!/usr/bin/python3
"""index_results.py — end-to-end retrieval through `earshot index` and
`earshot search --json` (docs/RESULTS.md § Search (issue 6)).

Run by bench/run-index-results.sh. Steps (all files under WORK):

  1. ESC-50 folds: 5 folds by source recording, exactly as `earshot train
     --kfold 5 --group-by src_file` assigns them (src/data/folds.c,
     re-implemented here to know which clips are held out; checked against
     the fold sizes 60, 60, 64, 59, 60 of docs/RESULTS.md).
  2. For each fold k: train a bridge on the other four folds (`earshot train
     --kfold 5 --group-by src_file --folds ...`), index a folder of symlinks
     to fold k's clips (library esc-k), then add 60 LJ Speech clips to a
     copy of it (library mixed-k: the ESC-50 files are unchanged, only the
     LJ clips are analysed).
  3. (a) sounds: on esc-k, "the sound of LABEL" and "LABEL" for every label
     of fold k, default fusion vs --path sound: mAP@10, R@1, R@10 at the
     file level (relevant = fold k's files of that label).
  4. (b) speech: on mixed-k, the hand-written paraphrases and keyword
     queries of bench/queries/ljspeech-*.csv: R@1, R@5, MRR@10.
  5. (c) fusion grid: one `earshot search --json -k 10000 --moments 100`
     per query and library gives every chunk's per-path similarities, speech
     score and lexical term; the fusion of src/index/search.c is re-applied
     in NumPy for each setting of the grid. A seeded sample of real
     `earshot search` calls with the grid's options checks that the
     re-fused top-10 lists equal what the CLI returns.

Writes WORK/results.json and prints the Markdown tables.
"""
import argparse
import collections
import csv
import json
import math
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

K = 5
TEMPS = [0.0, 0.05, 0.1, 0.2]
SPEECH_WEIGHTS = [(1.0, 0.0), (0.5, 0.25), (1.5, -0.25)]
LEXICALS = [0.0, 0.15, 0.3]
DEFAULT = (0.1, (1.0, 0.0), 0.15)   # temperature, speech-weight, lexical
TUNE_FOLDS = (1, 2)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ folds
def assign_folds(rows, k, label_col="label", group_col="src_file"):
    """src/data/folds.c, step by step (deterministic, content only)."""
    labels = sorted({r[label_col] for r in rows if r[label_col]})
    lid = {l: i for i, l in enumerate(labels)}
    n_lab = len(labels)
    order = sorted(range(len(rows)), key=lambda i: (rows[i][group_col].encode(), i))
    groups = []
    for i in order:
        key = rows[i][group_col]
        if not groups or not key or key != groups[-1][0]:
            groups.append((key, []))
        groups[-1][1].append(i)
    placed = []
    for key, mem in groups:
        mem.sort()
        votes = collections.Counter(rows[i][label_col] for i in mem if rows[i][label_col])
        best, bv = n_lab, 0
        for i in mem:
            l = rows[i][label_col]
            if l and votes[l] > bv:
                best, bv = lid[l], votes[l]
        placed.append((best, -len(mem), key.encode(), mem[0], mem))
    placed.sort(key=lambda t: t[:4])
    per_label = [[0] * k for _ in range(n_lab + 1)]
    per_fold = [0] * k
    fold = [0] * len(rows)
    for lab, _, _, _, mem in placed:
        pl = per_label[lab]
        best = 0
        for f in range(1, k):
            if pl[f] < pl[best] or (pl[f] == pl[best] and per_fold[f] < per_fold[best]):
                best = f
        for i in mem:
            rl = lid[rows[i][label_col]] if rows[i][label_col] else n_lab
            per_label[rl][best] += 1
            per_fold[best] += 1
            fold[i] = best + 1
    return fold, per_fold


def longest_common_run(q, t):
    best = 0
    for i in range(len(q)):
        for j in range(len(t)):
            n = 0
            while i + n < len(q) and j + n < len(t) and q[i + n] == t[j + n]:
                n += 1
            best = max(best, n)
    return best


# ---------------------------------------------------------------- metrics
def ap10(ranked, relevant):
    if not relevant:
        return None
    hits, s = 0, 0.0
    for i, name in enumerate(ranked[:10]):
        if name in relevant:
            hits += 1
            s += hits / (i + 1)
    return s / min(len(relevant), 10)


def recall_at(ranked, relevant, k):
    return float(any(n in relevant for n in ranked[:k]))


def rr10(ranked, relevant):
    for i, n in enumerate(ranked[:10]):
        if n in relevant:
            return 1.0 / (i + 1)
    return 0.0


def mean_std(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return float("nan"), float("nan")
    a = np.asarray(xs, float)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def fmt(ms):
    return f"{ms[0]:.3f} ± {ms[1]:.3f}"


# ------------------------------------------------------------------- CLI
class Earshot:
    def __init__(self, binary, work):
        self.bin = binary
        self.env = dict(os.environ, XDG_STATE_HOME=os.path.join(work, "state"),
                        OPENBLAS_NUM_THREADS="1")
        self.calls = 0

    def run(self, args, capture=True):
        p = subprocess.run([self.bin] + args, env=self.env, text=True,
                           stdout=subprocess.PIPE if capture else None,
                           stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise SystemExit(f"earshot {' '.join(args)}: exit {p.returncode}\n{p.stderr}")
        return p

    def search(self, index, query, opts=()):
        self.calls += 1
        p = self.run(["search", "--index", index, "--json", "--threads", "1",
                      *opts, query])
        return json.loads(p.stdout)


def names(res):
    return [os.path.basename(h["path"]) for h in res["results"]]


def opts_for(temp, sw, lex):
    return ["--temperature", repr(temp), "--speech-weight", f"{sw[0]!r},{sw[1]!r}",
            "--lexical", repr(lex)]


# ---------------------------------------------------------------- fusion
def load_dump(res):
    """Every chunk of a -k 10000 --moments 100 dump: arrays per chunk."""
    rows = []
    for h in res["results"]:
        n = os.path.basename(h["path"])
        for m in h["moments"]:
            rows.append((n, m["speech_sim"], m["sound_sim"], m["lexical"],
                         m["speech_score"], len((m["snippet"] or "").split())))
    name = [r[0] for r in rows]
    nan = float("nan")
    sp = np.array([nan if r[1] is None else r[1] for r in rows], np.float64)
    snd = np.array([nan if r[2] is None else r[2] for r in rows], np.float64)
    lex = np.array([0.0 if r[3] is None else r[3] for r in rows], np.float64)
    w = np.array([r[4] for r in rows], np.float64)
    words = np.array([r[5] for r in rows], np.int64)
    return {"name": name, "sp": sp, "snd": snd, "lex": lex, "w": w, "words": words}


def refuse(d, temp, sw, lex_w, path="both", k=10, min_words=0):
    """src/index/search.c fuse() + grouping by file (best chunk per file).
    min_words > 0 simulates a gate that earshot does not have: a chunk whose
    transcript (its snippet) has fewer words keeps only its sound path."""
    sp, snd, w = d["sp"], d["snd"], d["w"]
    hs = ~np.isnan(sp) if path in ("both", "speech") else np.zeros(len(sp), bool)
    if min_words:
        hs &= d["words"] >= min_words
    hd = ~np.isnan(snd) if path in ("both", "sound") else np.zeros(len(sp), bool)
    ww = np.clip(sw[0] * w + sw[1], 0.0, 1.0)
    a = np.where(hs, sp, 0.0)
    b = np.where(hd, snd, 0.0)
    if temp > 0:
        m = np.maximum(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            e = ww * np.exp((a - m) / temp) + (1 - ww) * np.exp((b - m) / temp)
            both = np.where(e > 0, m + temp * np.log(np.where(e > 0, e, 1)), m)
    else:
        both = ww * a + (1 - ww) * b
    dense = np.where(hs & hd, both, np.where(hs, a, b))
    use_lex = path in ("both", "speech") and lex_w != 0
    score = dense + (lex_w * d["lex"] if use_lex else 0.0)
    score = np.where(hs | hd, score, -np.inf)
    order = np.argsort(-score, kind="stable")
    out, seen = [], set()
    for i in order:
        if not np.isfinite(score[i]):
            break
        n = d["name"][i]
        if n not in seen:
            seen.add(n)
            out.append(n)
            if len(out) == k:
                break
    return out


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--shared", required=True, help="the data folder (…/shared/data)")
    ap.add_argument("--work", required=True)
    ap.add_argument("--queries", required=True, help="bench/queries")
    ap.add_argument("--jobs", type=int, default=2, help="earshot index --jobs")
    ap.add_argument("--par", type=int, default=2, help="searches run at once")
    ap.add_argument("--lj-clips", type=int, default=60)
    ap.add_argument("--check-calls", type=int, default=150)
    ap.add_argument("--reuse", action="store_true",
                    help="keep bridges and indexes already in WORK")
    args = ap.parse_args()
    t_start = time.monotonic()
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    es = Earshot(os.path.abspath(args.bin), work)
    timings = {}

    # ---- data
    esc_man = os.path.join(args.shared, "esc50", "manifest.csv")
    esc = list(csv.DictReader(open(esc_man, newline="")))
    fold, sizes = assign_folds(esc, K)
    if sizes != [60, 60, 64, 59, 60]:
        raise SystemExit(f"fold sizes {sizes} differ from docs/RESULTS.md's")
    lj_man = os.path.join(args.shared, "ljspeech", "manifest.csv")
    lj = list(csv.DictReader(open(lj_man, newline="")))
    lj_sel = [r for i, r in enumerate(lj) if i % 4 == 0][: args.lj_clips]
    transcript = {r["path"]: r["transcript"] for r in lj}
    para = list(csv.DictReader(open(os.path.join(args.queries, "ljspeech-paraphrases.csv"))))
    kw = list(csv.DictReader(open(os.path.join(args.queries, "ljspeech-keywords.csv"))))
    sel_paths = {r["path"] for r in lj_sel}
    words = lambda s: re.findall(r"[a-z0-9']+", s.lower().replace("-", " "))
    for r in para + kw:
        if r["path"] not in sel_paths:
            raise SystemExit(f"{r['path']}: not among the selected LJ clips")
    for r in para:   # the rule of the paraphrases: ≤ 2 consecutive words copied
        run = longest_common_run(words(r["query"]), words(transcript[r["path"]]))
        if run > 2:
            raise SystemExit(f"paraphrase of {r['path']} copies {run} words in a row")

    lib = os.path.join(work, "lib")
    lj_dir = os.path.join(lib, "lj")
    if not args.reuse and os.path.isdir(lib):
        shutil.rmtree(lib)
    os.makedirs(lj_dir, exist_ok=True)
    for r in lj_sel:
        dst = os.path.join(lj_dir, os.path.basename(r["path"]))
        if not os.path.lexists(dst):
            os.symlink(os.path.join(args.shared, "ljspeech", r["path"]), dst)
    esc_label = {}
    fold_files = collections.defaultdict(list)
    for r, f in zip(esc, fold):
        n = os.path.basename(r["path"])
        esc_label[n] = r["label"]
        fold_files[f].append(n)
        d = os.path.join(lib, f"esc-fold{f}")
        os.makedirs(d, exist_ok=True)
        dst = os.path.join(d, n)
        if not os.path.lexists(dst):
            os.symlink(os.path.join(args.shared, "esc50", r["path"]), dst)

    # ---- bridges and indexes
    esc_idx, mix_idx = {}, {}
    for k in range(1, K + 1):
        br = os.path.join(work, f"bridge-{k}.esbridge")
        if not (args.reuse and os.path.exists(br)):
            t0 = time.monotonic()
            others = ",".join(str(f) for f in range(1, K + 1) if f != k)
            es.run(["train", "--manifest", esc_man, "--kfold", str(K), "--group-by",
                    "src_file", "--folds", others, "--text-encoder", "wordvec",
                    "--out", br, "--quiet"])
            timings[f"train-{k}"] = time.monotonic() - t0
        common = ["--bridge", br, "--text-model", "wordvec", "--asr", "pocketsphinx",
                  "--jobs", str(args.jobs), "-q"]
        ei = os.path.join(work, f"esc-{k}.earshot")
        mi = os.path.join(work, f"mixed-{k}.earshot")
        ed = os.path.join(lib, f"esc-fold{k}")
        if not (args.reuse and os.path.exists(ei)):
            for p in (ei, mi):
                for suf in ("", "-wal", "-shm", ".vcache"):
                    if os.path.exists(p + suf):
                        os.remove(p + suf)
            t0 = time.monotonic()
            es.run(["index", ed, "--index", ei, *common])
            timings[f"index-esc-{k}"] = time.monotonic() - t0
        if not (args.reuse and os.path.exists(mi)):
            # a copy of esc-k (SQLite's backup API), then the LJ clips added:
            # the ESC-50 files are unchanged (same paths, models key)
            src = sqlite3.connect(ei)
            dst = sqlite3.connect(mi)
            src.backup(dst)
            dst.close()
            src.close()
            t0 = time.monotonic()
            p = es.run(["index", ed, lj_dir, "--index", mi, *common])
            timings[f"index-mixed-{k}"] = time.monotonic() - t0
            if f"{len(fold_files[k])} unchanged" not in p.stdout + p.stderr:
                log(p.stdout + p.stderr)
                raise SystemExit("mixed index: the ESC-50 files were analysed again")
        esc_idx[k], mix_idx[k] = ei, mi
        log(f"fold {k}: bridge and indexes ready ({time.monotonic() - t_start:.0f} s)")

    # chunks that carry a speech vector (ESC-50 pollution), per fold
    speech_chunks = {}
    for k in range(1, K + 1):
        db = sqlite3.connect(f"file:{esc_idx[k]}?mode=ro", uri=True)
        rows = db.execute("SELECT f.path FROM chunks c JOIN files f ON f.id = c.file_id "
                          "WHERE c.paths & 1").fetchall()
        db.close()
        speech_chunks[k] = sorted(os.path.basename(r[0]) for r in rows)

    pool = ThreadPoolExecutor(args.par)

    def batch(jobs):
        """jobs: [(key, index, query, opts)] → {key: result}"""
        res = pool.map(lambda j: (j[0], es.search(j[1], j[2], j[3])), jobs)
        return dict(res)

    # ---- (a) sounds on esc-k
    t0 = time.monotonic()
    labels_in = {k: sorted({esc_label[n] for n in fold_files[k]}) for k in range(1, K + 1)}
    rel_esc = {k: {l: {n for n in fold_files[k] if esc_label[n] == l} for l in labels_in[k]}
               for k in range(1, K + 1)}
    forms = {"prompt": lambda l: "the sound of " + l.replace("_", " "),
             "plain": lambda l: l.replace("_", " ")}
    paths_a = {"both": [], "sound": ["--path", "sound"]}
    jobs = [((k, form, pth, l), esc_idx[k], forms[form](l), paths_a[pth])
            for k in range(1, K + 1) for form in forms for pth in paths_a
            for l in labels_in[k]]
    ra = batch(jobs)
    a_rows, per_label = [], collections.defaultdict(dict)
    for form in forms:
        for pth in paths_a:
            per_fold = {"map10": [], "r1": [], "r10": []}
            for k in range(1, K + 1):
                m, r1, r10 = [], [], []
                for l in labels_in[k]:
                    rk = names(ra[(k, form, pth, l)])
                    rel = rel_esc[k][l]
                    m.append(ap10(rk, rel))
                    r1.append(recall_at(rk, rel, 1))
                    r10.append(recall_at(rk, rel, 10))
                    per_label[(form, pth)].setdefault(l, []).append(m[-1])
                per_fold["map10"].append(np.mean(m))
                per_fold["r1"].append(np.mean(r1))
                per_fold["r10"].append(np.mean(r10))
            a_rows.append({"form": form, "path": pth,
                           **{x: mean_std(v) for x, v in per_fold.items()}})
    timings["searches-a"] = time.monotonic() - t0

    # ---- (b) speech on mixed-k
    t0 = time.monotonic()
    qsets = {"paraphrase": para, "keywords": kw}
    paths_b = {"both": [], "speech": ["--path", "speech"], "sound": ["--path", "sound"]}
    jobs = [((k, qs, pth, i), mix_idx[k], r["query"], paths_b[pth])
            for k in range(1, K + 1) for qs in qsets for pth in paths_b
            for i, r in enumerate(qsets[qs])]
    rb = batch(jobs)
    b_rows, b_miss = [], collections.Counter()
    for qs in qsets:
        for pth in paths_b:
            pf = {"r1": [], "r5": [], "mrr10": []}
            for k in range(1, K + 1):
                r1, r5, mr = [], [], []
                for i, r in enumerate(qsets[qs]):
                    rk = names(rb[(k, qs, pth, i)])
                    rel = {os.path.basename(r["path"])}
                    r1.append(recall_at(rk, rel, 1))
                    r5.append(recall_at(rk, rel, 5))
                    mr.append(rr10(rk, rel))
                    if pth == "both" and not r5[-1]:
                        b_miss[(qs, r["path"])] += 1
                pf["r1"].append(np.mean(r1))
                pf["r5"].append(np.mean(r5))
                pf["mrr10"].append(np.mean(mr))
            b_rows.append({"queries": qs, "path": pth, **{x: mean_std(v) for x, v in pf.items()}})
    timings["searches-b"] = time.monotonic() - t0

    # ---- (c) fusion grid on mixed-k from per-chunk dumps
    t0 = time.monotonic()
    dump_opts = ["-k", "10000", "--moments", "100", "--min-score", "-1000",
                 "--lexical", "0.15"]
    qlist = {}
    for k in range(1, K + 1):
        for form in forms:
            for l in labels_in[k]:
                qlist[(k, "esc", form, l)] = forms[form](l)
        for qs in qsets:
            for i, r in enumerate(qsets[qs]):
                qlist[(k, qs, i)] = r["query"]
    for k in range(1, K + 1):   # the ESC-50 queries on the ESC-50-only libraries too
        for form in forms:
            for l in labels_in[k]:
                qlist[(k, "esconly", form, l)] = forms[form](l)
    dumps_raw = batch([(key, (esc_idx if key[1] == "esconly" else mix_idx)[key[0]], q,
                        dump_opts) for key, q in qlist.items()])
    dumps = {key: load_dump(v) for key, v in dumps_raw.items()}
    n_chunks = {k: dumps_raw[(k, "paraphrase", 0)]["chunks_searched"] for k in range(1, K + 1)}
    n_rows = {k: len(dumps[(k, "paraphrase", 0)]["name"]) for k in range(1, K + 1)}
    timings["dumps"] = time.monotonic() - t0

    para_split = {"tune": [i for i in range(len(para)) if i % 2 == 0],
                  "test": [i for i in range(len(para)) if i % 2 == 1]}
    kw_split = para_split
    test_folds = tuple(f for f in range(1, K + 1) if f not in TUNE_FOLDS)

    def grid_eval(temp, sw, lex, path="both", mw=0):
        out = {}
        for split, folds in (("tune", TUNE_FOLDS), ("test", test_folds)):
            e = [ap10(refuse(dumps[(k, "esc", form, l)], temp, sw, lex, path, min_words=mw),
                      rel_esc[k][l])
                 for k in folds for form in forms for l in labels_in[k]]
            e1 = [recall_at(refuse(dumps[(k, "esc", form, l)], temp, sw, lex, path, 1, mw),
                            rel_esc[k][l], 1)
                  for k in folds for form in forms for l in labels_in[k]]
            eo = [ap10(refuse(dumps[(k, "esconly", form, l)], temp, sw, lex, path, min_words=mw),
                       rel_esc[k][l])
                  for k in folds for form in forms for l in labels_in[k]]
            res = {"esc_map10": float(np.mean(e)), "esc_r1": float(np.mean(e1)),
                   "esconly_map10": float(np.mean(eo))}
            for qs, sp in (("paraphrase", para_split), ("keywords", kw_split)):
                rk = [(refuse(dumps[(k, qs, i)], temp, sw, lex, path, min_words=mw),
                       {os.path.basename(qsets[qs][i]["path"])})
                      for k in range(1, K + 1) for i in sp[split]]
                res[qs + "_r1"] = float(np.mean([recall_at(a, b, 1) for a, b in rk]))
                res[qs + "_r5"] = float(np.mean([recall_at(a, b, 5) for a, b in rk]))
                res[qs + "_mrr10"] = float(np.mean([rr10(a, b) for a, b in rk]))
            res["objective"] = 0.5 * (res["esc_map10"] + res["paraphrase_mrr10"])
            out[split] = res
        return out

    grid = []
    for temp in TEMPS:
        for sw in SPEECH_WEIGHTS:
            for lex in LEXICALS:
                grid.append({"temperature": temp, "speech_weight": sw, "lexical": lex,
                             **grid_eval(temp, sw, lex)})
    single = {p: grid_eval(0.1, (1.0, 0.0), 0.15, p) for p in ("sound", "speech")}
    gate = {n: grid_eval(*DEFAULT, mw=n) for n in (2, 3, 4)}
    # the same simulated gate on the ESC-50-only libraries, all 5 folds: (a)'s rows
    sounds_gate = []
    for n in (0, 2, 3, 4):
        for form in forms:
            pf = [np.mean([ap10(refuse(dumps[(k, "esconly", form, l)], *DEFAULT, min_words=n),
                                rel_esc[k][l]) for l in labels_in[k]]) for k in range(1, K + 1)]
            sounds_gate.append({"min_words": n, "form": form, "map10": mean_std(pf)})
    best = max(grid, key=lambda g: (round(g["tune"]["objective"], 6),
                                    -abs(g["temperature"] - DEFAULT[0])
                                    - abs(g["lexical"] - DEFAULT[2])
                                    - abs(g["speech_weight"][0] - 1)
                                    - abs(g["speech_weight"][1])))
    timings["grid"] = time.monotonic() - t0

    # ---- check: the re-fusion against real `earshot search` calls
    t0 = time.monotonic()
    rng = random.Random(6)
    keys = sorted((q for q in qlist if q[1] != "esconly"), key=str)
    cfgs = [(g["temperature"], g["speech_weight"], g["lexical"]) for g in grid]
    sample = [(rng.choice(keys), rng.choice(cfgs)) for _ in range(args.check_calls)]
    real = batch([((i,), mix_idx[key[0]], qlist[key], opts_for(*cfg))
                  for i, (key, cfg) in enumerate(sample)])
    same = sum(names(real[(i,)]) == refuse(dumps[key], *cfg)
               for i, (key, cfg) in enumerate(sample))
    top1 = sum(names(real[(i,)])[:1] == refuse(dumps[key], *cfg)[:1]
               for i, (key, cfg) in enumerate(sample))
    timings["check"] = time.monotonic() - t0
    timings["total"] = time.monotonic() - t_start

    out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "fold_sizes": sizes, "lj_clips": len(lj_sel),
           "chunks_mixed": n_chunks, "chunks_in_dump": n_rows,
           "sounds": a_rows, "speech": b_rows,
           "speech_misses_r5": {f"{q}:{p}": c for (q, p), c in b_miss.items()},
           "grid": grid, "single_path_default": single, "word_gate": gate,
           "sounds_word_gate": sounds_gate, "best": best,
           "check": {"calls": len(sample), "same_top10": same, "same_top1": top1},
           "esc_chunks_with_speech": speech_chunks,
           "per_label_map10": {f"{a}/{b}": {l: float(np.mean(v)) for l, v in d.items()}
                               for (a, b), d in per_label.items()},
           "search_calls": es.calls, "timings_s": timings}
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump(out, f, indent=1)
    print_tables(out)


def print_tables(o):
    p = print
    p(f"ESC-50 folds {o['fold_sizes']}; {o['lj_clips']} LJ Speech clips; "
      f"{o['search_calls']} search calls; {o['timings_s']['total']:.0f} s\n")
    p("### (a) Sounds: ESC-50, 5-fold CV, library = the held-out fold\n")
    p("| query | path | mAP@10 | R@1 | R@10 |")
    p("|---|---|---|---|---|")
    for r in o["sounds"]:
        q = '"the sound of LABEL"' if r["form"] == "prompt" else '"LABEL"'
        pth = "both (default fusion)" if r["path"] == "both" else "--path sound"
        p(f"| {q} | {pth} | {fmt(r['map10'])} | {fmt(r['r1'])} | {fmt(r['r10'])} |")
    p("\nRe-fused from the dumps (default fusion; gate = a transcript of fewer words "
      "is ignored, simulated): " + "; ".join(
          f"{r['form']} gate<{r['min_words']} {fmt(r['map10'])}" for r in o["sounds_word_gate"]))
    n_sp = {k: len(v) for k, v in o["esc_chunks_with_speech"].items()}
    p(f"\nESC-50 chunks with a speech vector per fold: {n_sp}")
    for form in ("prompt", "plain"):
        b, s = o["per_label_map10"][f"{form}/both"], o["per_label_map10"][f"{form}/sound"]
        diff = sorted(((b[l] - s[l], l) for l in b if abs(b[l] - s[l]) > 1e-9))
        p(f"per-label mAP@10 change, fusion − sound ({form}): "
          + (", ".join(f"{l} {d:+.3f}" for d, l in diff) or "none"))
    p("\n### (b) Speech: LJ Speech clips in the mixed libraries (mean ± std over the 5)\n")
    p("| queries | path | R@1 | R@5 | MRR@10 |")
    p("|---|---|---|---|---|")
    for r in o["speech"]:
        pth = {"both": "both (default fusion)", "speech": "--path speech",
               "sound": "--path sound"}[r["path"]]
        p(f"| {r['queries']} | {pth} | {fmt(r['r1'])} | {fmt(r['r5'])} | {fmt(r['mrr10'])} |")
    p(f"\nmissed at R@5 (query:path → libraries): {o['speech_misses_r5']}")
    p("\n### (c) Fusion grid (tune: ESC folds 1-2 + even paraphrases; "
      "test: folds 3-5 + odd paraphrases)\n")
    p("| T | A,B | λ | tune obj | test obj | test ESC mAP@10 | test ESC R@1 | "
      "test para R@1 | test para R@5 | test kw R@1 | test kw R@5 | test ESC-only mAP@10 |")
    p("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for g in sorted(o["grid"], key=lambda g: -g["tune"]["objective"]):
        t = g["test"]
        mark = ""
        if (g["temperature"], tuple(g["speech_weight"]), g["lexical"]) == \
                (DEFAULT[0], DEFAULT[1], DEFAULT[2]):
            mark += " (current)"
        if g is o["best"] or g == o["best"]:
            mark += " **best on tune**"
        p(f"| {g['temperature']:g} | {g['speech_weight'][0]:g},{g['speech_weight'][1]:g} | "
          f"{g['lexical']:g}{mark} | {g['tune']['objective']:.3f} | {t['objective']:.3f} | "
          f"{t['esc_map10']:.3f} | {t['esc_r1']:.3f} | {t['paraphrase_r1']:.3f} | "
          f"{t['paraphrase_r5']:.3f} | {t['keywords_r1']:.3f} | {t['keywords_r5']:.3f} | "
          f"{t['esconly_map10']:.3f} |")
    for pth, g in o["single_path_default"].items():
        t = g["test"]
        p(f"| --path {pth} | | | {g['tune']['objective']:.3f} | {t['objective']:.3f} | "
          f"{t['esc_map10']:.3f} | {t['esc_r1']:.3f} | {t['paraphrase_r1']:.3f} | "
          f"{t['paraphrase_r5']:.3f} | {t['keywords_r1']:.3f} | {t['keywords_r5']:.3f} | "
          f"{t['esconly_map10']:.3f} |")
    for n, g in o["word_gate"].items():
        t = g["test"]
        p(f"| default + gate < {n} words (simulated) | | | {g['tune']['objective']:.3f} | "
          f"{t['objective']:.3f} | {t['esc_map10']:.3f} | {t['esc_r1']:.3f} | "
          f"{t['paraphrase_r1']:.3f} | {t['paraphrase_r5']:.3f} | {t['keywords_r1']:.3f} | "
          f"{t['keywords_r5']:.3f} | {t['esconly_map10']:.3f} |")
    c = o["check"]
    p(f"\nre-fusion vs real `earshot search` calls: {c['same_top10']}/{c['calls']} "
      f"identical top-10 lists, {c['same_top1']}/{c['calls']} identical top-1")
    p(f"chunks per mixed library {o['chunks_mixed']}, rows in the dumps {o['chunks_in_dump']}")
    p("timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in o["timings_s"].items()))


if __name__ == "__main__":
    main()
