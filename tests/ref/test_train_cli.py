"""test_train_cli — `earshot train`, `earshot eval` and `earshot bridge` from
the command line, end to end.

Needs the installed word vectors (wink-sg-100d, the offline text space; looked
up in the models directory like tests/ref/test_wordvec_real.py): without them
the test is skipped (exit 77) with the command that installs them, unless
EARSHOT_REQUIRE_DATA=1, where it fails. Every command names the text space
(--text-encoder wordvec) so that an installed MiniLM does not change it.

1. Synthetic data written here (3 labels × 6 clips of 2 s, 16 kHz s16 WAV,
   folds 1..3: low-pass noise bursts "dog", broadband noise "rain", a swept
   tone "siren"):
   - train --folds 1,2: exit 0, stdout names the file and its size, stderr
     the text space, epoch lines and the summary; bridge info shows the
     architecture 128→256→512→100 and the word vectors' identity, and the
     file header (parsed as docs/FORMATS.md says, test_bridge_onnx.py)
     agrees; the same seed gives the same bytes, another seed other bytes;
   - --int8: the same architecture in < 500 KB, smaller than f32, and the
     size stdout names is the file's;
   - eval --bridge --folds 3 --json: valid JSON, metrics in [0, 1], one
     query per label, six clips; R@1 text→audio and label accuracy ≥ 2/3
     (observed 1.0: the classes are separable); the table output too;
   - ONNX (train --onnx with --int8, and bridge onnx of the f32 file):
     onnx.checker, then the graph evaluated by the NumPy interpreter of
     test_bridge_onnx.py on the clips' `earshot features` equals
     bridge_tool embed (raw and normalised) to 1e-5; train --onnx and
     bridge onnx of the same file give the same bytes;
   - eval's metrics recomputed in NumPy (retrieval.h definitions) from the
     ONNX outputs and the prompts embedded by `earshot embed`, on a barely
     trained bridge whose scores are not all 1.
2. Bad inputs exit 1 with one message naming the problem, nothing on
   stdout, no crash or sanitizer report, and no bridge file written:
   a missing audio file, an empty label, one class, a missing manifest, a
   header-only one, no label column, --folds naming an empty fold (alone
   or beside a full one: train, eval --bridge and eval --cv all refuse it,
   naming the fold and the folds present), a corrupt audio file, truncated / damaged / random / empty bridge files
   (eval and bridge info/onnx), and a bridge
   trained for another text space (a small synthetic .eswv made with
   test_wordvec.py's converter) scored with the default one: the message
   names both identities. Usage errors exit 2.
3. ESC-50 (shared data; EARSHOT_REQUIRE_DATA=1 fails if missing, else this
   part is skipped and the test exits 77 once parts 1-2 passed):
   eval --cv --kfold 5 --group-by src_file --loss cosine --head l2 on
   folds 1,2: the four methods in the JSON; the bridge beats the untrained
   net by > 0.2 mAP@10 and the nearest centroid. Measured 2026-11-24 (word
   vectors, Release): bridge mAP@10 0.544 (folds 0.591, 0.498), centroid
   0.399, untrained 0.052; the full 5 folds give 0.48 / 0.40 / 0.04.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402

try:
    import onnx
except ImportError as e:  # a missing dependency must fail, not skip
    print(f"FAIL: the onnx Python package is not importable ({e}); "
          "scripts/install-deps.sh installs python3-onnx")
    sys.exit(1)

import test_bridge_onnx as BO  # noqa: E402  (read_esbridge, run_graph)

WORDVEC_ID = "wordvec:wink-sg-100d:100:f1d8c55d"
LABELS = ("dog", "rain", "siren")
SR = 16000
TEXT = ["--text-encoder", "wordvec"]
TRAIN = ["--folds", "1,2", "--epochs", "40", "--loss", "cosine", "--head", "l2",
         "--seed", "3", *TEXT]
ESC50_MIN_MARGIN_UNTRAINED = 0.2




def require_wordvec():
    path = os.path.join(reflib.models_dir(), "wordvec", "wink-sg-100d.eswv")
    if os.path.exists(path):
        return path
    msg = (f"{path} is not installed; install it with scripts/install-wordvectors.sh "
           f"(npm, ~118 MB once, cached)")
    if os.environ.get("EARSHOT_REQUIRE_DATA") == "1":
        print("FAIL:", msg)
        sys.exit(1)
    print("SKIPPED:", msg)
    sys.exit(reflib.SKIP)


CRASH = ("Traceback", "AddressSanitizer", "LeakSanitizer", "runtime error:",
         "Segmentation fault", "Aborted", "core dumped")
CRASHES = []   # every command that died on a signal or printed a sanitizer report


def crashed(r):
    out = r.stdout + r.stderr
    return r.returncode < 0 or any(s in out for s in CRASH)


def es(args, cwd=None):
    r = subprocess.run([reflib.earshot(), *map(str, args)], capture_output=True,
                       text=True, cwd=cwd)
    if crashed(r):
        CRASHES.append(f"earshot {' '.join(map(str, args))[:120]} -> exit {r.returncode}: "
                       f"{r.stderr.strip()[-300:]}")
    return r


# ------------------------------------------------------------------ data

def synth_clip(label, k, rng):
    """2 s of one of three clearly different sounds."""
    n = 2 * SR
    t = np.arange(n) / SR
    if label == "dog":      # low-pass noise bursts, ~4 per second
        lp = np.convolve(rng.standard_normal(n), np.ones(32) / 32, mode="same") * 4
        gate = ((t * (3.5 + 0.2 * k) + rng.uniform()) % 1.0 < 0.3).astype(float)
        x = 0.5 * lp * gate
    elif label == "rain":   # broadband noise
        x = rng.uniform(0.1, 0.2) * rng.standard_normal(n)
    else:                   # a tone swept 600..1400 Hz once a second
        f = 600 + rng.uniform(-50, 50) + 800 * (0.5 + 0.5 * np.sin(2 * np.pi * t))
        x = 0.4 * np.sin(2 * np.pi * np.cumsum(f) / SR) + 0.005 * rng.standard_normal(n)
    return np.clip(x, -1, 1)


def write_dataset(d):
    rng = np.random.default_rng(7)
    os.makedirs(os.path.join(d, "audio"), exist_ok=True)
    rows, clips = ["path,label,fold"], []
    for lab in LABELS:
        for k in range(6):
            rel = f"audio/{lab}{k}.wav"
            reflib.write_wav_s16(os.path.join(d, rel), synth_clip(lab, k, rng))
            rows.append(f"{rel},{lab},{k % 3 + 1}")
            clips.append((rel, lab, k % 3 + 1))
    m = os.path.join(d, "m.csv")
    with open(m, "w") as f:
        f.write("\n".join(rows) + "\n")
    return m, clips


def write_csv(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------- metrics

def t2a_metrics(q, qid, a, aid):
    """retrieval.h: text→audio R@1/5/10 and mAP@10 (ties: lower index)."""
    r = {1: 0, 5: 0, 10: 0}
    aps, nq = [], 0
    for j in range(len(q)):
        rel = aid == qid[j]
        R = int(rel.sum())
        if R == 0:
            continue
        nq += 1
        order = np.argsort(-(a @ q[j]), kind="stable")
        hits = rel[order]
        for k in r:
            r[k] += bool(hits[:k].any())
        ap, found = 0.0, 0
        for i in range(min(10, len(hits))):
            if hits[i]:
                found += 1
                ap += found / (i + 1)
        aps.append(ap / min(R, 10))
    return dict(r1=r[1] / nq, r5=r[5] / nq, r10=r[10] / nq, map10=float(np.mean(aps)), n=nq)


def a2t_metrics(q, qid, a, aid):
    r = {1: 0, 5: 0, 10: 0}
    rr, n = [], 0
    for i in range(len(a)):
        if aid[i] not in qid:
            continue
        n += 1
        order = np.argsort(-(q @ a[i]), kind="stable")
        rank = int(np.nonzero(qid[order] == aid[i])[0][0]) + 1
        for k in r:
            r[k] += rank <= k
        rr.append(1.0 / rank if rank <= 10 else 0.0)
    return dict(r1=r[1] / n, r5=r[5] / n, r10=r[10] / n, map10=float(np.mean(rr)), n=n)


def close_scores(c_scores, ref):
    return all(abs(c_scores[k] - ref[k]) < 1e-6 for k in ("r1", "r5", "r10", "map10")) \
        and c_scores["n"] == ref["n"]


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# ---------------------------------------------------------------- part 1

def part_synthetic(c, tmp):
    m, clips = write_dataset(tmp)
    b = os.path.join(tmp, "b.esbridge")
    r = es(["train", "--manifest", m, *TRAIN, "--out", b])
    c.check("train: exit 0", r.returncode == 0 and not crashed(r), r.stderr.strip()[-300:])
    kb = (os.path.getsize(b) + 1023) // 1024 if os.path.exists(b) else -1
    c.check("train: stdout names the file, its size and f32",
            r.stdout.strip() == f"wrote {b} ({kb} KB, f32)", r.stdout.strip())
    epochs = re.findall(r"^epoch +(\d+)/40 +loss [0-9.]+ +val loss", r.stderr, re.M)
    split = re.findall(r"^training rows: (\d+), validation rows: (\d+)$", r.stderr, re.M)
    c.check("train: stderr has the text space, row split, epoch lines and a summary",
            "text space: word vectors wink-sg-100d (100-d" in r.stderr and
            len(split) == 1 and int(split[0][0]) + int(split[0][1]) == 12 and
            int(split[0][1]) > 0 and
            epochs == ["10", "20", "30", "40"] and
            re.search(r"^trained: 40 epochs \(best \d+, validation mAP@10 [0-9.]+\) in "
                      r"[0-9.]+ s$", r.stderr, re.M) is not None,
            f"rows {split}, epochs {epochs}")

    r = es(["bridge", "info", b])
    c.check("bridge info: architecture, input and text space",
            r.returncode == 0 and
            "bridge full 128→256→512→100 l2, f32" in r.stdout and
            re.search(r"^input: +full \(128 values; feature layout 1\)$", r.stdout, re.M) and
            re.search(rf"^text space: +{re.escape(WORDVEC_ID)}$", r.stdout, re.M) and
            re.search(r"^parameters: +215908$", r.stdout, re.M) is not None,
            r.stdout.strip()[:300])
    notes = re.search(r"^notes: +(.*)$", r.stdout, re.M)
    try:
        nj = json.loads(notes.group(1)) if notes else {}
    except ValueError:
        nj = {}
    c.check("bridge info: notes are JSON with the recipe",
            nj.get("prompts") == ["the sound of {}"] and nj.get("loss") == "cosine" and
            nj.get("head") == "l2" and nj.get("seed") == 3 and nj.get("epochs_run") == 40,
            str(nj)[:200])
    hdr = BO.read_esbridge(b)
    c.check("file header (FORMATS.md) agrees", hdr["dims"] == [128, 256, 512, 100] and
            hdr["head"] == "l2" and not hdr["int8"] and hdr["input"] == "full" and
            hdr["text_id"] == WORDVEC_ID, f"{hdr['dims']} {hdr['text_id']}")

    b2 = os.path.join(tmp, "b2.esbridge")
    r = es(["train", "--manifest", m, *TRAIN, "--out", b2, "--quiet"])
    same = r.returncode == 0 and open(b, "rb").read() == open(b2, "rb").read()
    c.check("same seed: byte-identical bridge", same)
    c.check("--quiet: no epoch lines", r.returncode == 0 and "epoch " not in r.stderr
            and "trained: 40 epochs" in r.stderr)
    b4 = os.path.join(tmp, "b4.esbridge")
    args = list(TRAIN)
    args[args.index("--seed") + 1] = "4"
    r = es(["train", "--manifest", m, *args, "--out", b4, "--quiet"])
    c.check("another seed: other weights", r.returncode == 0 and
            open(b, "rb").read() != open(b4, "rb").read())

    q = os.path.join(tmp, "q.esbridge")
    q_onnx = os.path.join(tmp, "q.onnx")
    r = es(["train", "--manifest", m, *TRAIN, "--out", q, "--int8", "--onnx", q_onnx, "--quiet"])
    size = os.path.getsize(q) if os.path.exists(q) else 1 << 30
    c.check("--int8: 128→256→512→100 in < 500 KB, smaller than f32",
            r.returncode == 0 and size < 500 * 1024 and size < os.path.getsize(b) // 3 and
            BO.read_esbridge(q)["int8"] and BO.read_esbridge(q)["dims"] == [128, 256, 512, 100],
            f"{size} bytes vs {os.path.getsize(b)}")
    c.check("--int8 --onnx: stdout names both files",
            r.stdout.strip().splitlines() ==
            [f"wrote {q} ({(size + 1023) // 1024} KB, int8)", f"wrote {q_onnx} (ONNX)"],
            r.stdout.strip())
    r = es(["bridge", "info", q])
    c.check("bridge info of the int8 file", r.returncode == 0 and
            "128→256→512→100 l2, int8" in r.stdout and WORDVEC_ID in r.stdout,
            r.stdout.splitlines()[0] if r.stdout else r.stderr)

    # ---- eval on the held-out fold
    r = es(["eval", "--manifest", m, "--bridge", b, "--folds", "3", "--json"])
    try:
        j = json.loads(r.stdout)
    except ValueError:
        j = None
    c.check("eval --json: exit 0, valid JSON", r.returncode == 0 and isinstance(j, dict),
            r.stderr.strip()[-200:])
    j = j or {}
    t2a, a2t = j.get("text_to_audio", {}), j.get("audio_to_text", {})
    keys = ("r1", "r5", "r10", "map10")
    c.check("eval --json: text→audio and audio→text metrics in [0, 1]",
            all(isinstance(s.get(k), (int, float)) and 0 <= s[k] <= 1
                for s in (t2a, a2t) for k in keys) and
            0 <= j.get("label_accuracy", -1) <= 1 and j["label_accuracy"] == a2t["r1"],
            json.dumps(t2a))
    c.check("eval --json: 3 label queries, 6 clips, names bridge and text space",
            t2a.get("n") == 3 and a2t.get("n") == 6 and j.get("clips") == 6 and
            "128→256→512→100" in j.get("bridge", "") and
            j.get("text_encoder", "").startswith("word vectors wink-sg-100d"))
    print(f"     synthetic fold 3: t2a R@1 {t2a.get('r1')}, mAP@10 {t2a.get('map10')}, "
          f"label accuracy {j.get('label_accuracy')}")
    c.check("separable sounds: text→audio R@1 ≥ 2/3 and label accuracy ≥ 2/3",
            t2a.get("r1", 0) >= 0.66 and j.get("label_accuracy", 0) >= 0.66,
            f"R@1 {t2a.get('r1')}, accuracy {j.get('label_accuracy')}")
    r = es(["eval", "--manifest", m, "--bridge", b, "--folds", "3"])
    c.check("eval table", r.returncode == 0 and "text→audio" in r.stdout and
            "clips: 6, labels: 3" in r.stdout and "text space: word vectors" in r.stdout,
            r.stdout[:200])

    # ---- ONNX against the C forward pass, on the clips' real features
    feats = []
    for rel, _, _ in clips:
        f = os.path.join(tmp, os.path.basename(rel) + ".npy")
        reflib.run([reflib.earshot(), "features", os.path.join(tmp, rel), "-o", f])
        feats.append(np.load(f))
    c.check("features: one 128-d chunk per 2 s clip",
            all(f.shape == (1, 128) and f.dtype == np.float32 for f in feats))
    X = np.concatenate(feats).astype(np.float32)
    xin = os.path.join(tmp, "X.npy")
    np.save(xin, X)
    b_onnx = os.path.join(tmp, "b.onnx")
    r = es(["bridge", "onnx", b, b_onnx])
    c.check("bridge onnx: exit 0, names the file", r.returncode == 0 and
            r.stdout.strip() == f"wrote {b_onnx}", r.stderr.strip())
    q_onnx2 = os.path.join(tmp, "q2.onnx")
    es(["bridge", "onnx", q, q_onnx2])
    c.check("train --onnx == bridge onnx of the saved int8 file",
            os.path.exists(q_onnx2) and open(q_onnx, "rb").read() == open(q_onnx2, "rb").read())
    outs = {}
    for name, bf, of in (("f32", b, b_onnx), ("int8", q, q_onnx)):
        if not os.path.exists(of):
            c.check(f"ONNX {name}: file exists", False)
            continue
        model = onnx.load(of)
        try:
            onnx.checker.check_model(model, full_check=True)
            ok, why = True, ""
        except Exception as e:  # noqa: BLE001
            ok, why = False, str(e)[:300]
        c.check(f"ONNX {name}: onnx.checker full_check", ok, why)
        meta = {p.key: p.value for p in model.metadata_props}
        c.check(f"ONNX {name}: operators and text identity",
                [n.op_type for n in model.graph.node] == BO.expected_ops(3, "l2") and
                meta.get("earshot.text_identity") == WORDVEC_ID, str(meta))
        y_onnx = BO.run_graph(model, X)
        yraw, ynorm = os.path.join(tmp, f"{name}_raw.npy"), os.path.join(tmp, f"{name}_n.npy")
        reflib.run([reflib.tool("bridge_tool"), "embed", bf, xin, yraw])
        reflib.run([reflib.tool("bridge_tool"), "embed", bf, xin, ynorm, "--normalized"])
        d1 = np.abs(np.load(yraw) - y_onnx).max()
        d2 = np.abs(np.load(ynorm) - unit(y_onnx)).max()
        c.check(f"ONNX {name}: NumPy graph == C bridge on the clips' features",
                d1 < 1e-5 and d2 < 1e-5, f"max diff {d1:.1e} raw, {d2:.1e} normalised")
        outs[name] = y_onnx
    if len(outs) == 2:
        d = np.abs(unit(outs["f32"]) - unit(outs["int8"])).max()
        c.check("int8 stays close to f32", d < 0.1, f"max diff {d:.3f}")

    # ---- eval's metrics recomputed from ONNX outputs and `earshot embed`
    w = os.path.join(tmp, "weak.esbridge")
    es(["train", "--manifest", m, "--epochs", "1", "--lr", "1e-4", "--seed", "2", *TEXT,
        "--out", w, "--quiet"])
    w_onnx = os.path.join(tmp, "weak.onnx")
    es(["bridge", "onnx", w, w_onnx])
    r = es(["eval", "--manifest", m, "--bridge", w, *TEXT, "--json"])
    p = os.path.join(tmp, "prompts.npy")
    r2 = es(["embed", "--model", "wordvec", *[f"the sound of {lab}" for lab in LABELS], "-o", p])
    if r.returncode or r2.returncode or not os.path.exists(w_onnx):
        c.check("weak bridge: train, export, eval, embed", False, (r.stderr + r2.stderr)[-300:])
        return m, b
    j = json.loads(r.stdout)
    A = unit(BO.run_graph(onnx.load(w_onnx), X))
    Q = unit(np.load(p).astype(np.float64))
    aid = np.array([LABELS.index(lab) for _, lab, _ in clips])
    qid = np.arange(len(LABELS))
    ref_t2a, ref_a2t = t2a_metrics(Q, qid, A, aid), a2t_metrics(Q, qid, A, aid)
    c.check("eval == NumPy metrics (text→audio) on a barely trained bridge",
            close_scores(j["text_to_audio"], ref_t2a) and ref_t2a["map10"] < 1,
            f"C {j['text_to_audio']} ref {ref_t2a}")
    c.check("eval == NumPy metrics (audio→text)", close_scores(j["audio_to_text"], ref_a2t),
            f"C {j['audio_to_text']} ref {ref_a2t}")
    return m, b


# ---------------------------------------------------------------- part 2

def part_errors(c, tmp, m, b):
    d = os.path.dirname(m)
    lines = open(m).read().splitlines()
    n = 0

    def fails(name, args, *phrases, code=1):
        nonlocal n
        n += 1
        out = os.path.join(tmp, f"never{n}.esbridge")
        if args[0] == "train":
            args = [*args, "--out", out, "--epochs", "2", "--quiet", *TEXT]
        r = es(args, cwd=d)
        msg = r.stderr.strip()
        ok = (r.returncode == code and not crashed(r) and r.stdout == "" and
              not os.path.exists(out) and all(p in msg for p in phrases))
        c.check(f"{name}: exit {code} naming the problem", ok,
                f"exit {r.returncode}: {msg.splitlines()[-1][-300:] if msg else ''}")
        return r

    write_csv(os.path.join(d, "miss.csv"), lines + ["audio/nope.wav,dog,1"])
    fails("missing audio file", ["train", "--manifest", "miss.csv"],
          "miss.csv", "line 20", "audio/nope.wav", "missing")
    write_csv(os.path.join(d, "emptylab.csv"), lines[:5] + ["audio/dog0.wav,,1"] + lines[5:])
    fails("empty label", ["train", "--manifest", "emptylab.csv"],
          "emptylab.csv line 6", "empty label")
    write_csv(os.path.join(d, "one.csv"), [l for l in lines if not l.startswith("audio/rain")
                                           and not l.startswith("audio/siren")])
    fails("one class", ["train", "--manifest", "one.csv"], "at least 2", "'dog'")
    fails("missing manifest", ["train", "--manifest", "nosuch.csv"], "nosuch.csv", "no such")
    write_csv(os.path.join(d, "hdr.csv"), lines[:1])
    fails("header-only manifest", ["train", "--manifest", "hdr.csv"], "hdr.csv", "no rows")
    write_csv(os.path.join(d, "nolab.csv"), ["path,kind,fold"] + lines[1:])
    fails("no label column", ["train", "--manifest", "nolab.csv"],
          "no column 'label'", "path, kind, fold")
    empty_fold = ("m.csv: fold 7 has no rows", "(folds present: 1, 2, 3)")
    fails("--folds naming an empty fold", ["train", "--manifest", "m.csv", "--folds", "7"],
          *empty_fold)
    fails("--folds naming an empty fold beside a full one",
          ["train", "--manifest", "m.csv", "--folds", "1,7"], *empty_fold)
    rng = np.random.default_rng(11)
    with open(os.path.join(d, "audio", "corrupt.wav"), "wb") as f:
        f.write(rng.integers(0, 256, 6000, dtype=np.uint8).tobytes())
    write_csv(os.path.join(d, "corrupt.csv"), lines + ["audio/corrupt.wav,rain,1"])
    fails("corrupt audio file", ["train", "--manifest", "corrupt.csv"],
          "line 20", "audio/corrupt.wav")
    fails("eval: corrupt audio file", ["eval", "--manifest", "corrupt.csv", "--bridge", b,
                                       *TEXT], "line 20", "audio/corrupt.wav")
    fails("eval: --folds with no rows", ["eval", "--manifest", "m.csv", "--bridge", b,
                                         "--folds", "7", *TEXT], *empty_fold)
    fails("eval: --folds naming an empty fold beside a full one",
          ["eval", "--manifest", "m.csv", "--bridge", b, "--folds", "1,7", *TEXT],
          *empty_fold)
    fails("eval --cv: a fold with no test rows",
          ["eval", "--manifest", "m.csv", "--cv", "--folds", "7", "--epochs", "2", *TEXT],
          *empty_fold)
    r = fails("eval --cv: an empty fold after a full one",
              ["eval", "--manifest", "m.csv", "--cv", "--folds", "1,7", "--epochs", "2",
               *TEXT], *empty_fold)
    c.check("eval --cv: the empty fold is refused before any fold is trained",
            "== fold" not in r.stderr, r.stderr.strip()[-200:])
    write_csv(os.path.join(d, "nofold.csv"), [",".join(l.split(",")[:2]) for l in lines])
    fails("eval --cv without folds", ["eval", "--manifest", "nofold.csv", "--cv", *TEXT],
          "no 'fold' column", "--kfold")

    # ---- damaged bridges
    data = open(b, "rb").read()
    bad = {"truncated": (data[:1000], "truncated"),
           "damaged": (data[:5000] + bytes([data[5000] ^ 0x10]) + data[5001:],
                       "checksum mismatch"),
           "random": (rng.integers(0, 256, 3000, dtype=np.uint8).tobytes(),
                      "not an earshot bridge"),
           "empty": (b"", "truncated")}
    for name, (content, phrase) in bad.items():
        p = os.path.join(tmp, f"{name}.esbridge")
        open(p, "wb").write(content)
        fails(f"eval --bridge on a {name} file", ["eval", "--manifest", "m.csv", "--bridge", p,
                                                  *TEXT], p, phrase)
    p = os.path.join(tmp, "truncated.esbridge")
    fails("bridge info on a truncated file", ["bridge", "info", p], p, "truncated")
    o = os.path.join(tmp, "never.onnx")
    fails("bridge onnx on a damaged file",
          ["bridge", "onnx", os.path.join(tmp, "damaged.esbridge"), o], "checksum mismatch")
    c.check("bridge onnx on a damaged file writes nothing", not os.path.exists(o))
    fails("eval --bridge on a missing file",
          ["eval", "--manifest", "m.csv", "--bridge", "nope.esbridge"], "nope.esbridge")

    # ---- a bridge for another text space
    import test_wordvec
    src = os.path.join(tmp, "small.json")
    test_wordvec.make_source(src)
    small = os.path.join(tmp, "small.eswv")
    r = test_wordvec.convert(src, small)
    c.check("small synthetic word vectors converted", r.returncode == 0, r.stderr.strip()[:200])
    sb = os.path.join(tmp, "small.esbridge")
    r = es(["train", "--manifest", m, "--folds", "1,2", "--epochs", "3", "--seed", "3",
            "--text-encoder", small, "--out", sb, "--quiet"])
    info = es(["bridge", "info", sb])
    sid = re.search(r"^text space: +(\S+)$", info.stdout, re.M)
    sid = sid.group(1) if sid else "?"
    c.check("bridge trained in the small space carries its identity",
            r.returncode == 0 and sid.startswith("wordvec:") and sid != WORDVEC_ID, sid)
    e = es(["embed", "x", "--json"])
    default_id = json.loads(e.stdout)["identity"] if e.returncode == 0 else "?"
    fails("eval with the default text space refuses the other space's bridge",
          ["eval", "--manifest", "m.csv", "--bridge", sb, "--folds", "3"],
          sb, sid, default_id)
    r = es(["eval", "--manifest", m, "--bridge", sb, "--folds", "3", "--text-encoder", small,
            "--json"])
    c.check("...and scores it in its own space", r.returncode == 0 and
            json.loads(r.stdout or "{}").get("clips") == 6, r.stderr.strip()[-200:])

    # ---- usage errors
    for name, args in (("unknown option", ["train", "--manifest", "m.csv", "--bogus"]),
                       ("--loss bogus", ["train", "--manifest", "m.csv", "--loss", "bogus"]),
                       ("--hidden 0", ["train", "--manifest", "m.csv", "--hidden", "0"]),
                       ("--folds 1,x", ["train", "--manifest", "m.csv", "--folds", "1,x"])):
        fails(f"usage error ({name})", args, "Try 'earshot train --help'", code=2)
    r = es(["train", "--manifest", "m.csv"], cwd=d)
    c.check("usage error (no --out) exits 2", r.returncode == 2 and "--out" in r.stderr,
            r.stderr.strip())
    r = es(["train", "--out", os.path.join(tmp, "x.esbridge")], cwd=d)
    c.check("usage error (no --manifest) exits 2", r.returncode == 2 and "--manifest" in r.stderr)
    for name, args in (("neither --bridge nor --cv", ["eval", "--manifest", "m.csv"]),
                       ("both --bridge and --cv", ["eval", "--manifest", "m.csv", "--cv",
                                                   "--bridge", b]),
                       ("unknown option", ["eval", "--manifest", "m.csv", "--cv", "--bogus"]),
                       ("--kfold 1", ["eval", "--manifest", "m.csv", "--cv", "--kfold", "1"])):
        fails(f"eval usage error ({name})", args, "Try 'earshot eval --help'", code=2)
    for name, args in (("no subcommand", ["bridge"]), ("bogus subcommand", ["bridge", "frob", b]),
                       ("onnx without output", ["bridge", "onnx", b])):
        fails(f"bridge usage error ({name})", args, "Try 'earshot bridge --help'", code=2)


# ---------------------------------------------------------------- part 3

def part_esc50(c, manifest):
    t0 = time.time()
    r = es(["eval", "--manifest", manifest, "--cv", "--kfold", "5", "--group-by", "src_file",
            "--loss", "cosine", "--head", "l2", "--json", "--folds", "1,2", *TEXT])
    secs = time.time() - t0
    try:
        j = json.loads(r.stdout)
    except ValueError:
        j = {}
    c.check("ESC-50 --cv: exit 0, JSON", r.returncode == 0 and bool(j),
            r.stderr.strip()[-300:])
    ms = j.get("methods", {})
    c.check("ESC-50 --cv: the four methods, two folds",
            sorted(ms) == sorted(["bridge f32", "bridge int8", "untrained", "centroid"]) and
            j.get("folds") == [1, 2] and
            all(len(v.get("per_fold", [])) == 2 for v in ms.values()) and
            j.get("text_encoder", "").startswith("word vectors wink-sg-100d") and
            j.get("loss") == "cosine" and j.get("head") == "l2", str(sorted(ms)))
    if sorted(ms) != sorted(["bridge f32", "bridge int8", "untrained", "centroid"]):
        return

    def mean(mth, col):
        return ms[mth][col]["mean"]

    for mth in ms:
        print(f"     {mth:12s} t2a R@1 {mean(mth, 't2a_r1'):.3f}  mAP@10 "
              f"{mean(mth, 't2a_map10'):.3f} ± {ms[mth]['t2a_map10']['std']:.3f}  "
              f"label acc {mean(mth, 'label_acc'):.3f}")
    print(f"     ({secs:.1f} s; training {j.get('train_seconds_mean', 0):.1f} s per fold)")
    per = ms["bridge f32"]["per_fold"]
    # a test fold holds ~1/5 of the 303 clips; not every label is in every
    # fold (whole src_file groups move), and labels without clips are not counted
    counts = [(p["text_to_audio"]["n"], p["audio_to_text"]["n"]) for p in per]
    c.check("ESC-50 --cv: per fold ≤ 50 label queries, ~60 clips, metrics in [0, 1]",
            all(30 <= nq <= 50 and 40 <= na <= 80 for nq, na in counts) and
            all(0 <= p[s][k] <= 1 for p in per for s in ("text_to_audio", "audio_to_text")
                for k in ("r1", "r5", "r10", "map10")) and
            all([(p["text_to_audio"]["n"], p["audio_to_text"]["n"]) for p in v["per_fold"]]
                == counts for v in ms.values()),
            f"(queries, clips) per fold {counts}")
    fm = [p["text_to_audio"]["map10"] for p in per]
    c.check("ESC-50 --cv: mean and std agree with the folds",
            abs(mean("bridge f32", "t2a_map10") - np.mean(fm)) < 1e-9 and
            abs(ms["bridge f32"]["t2a_map10"]["std"] - np.std(fm, ddof=1)) < 1e-9)
    bm, um, cm = (mean("bridge f32", "t2a_map10"), mean("untrained", "t2a_map10"),
                  mean("centroid", "t2a_map10"))
    c.check("ESC-50: trained bridge beats the untrained net by > 0.2 mAP@10",
            bm > um + ESC50_MIN_MARGIN_UNTRAINED, f"{bm:.3f} vs {um:.3f}")
    c.check("ESC-50: trained bridge beats the nearest centroid (mAP@10)",
            bm > cm, f"{bm:.3f} vs {cm:.3f}")
    c.check("ESC-50: int8 within 0.03 of f32 (mAP@10)",
            abs(mean("bridge int8", "t2a_map10") - bm) < 0.03,
            f"{mean('bridge int8', 't2a_map10'):.3f} vs {bm:.3f}")


def main():
    require_wordvec()
    c = reflib.Checks()
    tmp = reflib.tmpdir()
    t0 = time.time()
    m, b = part_synthetic(c, tmp)
    print(f"     (part 1: {time.time() - t0:.1f} s)")
    t1 = time.time()
    part_errors(c, tmp, m, b)
    print(f"     (part 2: {time.time() - t1:.1f} s)")
    esc = os.path.join(reflib.SHARED, "data", "esc50", "manifest.csv")
    skipped = None
    if os.path.exists(esc):
        part_esc50(c, esc)
    elif os.environ.get("EARSHOT_REQUIRE_DATA") == "1":
        c.check(f"required shared file {esc} exists (set EARSHOT_SHARED)", False)
    else:
        skipped = f"shared file {esc} is missing (set EARSHOT_SHARED to run part 3)"
    c.check("no command crashed or printed a sanitizer report", not CRASHES,
            "\n".join(CRASHES[:3]))
    shutil.rmtree(tmp, ignore_errors=True)
    if skipped and not c.failed:
        print(f"{c.passed} passed, {c.failed} failed")
        print("SKIPPED (part 3):", skipped)
        sys.exit(reflib.SKIP)
    c.finish()


if __name__ == "__main__":
    main()
