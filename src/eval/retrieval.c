/* retrieval.c — text→audio and audio→text retrieval metrics (retrieval.h
 * defines them) and the ranks of one query's relevant items.
 *
 * Both directions are one routine with the roles swapped: "queries" rank
 * "items" by the dot product of their vectors. Scores come from sgemm in
 * tiles of at most ES_SCORE_TILE floats (queries × items), so memory stays
 * bounded whatever the collection size; each query keeps only its 10 best
 * items (score descending, lower index first on equal scores), which is all
 * R@1/5/10 and AP@10 need. Items are scanned in index order, so an item
 * whose score equals the current 10th best never displaces it.
 *
 * Conventions beyond the header:
 *   - When no query is counted (no query has a relevant item), every metric
 *     is 0 and n_queries is 0; this is not an error.
 *   - Ties are exact ties of the float32 scores.
 *   - audio→text with an id shared by several texts: all of them are
 *     relevant and AP@10 uses the general formula (1/min(R,10))·Σ P(k)rel(k),
 *     which is the truncated reciprocal rank when R = 1.
 *   - A NaN or infinite score is refused (ES_ERR_INVALID_ARG): its rank
 *     would be meaningless. */
#include "eval/retrieval.h"
#include "core/error.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ES_TOPK 10
/* Floats of scores held at once: 64 MB. */
#define ES_SCORE_TILE ((size_t)1 << 24)
/* Items per tile: wide enough for sgemm to run at speed, small enough that
 * a tile of queries still has many rows. */
#define ES_ITEM_TILE ((size_t)1 << 16)
/* Queries per tile at most: their rows are copied (counted queries only),
 * and a few thousand rows are plenty for sgemm. */
#define ES_QUERY_TILE_MAX ((size_t)4096)

/* The best ES_TOPK items of one query so far, best first. */
typedef struct topk {
    float score[ES_TOPK];
    size_t index[ES_TOPK];
    int n;
} topk;

static void topk_push(topk *t, float s, size_t j)
{
    if (t->n == ES_TOPK && !(s > t->score[ES_TOPK - 1])) return;
    /* After every entry whose score is >= s: those have lower indices. */
    int p = t->n < ES_TOPK ? t->n : ES_TOPK - 1;
    while (p > 0 && t->score[p - 1] < s) {
        t->score[p] = t->score[p - 1];
        t->index[p] = t->index[p - 1];
        p--;
    }
    t->score[p] = s;
    t->index[p] = j;
    if (t->n < ES_TOPK) t->n++;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Number of entries of sorted[n] equal to v. */
static size_t count_sorted(const int *sorted, size_t n, int v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {           /* first index with sorted[i] >= v */
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < v) lo = mid + 1; else hi = mid;
    }
    size_t first = lo;
    hi = n;
    while (lo < hi) {           /* first index with sorted[i] > v */
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] <= v) lo = mid + 1; else hi = mid;
    }
    return lo - first;
}

static es_status check_args(const float *q, const int *qid, size_t nq,
                            const float *a, const int *aid, size_t na,
                            int dim, const void *out, const char *fn,
                            es_error *err)
{
    if (!out)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: out is NULL", fn);
    if (dim <= 0)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "%s: dim is %d; it must be at least 1", fn, dim);
    if (nq > 0 && (!q || !qid))
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "%s: the text vectors or their ids are NULL", fn);
    if (na > 0 && (!a || !aid))
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "%s: the audio vectors or their ids are NULL", fn);
    return ES_OK;
}

