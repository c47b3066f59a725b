/* vec_search.h — exact similarity search over a matrix of unit vectors.
 *
 * The index keeps every chunk vector of one path (speech or sound) in one
 * contiguous row-major matrix, f32 or int8 with a scale per row (row ≈
 * scale · int8). A query is a unit f32 vector; the similarity of a row is
 * dot(q, row) (= cosine, rows being unit vectors). The kernels are SIMD (AVX2
 * + FMA when the CPU has it, checked at run time; portable C otherwise) and
 * split the rows into shards over worker threads.
 *
 * Two entry points: es_vec_scores fills the similarity of every row (the
 * fusion needs both paths' scores per chunk), es_vec_topk keeps only the k
 * best (a heap per shard, merged). */
#ifndef ES_VEC_SEARCH_H
#define ES_VEC_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"

typedef enum es_vec_type {
    ES_VEC_F32 = 0,
    ES_VEC_I8 = 1
} es_vec_type;

/* A view of a matrix; the memory belongs to the caller (often an mmap). */
typedef struct es_vec_matrix {
    es_vec_type type;
    int dim;
    size_t n_rows;
    const float *f32;      /* F32: n_rows × dim                              */
    const int8_t *i8;      /* I8:  n_rows × dim                              */
    const float *scale;    /* I8:  n_rows, row r ≈ scale[r] · i8[r]          */
} es_vec_matrix;

typedef struct es_vec_hit {
    uint64_t row;
    float score;
} es_vec_hit;

/* Which kernel runs: "avx2" or "scalar". ES_VEC_KERNEL=scalar in the
 * environment forces the portable one (for tests and benchmarks). */
const char *es_vec_kernel_name(void);

/* Quantises n unit vectors: i8[r] = round(x[r] / scale[r]), scale[r] =
 * max|x[r]| / 127 (0 rows get scale 0). */
void es_vec_quantize(const float *x, size_t n, int dim, int8_t *i8,
                     float *scale);

/* out[r] = similarity of row r to q, for every row. threads ≤ 0 = all
 * cores; the shards are at least a few thousand rows, so small matrices
 * run on one thread. */
es_status es_vec_scores(const es_vec_matrix *m, const float *q, int threads,
                        float *out, es_error *err);

/* The k best rows, best first (ties: lower row first), skipping rows whose
 * byte in mask is 0 when mask != NULL. *n_hits = min(k, rows allowed). */
es_status es_vec_topk(const es_vec_matrix *m, const float *q, int k,
                      const uint8_t *mask, int threads, es_vec_hit *hits,
                      size_t *n_hits, es_error *err);

/* The k best of n scores (a plain array, e.g. fused scores), best first,
 * skipping NaN entries (the fusion marks rows that cannot match that way). */
size_t es_vec_select_topk(const float *scores, size_t n, int k,
                          es_vec_hit *hits);

#endif
