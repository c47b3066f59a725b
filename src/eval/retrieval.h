/* retrieval.h — retrieval metrics between text vectors and audio vectors
 * (all rows unit-norm, compared by dot product), and the baselines a
 * trained bridge must beat.
 *
 * Definitions (docs/RESULTS.md repeats them):
 *   text→audio: each query ranks all items by descending score (ties: lower
 *     item index first). Relevant items: those whose id equals the query's.
 *     Queries with no relevant item are not counted.
 *     R@k   = fraction of queries with at least one relevant item in the top k;
 *     mAP@10 = mean over queries of AP@10 = (1 / min(R, 10)) · Σ_{k ≤ 10}
 *             P(k) · rel(k), R = number of relevant items.
 *   audio→text: each item ranks all queries (texts); exactly one is
 *     relevant (same id; items whose id has no query are not counted).
 *     R@1 is the nearest-label accuracy; mAP@10 is then the reciprocal rank
 *     truncated at 10.
 * Owned by retrieval.c and baselines.c. */
#ifndef ES_EVAL_RETRIEVAL_H
#define ES_EVAL_RETRIEVAL_H

#include <stddef.h>

#include "earshot.h"

typedef struct es_retrieval_scores {
    double r1, r5, r10, map10;
    int n_queries;        /* queries (or items, audio→text) counted          */
} es_retrieval_scores;

es_status es_retrieval_text_to_audio(const float *q, const int *qid, int nq,
                                     const float *a, const int *aid,
                                     size_t na, int dim,
                                     es_retrieval_scores *out, es_error *err);
es_status es_retrieval_audio_to_text(const float *q, const int *qid, int nq,
                                     const float *a, const int *aid,
                                     size_t na, int dim,
                                     es_retrieval_scores *out, es_error *err);

/* 1-based ranks, for one query, of the items whose id is `id`, in item
 * order: ranks[count of such items]. */
es_status es_retrieval_ranks(const float *q, const float *a, const int *aid,
                             size_t na, int dim, int id, int *ranks,
                             es_error *err);

/* Nearest-centroid baseline: class centroids of the training inputs (after
 * standardising with the training mean/std); an input's vector is the
 * label vector of the nearest centroid, blended with the others by
 * softmax(−d² / (2·s²)) where s² is the per-dimension variance of the
 * training inputs around their own centroid (mean squared distance / dim:
 * the posterior of an isotropic Gaussian class model); then L2-normalised. label_vecs[n_labels ×
 * out_dim] are the target vectors; ytrain holds label ids (−1 rows are
 * ignored). out[n × out_dim]. */
typedef struct es_centroid_model es_centroid_model;
es_status es_centroid_fit(const float *xtrain, const int *ytrain,
                          size_t ntrain, int dim, const float *label_vecs,
                          int n_labels, int out_dim, es_centroid_model **out,
                          es_error *err);
es_status es_centroid_embed(const es_centroid_model *m, const float *x,
                            size_t n, float *out, es_error *err);
void es_centroid_free(es_centroid_model *m);

#endif
