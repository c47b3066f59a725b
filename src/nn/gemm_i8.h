/* gemm_i8.h — int8 × int8 matrix product for int8 weights on CPUs with
 * AVX512-VNNI (one vpdpbusd does 64 multiply-adds, 4× an f32 FMA).
 *
 * Why it exists: OpenBLAS re-packs the weight matrix on every sgemm call,
 * which for a short query (16 tokens) costs as much as the arithmetic, and
 * f32 arithmetic alone cannot embed a 16-token query in 3 ms on one core.
 * Here the weights are packed once at load, and each call quantizes the
 * activations per token (symmetric int8, scale max|x|/127), so the int8
 * option becomes W8A8 on these CPUs. Elsewhere es_linear keeps the
 * weight-only path (dequantize a tile, sgemm).
 *
 * Packed layout: panels of 16 output rows; within a panel, for each group of
 * 4 inputs, 16 × 4 bytes (row-major over the 16 outputs), so one 64-byte load
 * feeds one vpdpbusd. Inputs are padded to a multiple of 4, outputs to 16,
 * with zero weights. */
#ifndef ES_NN_GEMM_I8_H
#define ES_NN_GEMM_I8_H

#include <stdint.h>

#include "earshot.h"

typedef struct es_i8_packed {
    int n_out, n_in;
    int k4;            /* n_in rounded up to a multiple of 4 */
    int panels;        /* n_out rounded up to 16, / 16 */
    int8_t *w;         /* panels × k4 × 16 bytes, 64-byte aligned */
    int32_t *colsum;   /* [panels × 16]: Σ_k w[n][k], for the +128 offset */
    float *scale;      /* [panels × 16]: per-output weight scale (0 padded) */
} es_i8_packed;

/* True when this CPU runs the kernel (AVX512 F/BW/VL/VNNI) and the
 * environment does not set EARSHOT_NO_VNNI=1 (to test the other path). */
int es_i8_vnni_usable(void);

/* Packs int8 weights q[n_out × n_in] with per-row scales. */
es_status es_i8_pack(const int8_t *q, const float *scale, int n_out, int n_in,
                     es_i8_packed *p, es_error *err);
void es_i8_packed_free(es_i8_packed *p);

/* y[T × n_out] = x[T × n_in] · Wᵀ (+ bias when not NULL), activations
 * quantized per row. Returns ES_ERR_NOMEM when its scratch cannot be had
 * (y is then untouched). */
es_status es_i8_gemm(const es_i8_packed *p, const float *x, int T,
                     const float *bias, float *y);

#endif
