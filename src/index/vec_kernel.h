/* vec_kernel.h — the inner loops of the exact vector search (internal).
 *
 * A kernel computes the dot products of one query against a block of
 * contiguous rows. Two implementations with the same table: portable C
 * (vec_kernel_scalar.c) and AVX2 + FMA (vec_kernel_avx2.c, compiled with
 * -mavx2 -mfma and only called after a run-time CPU check). vec_search.c
 * picks one, splits the rows over threads and keeps the k best.
 *
 * int8 rows are scored against an int8 copy of the query (quantised once per
 * search, es_vec_quantize): the kernels compute the exact int32 dot product
 * and return (q_scale · row_scale) · dot, the same expression in both, so
 * the int8 scores are the same bits for both kernels and for any split into
 * threads. The f32 kernels score each row with a fixed order of additions
 * whatever its position in a block, so a row's score does not depend on
 * how rows are sharded either (it may differ between the two kernels in the
 * last bits). */
#ifndef ES_INDEX_VEC_KERNEL_H
#define ES_INDEX_VEC_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "index/vec_search.h"

/* Largest dim accepted: keeps every int8 dot product (|·| ≤ 128·127·dim)
 * inside int32. */
#define ES_VEC_MAX_DIM 65536

typedef struct es_vec_kernel {
    const char *name;                 /* "avx2" or "scalar"                */
    /* out[i] = Σ_j q[j] · rows[i·dim + j], for i < n. */
    void (*dot_f32)(const float *q, const float *rows, int dim, size_t n,
                    float *out);
    /* out[i] = (q_scale · scale[i]) · (float)dot, dot = Σ_j q[j] ·
     * rows[i·dim + j] computed exactly in int32, for i < n; q within ±127
     * (rows may hold -128). */
    void (*dot_i8)(const int8_t *q, float q_scale, const int8_t *rows,
                   const float *scale, int dim, size_t n, float *out);
} es_vec_kernel;

extern const es_vec_kernel es_vec_kernel_scalar;
extern const es_vec_kernel es_vec_kernel_avx2;

/* Whether this CPU runs es_vec_kernel_avx2 (AVX2 and FMA). */
int es_vec_avx2_usable(void);

/* The kernel the public functions use: AVX2 when usable, unless
 * ES_VEC_KERNEL=scalar; chosen once per process. */
const es_vec_kernel *es_vec_kernel_default(void);

/* The kernel named "avx2" or "scalar", or NULL when unknown or when the CPU
 * cannot run it (for tests and benchmarks that compare both). */
const es_vec_kernel *es_vec_kernel_by_name(const char *name);

/* es_vec_scores / es_vec_topk with an explicit kernel. */
es_status es_vec_scores_with(const es_vec_kernel *kern, const es_vec_matrix *m,
                             const float *q, int threads, float *out,
                             es_error *err);
es_status es_vec_topk_with(const es_vec_kernel *kern, const es_vec_matrix *m,
                           const float *q, int k, const uint8_t *mask,
                           int threads, es_vec_hit *hits, size_t *n_hits,
                           es_error *err);

#endif
