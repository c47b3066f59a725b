/* linear.h — a weight matrix that is either float32 or int8 with one scale
 * per row (weight-only quantization), and the dense layer y = x·Wᵀ + b built
 * on it. Both forms share one interface so model code never branches on the
 * storage.
 *
 * Layout is PyTorch's: W is [n_out × n_in], row-major; activations are
 * [tokens × features], row-major. GEMMs go through OpenBLAS. The int8 form
 * dequantizes ES_LINEAR_TILE rows at a time into a scratch buffer and runs
 * sgemm on the tile, so it saves memory (4×) at near-f32 speed. */
#ifndef ES_NN_LINEAR_H
#define ES_NN_LINEAR_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"
#include "nn/gemm_f32.h"
#include "nn/gemm_i8.h"

#define ES_LINEAR_TILE 256

typedef struct es_matrix {
    int rows, cols;
    float *f;        /* [rows × cols] when float32, else NULL */
    int8_t *q;       /* [rows × cols] when int8, else NULL */
    float *scale;    /* [rows]: w[r][c] ≈ q[r][c] · scale[r] */
} es_matrix;

typedef struct es_linear {
    es_matrix w;     /* [n_out × n_in]; empty once packed for VNNI */
    float *bias;     /* [n_out], or NULL */
    es_i8_packed *packed;  /* int8 weights packed for the VNNI kernel */
    es_f32_packed *fpacked; /* f32 weights packed for the AVX-512 kernel */
} es_linear;

/* Allocates a zeroed float32 matrix. */
es_status es_matrix_alloc(es_matrix *m, int rows, int cols, es_error *err);
void es_matrix_free(es_matrix *m);
/* Replaces the float32 data by int8 + per-row scales (symmetric, max-abs /
 * 127, round to nearest). A no-op on a matrix already quantized. */
es_status es_matrix_quantize(es_matrix *m, es_error *err);
/* Copies row r as float32 into dst[cols]. */
void es_matrix_row(const es_matrix *m, int r, float *dst);
/* Bytes the weights occupy. */
size_t es_matrix_bytes(const es_matrix *m);

/* Prepares a loaded layer for inference: int8 → es_linear_to_int8; else,
 * on CPUs with AVX-512, packs the f32 weights once for gemm_f32.c (the
 * row-major copy is then dropped). Call once after loading. */
es_status es_linear_finalize(es_linear *l, int int8, es_error *err);
/* Makes the layer int8: quantizes W, and where the CPU has AVX512-VNNI
 * packs it for the int8 kernel (the row-major copy is then dropped). */
es_status es_linear_to_int8(es_linear *l, es_error *err);
void es_linear_free(es_linear *l);
/* Bytes the layer's weights occupy. */
size_t es_linear_bytes(const es_linear *l);

/* Scratch floats es_linear_forward needs for layer l (0 for float32). */
size_t es_linear_scratch(const es_linear *l);
/* y[T × n_out] = x[T × n_in] · Wᵀ + b. Fails only with ES_ERR_NOMEM. */
es_status es_linear_forward(const es_linear *l, const float *x, int T,
                            float *y, float *scratch);

#endif