/* Queries q[nq × dim] (ids qid) rank items a[na × dim] (ids aid). */
static es_status rank_metrics(const float *q, const int *qid, size_t nq,
                              const float *a, const int *aid, size_t na,
                              int dim, es_retrieval_scores *out,
                              es_error *err)
{
    memset(out, 0, sizeof *out);
    if (nq == 0 || na == 0) return ES_OK;

    es_status st = ES_OK;
    int *sorted_aid = malloc(sizeof(int) * na);
    size_t *counted = malloc(sizeof(size_t) * nq);   /* query indices */
    size_t *n_rel = malloc(sizeof(size_t) * nq);
    if (!sorted_aid || !counted || !n_rel) {
        st = es_fail(err, ES_ERR_NOMEM, "out of memory ranking %zu queries "
                     "against %zu items", nq, na);
        goto done_ids;
    }
    memcpy(sorted_aid, aid, sizeof(int) * na);
    qsort(sorted_aid, na, sizeof(int), cmp_int);
    size_t nc = 0;
    for (size_t i = 0; i < nq; i++) {
        size_t r = count_sorted(sorted_aid, na, qid[i]);
        if (r > 0) {
            counted[nc] = i;
            n_rel[nc] = r;
            nc++;
        }
    }
    if (nc == 0) goto done_ids;
    if (nc > INT_MAX) {
        st = es_fail(err, ES_ERR_INVALID_ARG, "%zu queries to count: more "
                     "than the %d the scores can report", nc, INT_MAX);
        goto done_ids;
    }

    size_t item_tile = na < ES_ITEM_TILE ? na : ES_ITEM_TILE;
    size_t query_tile = ES_SCORE_TILE / item_tile;
    if (query_tile > ES_QUERY_TILE_MAX) query_tile = ES_QUERY_TILE_MAX;
    if (query_tile > nc) query_tile = nc;
    float *qbuf = malloc(sizeof(float) * query_tile * (size_t)dim);
    float *scores = malloc(sizeof(float) * query_tile * item_tile);
    topk *best = malloc(sizeof(topk) * query_tile);
    if (!qbuf || !scores || !best) {
        st = es_fail(err, ES_ERR_NOMEM, "out of memory for a %zu × %zu tile "
                     "of scores", query_tile, item_tile);
        goto done_tiles;
    }

    double r1 = 0, r5 = 0, r10 = 0, map10 = 0;
    for (size_t q0 = 0; q0 < nc; q0 += query_tile) {
        size_t bq = nc - q0 < query_tile ? nc - q0 : query_tile;
        for (size_t i = 0; i < bq; i++) {
            memcpy(qbuf + i * (size_t)dim, q + counted[q0 + i] * (size_t)dim,
                   sizeof(float) * (size_t)dim);
            best[i].n = 0;
        }
        for (size_t j0 = 0; j0 < na; j0 += item_tile) {
            size_t bj = na - j0 < item_tile ? na - j0 : item_tile;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)bq,
                        (int)bj, dim, 1.0f, qbuf, dim, a + j0 * (size_t)dim,
                        dim, 0.0f, scores, (int)bj);
            for (size_t i = 0; i < bq; i++) {
                const float *row = scores + i * bj;
                topk *t = &best[i];
                for (size_t j = 0; j < bj; j++) {
                    float s = row[j];
                    if (!isfinite(s)) {
                        st = es_fail(err, ES_ERR_INVALID_ARG, "the score of "
                                     "query %zu and item %zu is not finite: "
                                     "the vectors hold NaN or infinite "
                                     "values", counted[q0 + i], j0 + j);
                        goto done_tiles;
                    }
                    topk_push(t, s, j0 + j);
                }
            }
        }
        for (size_t i = 0; i < bq; i++) {
            const topk *t = &best[i];
            int id = qid[counted[q0 + i]];
            size_t r = n_rel[q0 + i];
            int first = 0, hits = 0;       /* first: 1-based, 0 = none */
            double ap = 0;
            for (int k = 0; k < t->n; k++)
                if (aid[t->index[k]] == id) {
                    hits++;
                    if (!first) first = k + 1;
                    ap += (double)hits / (k + 1);
                }
            r1 += first >= 1 && first <= 1;
            r5 += first >= 1 && first <= 5;
            r10 += first >= 1;
            map10 += ap / (double)(r < ES_TOPK ? r : ES_TOPK);
        }
    }
    out->r1 = r1 / (double)nc;
    out->r5 = r5 / (double)nc;
    out->r10 = r10 / (double)nc;
    out->map10 = map10 / (double)nc;
    out->n_queries = (int)nc;

done_tiles:
    if (st != ES_OK) memset(out, 0, sizeof *out);
    free(qbuf);
    free(scores);
    free(best);
done_ids:
    free(sorted_aid);
    free(counted);
    free(n_rel);
    return st;
}

es_status es_retrieval_text_to_audio(const float *q, const int *qid, int nq,
                                     const float *a, const int *aid,
                                     size_t na, int dim,
                                     es_retrieval_scores *out, es_error *err)
{
    static const char fn[] = "es_retrieval_text_to_audio";
    if (nq < 0)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: nq is %d; it must not be "
                       "negative", fn, nq);
    es_status st = check_args(q, qid, (size_t)nq, a, aid, na, dim, out, fn, err);
    if (st != ES_OK) return st;
    return rank_metrics(q, qid, (size_t)nq, a, aid, na, dim, out, err);
}

