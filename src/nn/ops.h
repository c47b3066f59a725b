/* ops.h — the elementwise and row-wise operations transformer models are
 * built from. Plain C loops: they cost little next to the GEMMs. */
#ifndef ES_NN_OPS_H
#define ES_NN_OPS_H

#include <stddef.h>

/* In place over rows of x[T × n]: (x − mean) / sqrt(var + eps) · g + b. */
void es_layernorm(float *x, int T, int n, const float *g, const float *b,
                  float eps);
/* In place: x · Φ(x) with the exact erf form. */
void es_gelu_erf(float *x, size_t n);
/* In place softmax over each of T rows of length n. */
void es_softmax_rows(float *x, int T, int n);
/* In place x /= ||x||₂ (left as is when the norm is 0). */
void es_l2_normalize(float *x, int n);

#endif
