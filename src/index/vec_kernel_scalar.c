/* vec_kernel_scalar.c — portable C kernels of the vector search, for CPUs
 * without AVX2 and as the reference the AVX2 kernels are tested against.
 * f32: eight running sums per row (independent additions the compiler can
 * keep in two SSE registers), combined pairwise at the end. */
#include "index/vec_kernel.h"

static void dot_f32_scalar(const float *q, const float *rows, int dim,
                           size_t n, float *out)
{
    for (size_t i = 0; i < n; i++) {
        const float *r = rows + i * (size_t)dim;
        float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int j = 0;
        for (; j + 8 <= dim; j += 8)
            for (int l = 0; l < 8; l++)
                s[l] += q[j + l] * r[j + l];
        for (int l = 0; j < dim; j++, l++)
            s[l] += q[j] * r[j];
        out[i] = ((s[0] + s[1]) + (s[2] + s[3])) +
                 ((s[4] + s[5]) + (s[6] + s[7]));
    }
}

static void dot_i8_scalar(const int8_t *q, float q_scale, const int8_t *rows,
                          const float *scale, int dim, size_t n, float *out)
{
    for (size_t i = 0; i < n; i++) {
        const int8_t *r = rows + i * (size_t)dim;
        int32_t s = 0;
        for (int j = 0; j < dim; j++)
            s += (int32_t)q[j] * (int32_t)r[j];
        out[i] = (q_scale * scale[i]) * (float)s;
    }
}

const es_vec_kernel es_vec_kernel_scalar = {
    "scalar", dot_f32_scalar, dot_i8_scalar
};