es_status es_retrieval_audio_to_text(const float *q, const int *qid, int nq,
                                     const float *a, const int *aid,
                                     size_t na, int dim,
                                     es_retrieval_scores *out, es_error *err)
{
    static const char fn[] = "es_retrieval_audio_to_text";
    if (nq < 0)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: nq is %d; it must not be "
                       "negative", fn, nq);
    es_status st = check_args(q, qid, (size_t)nq, a, aid, na, dim, out, fn, err);
    if (st != ES_OK) return st;
    return rank_metrics(a, aid, na, q, qid, (size_t)nq, dim, out, err);
}

/* ------------------------------------------------------------------ ranks */

/* A relevant item: its score, index and position among the relevant. */
typedef struct rel_item {
    float score;
    size_t index;
    size_t slot;
} rel_item;

/* Ranking order: score descending, then index ascending. */
static int precedes(float s, size_t i, const rel_item *r)
{
    return s > r->score || (s == r->score && i < r->index);
}

static int cmp_rank(const void *pa, const void *pb)
{
    const rel_item *x = pa, *y = pb;
    if (precedes(x->score, x->index, y)) return -1;
    if (precedes(y->score, y->index, x)) return 1;
    return 0;
}

/* Scores of items [j0, j0 + bj) for one query, into s[bj]. */
static void score_tile(const float *q, const float *a, size_t j0, size_t bj,
                       int dim, float *s)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 1, (int)bj, dim,
                1.0f, q, dim, a + j0 * (size_t)dim, dim, 0.0f, s, (int)bj);
}

es_status es_retrieval_ranks(const float *q, const float *a, const int *aid,
                             size_t na, int dim, int id, int *ranks,
                             es_error *err)
{
    static const char fn[] = "es_retrieval_ranks";
    if (dim <= 0)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "%s: dim is %d; it must be at least 1", fn, dim);
    if (!q)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: the query is NULL", fn);
    if (na > 0 && (!a || !aid))
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "%s: the audio vectors or their ids are NULL", fn);
    size_t m = 0;
    for (size_t j = 0; j < na; j++) m += aid[j] == id;
    if (m == 0) return ES_OK;
    if (!ranks)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: ranks is NULL but %zu "
                       "items have id %d", fn, m, id);
    if (na > INT_MAX)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: %zu items: ranks beyond "
                       "%d do not fit in an int", fn, na, INT_MAX);

    es_status st = ES_OK;
    size_t tile = na < ES_ITEM_TILE ? na : ES_ITEM_TILE;
    float *s = malloc(sizeof(float) * tile);
    rel_item *rel = malloc(sizeof(rel_item) * m);
    size_t *ahead = calloc(m + 1, sizeof(size_t));  /* difference array */
    if (!s || !rel || !ahead) {
        st = es_fail(err, ES_ERR_NOMEM, "%s: out of memory for %zu items",
                     fn, na);
        goto done;
    }
    /* Pass 1: the relevant items' scores, sorted in ranking order. */
    size_t k = 0;
    for (size_t j0 = 0; j0 < na; j0 += tile) {
        size_t bj = na - j0 < tile ? na - j0 : tile;
        score_tile(q, a, j0, bj, dim, s);
        for (size_t j = 0; j < bj; j++) {
            if (!isfinite(s[j])) {
                st = es_fail(err, ES_ERR_INVALID_ARG, "%s: the score of item "
                             "%zu is not finite: the vectors hold NaN or "
                             "infinite values", fn, j0 + j);
                goto done;
            }
            if (aid[j0 + j] == id) {
                rel[k].score = s[j];
                rel[k].index = j0 + j;
                rel[k].slot = k;
                k++;
            }
        }
    }
    qsort(rel, m, sizeof *rel, cmp_rank);
    /* Pass 2: every item that precedes the p-th relevant item (in ranking
     * order) precedes all later ones too: count it once at the first such
     * p, then a prefix sum gives each relevant item its number of items
     * ahead. Scores are recomputed identically, tile by tile. */
    for (size_t j0 = 0; j0 < na; j0 += tile) {
        size_t bj = na - j0 < tile ? na - j0 : tile;
        score_tile(q, a, j0, bj, dim, s);
        for (size_t j = 0; j < bj; j++) {
            size_t lo = 0, hi = m;        /* first p that j precedes */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (precedes(s[j], j0 + j, &rel[mid])) hi = mid;
                else lo = mid + 1;
            }
            ahead[lo]++;
        }
    }
    size_t before = 0;
    for (size_t p = 0; p < m; p++) {
        before += ahead[p];
        ranks[rel[p].slot] = (int)(before + 1);
    }
done:
    free(s);
    free(rel);
    free(ahead);
    return st;
}
