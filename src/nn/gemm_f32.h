/* gemm_f32.h — float32 y = x·Wᵀ + b with W packed once at load, for CPUs
 * with AVX-512.
 *
 * Why it exists: OpenBLAS packs the weight matrix into its own layout on
 * every call. For the short inputs earshot sees most (a 16-token query, one
 * decoder step) that copy costs as much as the arithmetic: it was 47 % of a
 * query's profile. Packing once at load removes it. Large products are
 * split over threads by output panels (the thread count is OpenBLAS's
 * current setting, so callers control both paths with one knob).
 *
 * Packed layout: panels of 16 outputs, padded to an even number of panels;
 * panel p holds, for each input k, the 16 weights W[16p .. 16p+15][k]. */
#ifndef ES_NN_GEMM_F32_H
#define ES_NN_GEMM_F32_H

#include "earshot.h"

typedef struct es_f32_packed {
    int n_out, n_in;
    int panels;        /* even */
    float *w;          /* panels × n_in × 16, 64-byte aligned */
} es_f32_packed;

/* True when this CPU runs the kernel (AVX-512 F) and EARSHOT_NO_AVX512 is
 * not set to 1 (to test the OpenBLAS path). */
int es_f32_avx512_usable(void);

es_status es_f32_pack(const float *w, int n_out, int n_in, es_f32_packed *p,
                      es_error *err);
void es_f32_packed_free(es_f32_packed *p);
/* Reads row r of the packed matrix back into dst[n_in]. */
void es_f32_packed_row(const es_f32_packed *p, int r, float *dst);

/* y[T × n_out] = x[T × n_in] · Wᵀ (+ bias when not NULL). */
void es_f32_gemm(const es_f32_packed *p, const float *x, int T,
                 const float *bias, float *y);

#endif
