/* ops.c — layer norm, GELU, softmax, L2 normalisation. */
#include "nn/ops.h"

#include <math.h>

void es_layernorm(float *x, int T, int n, const float *g, const float *b,
                  float eps)
{
    for (int t = 0; t < T; t++) {
        float *r = x + (size_t)t * n;
        double mean = 0, var = 0;
        for (int i = 0; i < n; i++) mean += r[i];
        mean /= n;
        for (int i = 0; i < n; i++) {
            double d = r[i] - mean;
            var += d * d;
        }
        var /= n;
        float inv = (float)(1.0 / sqrt(var + eps));
        float m = (float)mean;
        for (int i = 0; i < n; i++) r[i] = (r[i] - m) * inv * g[i] + b[i];
    }
}

void es_gelu_erf(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

void es_softmax_rows(float *x, int T, int n)
{
    for (int t = 0; t < T; t++) {
        float *r = x + (size_t)t * n;
        float mx = r[0];
        for (int i = 1; i < n; i++) mx = r[i] > mx ? r[i] : mx;
        float sum = 0;
        for (int i = 0; i < n; i++) {
            r[i] = expf(r[i] - mx);
            sum += r[i];
        }
        float inv = 1.0f / sum;
        for (int i = 0; i < n; i++) r[i] *= inv;
    }
}

void es_l2_normalize(float *x, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)x[i] * x[i];
    if (s <= 0) return;
    float inv = (float)(1.0 / sqrt(s));
    for (int i = 0; i < n; i++) x[i] *= inv;
}
