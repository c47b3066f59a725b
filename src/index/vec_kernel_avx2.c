/* vec_kernel_avx2.c — AVX2 + FMA kernels of the vector search. This file
 * alone is compiled with -mavx2 -mfma; vec_search.c calls into it only
 * after es_vec_avx2_usable().
 *
 * A scan of the matrix is bound by memory bandwidth, so the kernels are
 * shaped for the memory system first: each walks one row at a time, front
 * to back, with 2–4 independent accumulators, which keeps the access one
 * sequential stream that the hardware prefetchers follow. Measured on the
 * AMD EPYC (Zen 4) of docs/BENCHMARKS.md, "Search kernel": scoring four rows
 * at a time (one query load for four rows) made four interleaved streams
 * and was 10–15 % slower for int8, with or without software prefetch at
 * 256–4096 bytes; software prefetch did not help the one-row form either.
 * Every row goes through the same code whatever its position, so a score
 * does not depend on how rows are split into blocks or threads.
 *
 * int8: maddubs multiplies unsigned by signed bytes, so a signed × signed
 * product is formed as |r| · (q with the sign of r) — _mm256_abs_epi8 +
 * _mm256_sign_epi8 — and _mm256_madd_epi16 with ones widens the pairs to
 * int32. With |q| ≤ 127 and |r| ≤ 128 a pair sum is at most 32512, below
 * int16 saturation; the int32 sum is exact. Other forms measured: the query
 * as int16 with cvtepi8_epi16 + madd (more exact, slower), int8 → f32 +
 * FMA (half the in-cache speed), r + 128 as unsigned against a query
 * within ±64 (one uop less, no faster, coarser query), and AVX-512 VNNI
 * (vpdpbusd: 1.5× this kernel's speed on rows in cache, the same speed on
 * 1M rows from memory, so not worth a third kernel). */
#include "index/vec_kernel.h"

#include <immintrin.h>
#include <stdint.h>

/* Bytes ahead of the current position to prefetch; 0 = none (the default:
 * see above). A build switch for measuring, not a run-time option. */
#ifndef ES_VEC_PREFETCH
#define ES_VEC_PREFETCH 0
#endif

static inline void prefetch_at(const void *base, size_t ahead)
{
#if ES_VEC_PREFETCH > 0
    /* Integer arithmetic: the address may lie past the matrix (prefetches
     * never fault) and pointer arithmetic there would be undefined. */
    _mm_prefetch((const char *)((uintptr_t)base + ES_VEC_PREFETCH + ahead),
                 _MM_HINT_T0);
#else
    (void)base;
    (void)ahead;
#endif
}

static inline float hsum_ps(__m256 v)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v),
                          _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

static inline int32_t hsum_epi32(__m256i v)
{
    __m128i a = _mm_add_epi32(_mm256_castsi256_si128(v),
                              _mm256_extracti128_si256(v, 1));
    a = _mm_add_epi32(a, _mm_unpackhi_epi64(a, a));
    a = _mm_add_epi32(a, _mm_shuffle_epi32(a, 1));
    return _mm_cvtsi128_si32(a);
}

static void dot_f32_avx2(const float *q, const float *rows, int dim, size_t n,
                         float *out)
{
    const int rem = dim & 7;
    const __m256i mask = _mm256_cmpgt_epi32(
        _mm256_set1_epi32(rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    for (size_t i = 0; i < n; i++) {
        const float *r = rows + i * (size_t)dim;
        __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
        int j = 0;
        for (; j + 32 <= dim; j += 32) {
            prefetch_at(r + j, 0);
            prefetch_at(r + j, 64);
            a = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), _mm256_loadu_ps(r + j), a);
            b = _mm256_fmadd_ps(_mm256_loadu_ps(q + j + 8),
                                _mm256_loadu_ps(r + j + 8), b);
            c = _mm256_fmadd_ps(_mm256_loadu_ps(q + j + 16),
                                _mm256_loadu_ps(r + j + 16), c);
            d = _mm256_fmadd_ps(_mm256_loadu_ps(q + j + 24),
                                _mm256_loadu_ps(r + j + 24), d);
        }
        for (; j + 8 <= dim; j += 8)
            a = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), _mm256_loadu_ps(r + j), a);
        if (rem) /* masked loads read nothing past the row */
            b = _mm256_fmadd_ps(_mm256_maskload_ps(q + j, mask),
                                _mm256_maskload_ps(r + j, mask), b);
        out[i] = hsum_ps(_mm256_add_ps(_mm256_add_ps(a, b),
                                       _mm256_add_ps(c, d)));
    }
}

static inline __m256i madd_i8(__m256i acc, const int8_t *q, const int8_t *r,
                              __m256i ones)
{
    __m256i rv = _mm256_loadu_si256((const __m256i *)r);
    __m256i qv = _mm256_loadu_si256((const __m256i *)q);
    __m256i p = _mm256_maddubs_epi16(_mm256_abs_epi8(rv),
                                     _mm256_sign_epi8(qv, rv));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
}

static void dot_i8_avx2(const int8_t *q, float q_scale, const int8_t *rows,
                        const float *scale, int dim, size_t n, float *out)
{
    const __m256i ones = _mm256_set1_epi16(1);
    for (size_t i = 0; i < n; i++) {
        const int8_t *r = rows + i * (size_t)dim;
        __m256i a = _mm256_setzero_si256(), b = a;
        int j = 0;
        for (; j + 64 <= dim; j += 64) {
            prefetch_at(r + j, 0);
            a = madd_i8(a, q + j, r + j, ones);
            b = madd_i8(b, q + j + 32, r + j + 32, ones);
        }
        if (j + 32 <= dim) {
            a = madd_i8(a, q + j, r + j, ones);
            j += 32;
        }
        int32_t s = hsum_epi32(_mm256_add_epi32(a, b));
        for (; j < dim; j++) /* exact integers: the order is free */
            s += (int32_t)q[j] * r[j];
        out[i] = (q_scale * scale[i]) * (float)s;
    }
}

const es_vec_kernel es_vec_kernel_avx2 = {
    "avx2", dot_f32_avx2, dot_i8_avx2
};
