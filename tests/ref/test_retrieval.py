"""test_retrieval — retrieval metrics and the nearest-centroid baseline
(src/eval/retrieval.h) against NumPy implementations written from the
header's definitions.

1. Metrics: 50 random cases (1..60 queries, 1..500 items, 2..64 dimensions),
   with ids such that queries have 0, 1 or many (> 10) relevant items, half
   of them with unique text ids (audio→text's one relevant text) and half
   with shared ones, and duplicated rows so that scores tie. Vectors lie on
   a grid of 2⁻⁸ (or of 1/4 for coarse cases, which tie far more often), so
   every float32 dot product is exact and the ranking does not depend on the
   order of the sums. R@1, R@5, R@10, mAP@10 and the number of counted
   queries must agree in both directions to 1e-9 relative.
2. es_retrieval_ranks for a few queries of each case: exact agreement.
3. The nearest-centroid baseline: 20 random cases (with unlabelled rows and
   classes without training rows) against NumPy to 1e-5; all-unlabelled
   training data is refused.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402

TOOL = reflib.tool("retrieval_tool")


# ------------------------------------------------------------- reference

def ranking(scores):
    """Indices by descending score, ties broken by lower index."""
    return np.lexsort((np.arange(len(scores)), -scores))


def ap_metrics(S, qid, aid):
    """Queries (rows of S) rank items (columns): R@1/5/10, mAP@10, count.
    AP@10 = (1/min(R,10)) Σ_{k≤10} P(k)·rel(k); queries with R = 0 skipped."""
    hits = {1: [], 5: [], 10: []}
    aps = []
    for i in range(S.shape[0]):
        rel = aid == qid[i]
        R = int(rel.sum())
        if R == 0:
            continue
        top = rel[ranking(S[i])][:10].astype(np.float64)
        for k in hits:
            hits[k].append(top[:k].any())
        prec = np.cumsum(top) / np.arange(1, len(top) + 1)
        aps.append(float((prec * top).sum()) / min(R, 10))
    n = len(aps)
    if n == 0:
        return [0.0, 0.0, 0.0, 0.0, 0]
    return [float(np.mean(hits[1])), float(np.mean(hits[5])),
            float(np.mean(hits[10])), float(np.mean(aps)), n]


def rr_metrics(S, qid, aid):
    """audio→text with one relevant text per item: R@k from its rank,
    mAP@10 = reciprocal rank truncated at 10 (0 beyond)."""
    h1 = h5 = h10 = rr = 0.0
    n = 0
    for j in range(S.shape[1]):
        where = np.flatnonzero(qid == aid[j])
        if len(where) == 0:
            continue
        assert len(where) == 1
        t = where[0]
        s = S[:, j]
        rank = 1 + int((s > s[t]).sum()) + int((s[:t] == s[t]).sum())
        n += 1
        h1 += rank <= 1
        h5 += rank <= 5
        h10 += rank <= 10
        rr += 1.0 / rank if rank <= 10 else 0.0
    if n == 0:
        return [0.0, 0.0, 0.0, 0.0, 0]
    return [h1 / n, h5 / n, h10 / n, rr / n, n]


def ref_ranks(q, A, aid, ident):
    s = A.astype(np.float64) @ q.astype(np.float64)
    pos = np.empty(len(s), dtype=np.int64)
    pos[ranking(s)] = np.arange(1, len(s) + 1)
    return [int(pos[j]) for j in np.flatnonzero(aid == ident)]


def ref_centroid(xt, yt, lv, x):
    keep = yt >= 0
    X = xt[keep].astype(np.float64)
    Y = yt[keep]
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    Z = (X - mu) / sd
    classes = np.unique(Y)
    C = np.stack([Z[Y == c].mean(axis=0) for c in classes])
    index = {c: k for k, c in enumerate(classes)}
    own = C[[index[c] for c in Y]]
    s2 = float(((Z - own) ** 2).sum(axis=1).mean()) / Z.shape[1]
    z = (x.astype(np.float64) - mu) / sd
    d2 = ((z[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)
    logits = -d2 / (2 * s2)
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    v = w @ lv[classes].astype(np.float64)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


# ------------------------------------------------------------------ data

def grid_vectors(rng, n, dim, coarse):
    if coarse:
        return rng.integers(-2, 3, size=(n, dim)).astype(np.float32) / 4
    v = rng.standard_normal((n, dim))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return (np.round(v * 256) / 256).astype(np.float32)


def make_case(seed):
    rng = np.random.default_rng(seed)
    nq = int(rng.integers(1, 61))
    na = int(rng.integers(1, 501))
    dim = int(rng.integers(2, 65))
    if seed < 2:                      # the smallest shapes
        nq, na = 1 + seed, 1 + seed
    coarse = seed % 3 == 0
    if coarse:
        dim = min(dim, 4)
    Q = grid_vectors(rng, nq, dim, coarse)
    A = grid_vectors(rng, na, dim, coarse)
    # duplicated rows: exact ties
    for _ in range(int(rng.integers(0, na // 4 + 1))):
        A[rng.integers(na)] = A[rng.integers(na)]
    for _ in range(int(rng.integers(0, nq // 4 + 1))):
        Q[rng.integers(nq)] = Q[rng.integers(nq)]
    unique_texts = seed % 2 == 0
    if unique_texts:
        # each text its own id; items draw from those and a few unmatched
        qid = rng.permutation(nq + 3)[:nq]
        n_ids = nq + 6
    else:
        n_ids = int(rng.integers(1, 25))
        qid = rng.integers(0, n_ids + 4, size=nq)   # some with no item
    p = rng.dirichlet(np.full(n_ids, 0.4))          # skewed: many and few
    aid = rng.choice(n_ids, size=na, p=p)
    # a few ids held by exactly one item
    for k in range(min(3, na)):
        if nq > k:
            qid[k] = 1000 + k
            aid[rng.integers(na)] = 1000 + k
    return Q, qid.astype(np.int32), A, aid.astype(np.int32), unique_texts


def save(d, name, arr):
    p = os.path.join(d, name)
    np.save(p, arr)
    return p


def rel_close(x, y, tol=1e-9):
    return abs(x - y) <= tol * max(1.0, abs(y))


def main():
    c = reflib.Checks()
    d = reflib.tmpdir()

    # 1 + 2: metrics and ranks
    worst = 0.0
    bad = []
    rank_bad = []
    seen_r = set()
    rr_vs_ap = []
    for seed in range(50):
        Q, qid, A, aid, unique_texts = make_case(seed)
        pq, pqid = save(d, "q.npy", Q), save(d, "qid.npy", qid)
        pa, paid = save(d, "a.npy", A), save(d, "aid.npy", aid)
        out = reflib.run([TOOL, "metrics", pq, pqid, pa, paid]).stdout.split("\n")
        got = {ln.split()[0]: [float(v) for v in ln.split()[1:]]
               for ln in out if ln.strip()}
        S = Q.astype(np.float64) @ A.astype(np.float64).T
        want = {"t2a": ap_metrics(S, qid, aid)}
        if unique_texts:
            want["a2t"] = rr_metrics(S, qid, aid)
            # the general AP@10 with R = 1 is the truncated reciprocal rank
            general = ap_metrics(S.T, aid, qid)
            if not all(rel_close(x, y) for x, y in zip(want["a2t"], general)):
                rr_vs_ap.append(seed)
        else:   # shared text ids: all of them relevant (retrieval.c's rule)
            want["a2t"] = ap_metrics(S.T, aid, qid)
        for i in range(len(qid)):
            seen_r.add(min(int((aid == qid[i]).sum()), 11))
        for direction in ("t2a", "a2t"):
            g, w = got[direction], want[direction]
            if int(g[4]) != w[4] or not all(rel_close(x, y) for x, y in zip(g[:4], w[:4])):
                bad.append((seed, direction, g, w))
            worst = max([worst] + [abs(x - y) for x, y in zip(g[:4], w[:4])])
        # ranks: the first, last and one random query, for their own id
        rng = np.random.default_rng(1000 + seed)
        for i in sorted({0, len(qid) - 1, int(rng.integers(len(qid)))}):
            pq1 = save(d, "q1.npy", Q[i:i + 1])
            r = reflib.run([TOOL, "ranks", pq1, pa, paid, str(int(qid[i]))])
            got_r = [int(v) for v in r.stdout.split()]
            if got_r != ref_ranks(Q[i], A, aid, qid[i]):
                rank_bad.append((seed, i))
    c.check("metrics: 50 cases × 2 directions agree to 1e-9", not bad,
            f"(max abs diff {worst:.2e})" + (f" first bad: {bad[0]}" if bad else ""))
    c.check("reference: AP@10 with one relevant text = truncated RR",
            not rr_vs_ap, f"{rr_vs_ap}")
    c.check("cases cover queries with 0, 1 and > 10 relevant items",
            {0, 1, 11} <= seen_r, f"{sorted(seen_r)}")
    c.check("es_retrieval_ranks equals the reference", not rank_bad,
            f"{rank_bad[:3]}")

    # 3: centroid baseline
    cbad = []
    cworst = 0.0
    for seed in range(20):
        rng = np.random.default_rng(500 + seed)
        dim = int(rng.integers(1, 41))
        n_labels = int(rng.integers(2, 13))
        out_dim = int(rng.integers(2, 51))
        nt = int(rng.integers(5, 301))
        centres = rng.standard_normal((n_labels, dim)) * rng.uniform(0.5, 3)
        scale = rng.uniform(0.1, 10, size=dim)      # features on other scales
        shift = rng.standard_normal(dim) * 5
        yt = rng.integers(0, n_labels, size=nt)
        absent = rng.choice(n_labels, size=int(rng.integers(0, n_labels // 2 + 1)),
                            replace=False)
        yt = np.where(np.isin(yt, absent), -1, yt)   # classes with no row
        yt[rng.random(nt) < 0.1] = -1                # unlabelled rows
        yt[0] = int(np.setdiff1d(np.arange(n_labels), absent)[0])
        xt = (centres[np.maximum(yt, 0)] + rng.standard_normal((nt, dim))) * scale + shift
        lv = rng.standard_normal((n_labels, out_dim))
        lv /= np.linalg.norm(lv, axis=1, keepdims=True)
        nx = int(rng.integers(1, 80))
        x = np.concatenate([xt[: nx // 2],
                            (rng.standard_normal((nx - nx // 2, dim)) * 2) * scale + shift])
        xt, x, lv = xt.astype(np.float32), x.astype(np.float32), lv.astype(np.float32)
        po = os.path.join(d, "cent_out.npy")
        reflib.run([TOOL, "centroid", save(d, "xt.npy", xt),
                    save(d, "yt.npy", yt.astype(np.int32)), save(d, "lv.npy", lv),
                    save(d, "x.npy", x), po])
        got = np.load(po)
        want = ref_centroid(xt, yt, lv, x)
        diff = float(np.abs(got - want).max())
        cworst = max(cworst, diff)
        if got.shape != want.shape or diff > 1e-5:
            cbad.append((seed, diff))
    c.check("centroid baseline: 20 cases agree to 1e-5", not cbad,
            f"(max abs diff {cworst:.2e}) {cbad[:3]}")

    yt = np.full(6, -1, dtype=np.int32)
    r = reflib.run([TOOL, "centroid", save(d, "xt.npy", np.ones((6, 3), np.float32)),
                    save(d, "yt.npy", yt), save(d, "lv.npy", np.eye(2, dtype=np.float32)),
                    save(d, "x.npy", np.ones((1, 3), np.float32)),
                    os.path.join(d, "never.npy")], check=False)
    c.check("all-unlabelled training rows are refused",
            r.returncode == 1 and "labelled" in r.stderr, r.stderr.strip())
    c.finish()


if __name__ == "__main__":
    main()
