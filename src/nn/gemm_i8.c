/* gemm_i8.c — packing and the AVX512-VNNI kernel (see gemm_i8.h). */
#include "nn/gemm_i8.h"
#include "core/error.h"

#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PANEL 16
#define ROWS 8   /* token rows per register block: 8 accumulators */

int es_i8_vnni_usable(void)
{
    const char *off = getenv("EARSHOT_NO_VNNI");
    if (off && off[0] == '1') return 0;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}

es_status es_i8_pack(const int8_t *q, const float *scale, int n_out, int n_in,
                     es_i8_packed *p, es_error *err)
{
    memset(p, 0, sizeof *p);
    p->n_out = n_out;
    p->n_in = n_in;
    p->k4 = (n_in + 3) / 4 * 4;
    p->panels = (n_out + PANEL - 1) / PANEL;
    size_t bytes = (size_t)p->panels * PANEL * (size_t)p->k4;
    p->w = aligned_alloc(64, (bytes + 63) / 64 * 64);
    p->colsum = calloc((size_t)p->panels * PANEL, sizeof(int32_t));
    p->scale = calloc((size_t)p->panels * PANEL, sizeof(float));
    if (!p->w || !p->colsum || !p->scale) {
        es_i8_packed_free(p);
        return es_fail(err, ES_ERR_NOMEM, "out of memory packing a %d × %d "
                       "int8 matrix", n_out, n_in);
    }
    memset(p->w, 0, bytes);
    for (int n = 0; n < n_out; n++) {
        int8_t *panel = p->w + (size_t)(n / PANEL) * PANEL * p->k4;
        int col = n % PANEL;
        int32_t sum = 0;
        for (int k = 0; k < n_in; k++) {
            int8_t v = q[(size_t)n * n_in + k];
            panel[(size_t)(k / 4) * PANEL * 4 + col * 4 + k % 4] = v;
            sum += v;
        }
        p->colsum[n] = sum;
        p->scale[n] = scale[n];
    }
    return ES_OK;
}

void es_i8_packed_free(es_i8_packed *p)
{
    if (!p) return;
    free(p->w);
    free(p->colsum);
    free(p->scale);
    memset(p, 0, sizeof *p);
}

/* Quantizes rows of x to u8 = round(x / s) + 128 with s = max|x| / 127,
 * padded with 128 (zero) to k4 columns and to a multiple of ROWS rows.
 * Vectorized: done per call on every activation, it would otherwise cost
 * as much as the product itself. */
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void quantize_rows(const float *x, int T, int n_in, int k4, int rows,
                          uint8_t *xq, float *xs)
{
    const __m512i off = _mm512_set1_epi32(128);
    for (int t = 0; t < rows; t++) {
        uint8_t *dst = xq + (size_t)t * k4;
        if (t >= T) {
            memset(dst, 128, (size_t)k4);
            xs[t] = 0;
            continue;
        }
        const float *r = x + (size_t)t * n_in;
        __m512 mx = _mm512_setzero_ps();
        int k = 0;
        for (; k + 16 <= n_in; k += 16)
            mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_loadu_ps(r + k)));
        float amax = _mm512_reduce_max_ps(mx);
        for (; k < n_in; k++) amax = fmaxf(amax, fabsf(r[k]));
        float s = amax > 0 ? amax / 127.0f : 1.0f;
        __m512 inv = _mm512_set1_ps(1.0f / s);
        for (k = 0; k + 16 <= n_in; k += 16) {
            __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(r + k), inv));
            _mm_storeu_si128((__m128i *)(void *)(dst + k),
                             _mm512_cvtepi32_epi8(_mm512_add_epi32(q, off)));
        }
        for (; k < n_in; k++) dst[k] = (uint8_t)(int)(lrintf(r[k] / s) + 128);
        memset(dst + n_in, 128, (size_t)(k4 - n_in));
        xs[t] = s;
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
static void kernel(const es_i8_packed *p, const uint8_t *xq, const float *xs,
                   int T, const float *bias, float *y)
{
    const int k4 = p->k4, groups = k4 / 4;
    const __m512i off = _mm512_set1_epi32(128);
    for (int t0 = 0; t0 < T; t0 += ROWS) {
        const int32_t *xr[ROWS];
        for (int r = 0; r < ROWS; r++)
            xr[r] = (const int32_t *)(const void *)(xq + (size_t)(t0 + r) * k4);
        for (int pn = 0; pn < p->panels; pn++) {
            const int8_t *w = p->w + (size_t)pn * PANEL * k4;
            __m512i acc[ROWS];
            for (int r = 0; r < ROWS; r++) acc[r] = _mm512_setzero_si512();
            for (int g = 0; g < groups; g++) {
                __m512i wv = _mm512_load_si512((const void *)(w + (size_t)g * 64));
                for (int r = 0; r < ROWS; r++) {
                    int32_t xv;
                    memcpy(&xv, xr[r] + g, 4);
                    acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_set1_epi32(xv), wv);
                }
            }
            const int n0 = pn * PANEL;
            const int cols = p->n_out - n0 < PANEL ? p->n_out - n0 : PANEL;
            const __mmask16 m = (__mmask16)((1u << cols) - 1u);
            __m512i cs = _mm512_mullo_epi32(_mm512_loadu_si512(p->colsum + n0), off);
            __m512 sw = _mm512_loadu_ps(p->scale + n0);
            __m512 b = bias ? _mm512_maskz_loadu_ps(m, bias + n0) : _mm512_setzero_ps();
            for (int r = 0; r < ROWS && t0 + r < T; r++) {
                __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r], cs));
                v = _mm512_fmadd_ps(v, _mm512_mul_ps(sw, _mm512_set1_ps(xs[t0 + r])), b);
                _mm512_mask_storeu_ps(y + (size_t)(t0 + r) * p->n_out + n0, m, v);
            }
        }
    }
}

es_status es_i8_gemm(const es_i8_packed *p, const float *x, int T,
                     const float *bias, float *y)
{
    if (T <= 0) return ES_OK;
    int rows = (T + ROWS - 1) / ROWS * ROWS;
    uint8_t *xq = malloc((size_t)rows * p->k4);
    float *xs = malloc((size_t)rows * sizeof(float));
    if (!xq || !xs) {
        free(xq);
        free(xs);
        return ES_ERR_NOMEM;
    }
    quantize_rows(x, T, p->n_in, p->k4, rows, xq, xs);
    kernel(p, xq, xs, T, bias, y);
    free(xq);
    free(xs);
    return ES_OK;
}
