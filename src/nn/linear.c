/* linear.c — float32 / int8 weight matrices and the dense layer. */
#include "nn/linear.h"
#include "core/error.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

es_status es_matrix_alloc(es_matrix *m, int rows, int cols, es_error *err)
{
    memset(m, 0, sizeof *m);
    m->rows = rows;
    m->cols = cols;
    m->f = calloc((size_t)rows * (size_t)cols, sizeof(float));
    if (!m->f)
        return es_fail(err, ES_ERR_NOMEM, "out of memory for a %d × %d matrix",
                       rows, cols);
    return ES_OK;
}

void es_matrix_free(es_matrix *m)
{
    if (!m) return;
    free(m->f);
    free(m->q);
    free(m->scale);
    memset(m, 0, sizeof *m);
}

es_status es_matrix_quantize(es_matrix *m, es_error *err)
{
    if (!m->f) return ES_OK;
    size_t n = (size_t)m->rows * (size_t)m->cols;
    m->q = malloc(n ? n : 1);
    m->scale = malloc((size_t)(m->rows ? m->rows : 1) * sizeof(float));
    if (!m->q || !m->scale) {
        free(m->q);
        free(m->scale);
        m->q = NULL;
        m->scale = NULL;
        return es_fail(err, ES_ERR_NOMEM, "out of memory quantizing a %d × %d "
                       "matrix", m->rows, m->cols);
    }
    for (int r = 0; r < m->rows; r++) {
        const float *w = m->f + (size_t)r * m->cols;
        float amax = 0;
        for (int c = 0; c < m->cols; c++) amax = fmaxf(amax, fabsf(w[c]));
        float s = amax > 0 ? amax / 127.0f : 1.0f;
        float inv = 1.0f / s;
        int8_t *q = m->q + (size_t)r * m->cols;
        for (int c = 0; c < m->cols; c++) {
            float v = roundf(w[c] * inv);
            q[c] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
        }
        m->scale[r] = s;
    }
    free(m->f);
    m->f = NULL;
    return ES_OK;
}

void es_matrix_row(const es_matrix *m, int r, float *dst)
{
    if (m->f) {
        memcpy(dst, m->f + (size_t)r * m->cols, (size_t)m->cols * sizeof(float));
        return;
    }
    const int8_t *q = m->q + (size_t)r * m->cols;
    float s = m->scale[r];
    for (int c = 0; c < m->cols; c++) dst[c] = (float)q[c] * s;
}

size_t es_matrix_bytes(const es_matrix *m)
{
    size_t n = (size_t)m->rows * (size_t)m->cols;
    return m->f ? n * sizeof(float) : n + (size_t)m->rows * sizeof(float);
}

es_status es_linear_to_int8(es_linear *l, es_error *err)
{
    if (l->fpacked) {   /* back to row-major first */
        es_status s = es_matrix_alloc(&l->w, l->fpacked->n_out, l->fpacked->n_in, err);
        if (s) return s;
        for (int r = 0; r < l->w.rows; r++)
            es_f32_packed_row(l->fpacked, r, l->w.f + (size_t)r * l->w.cols);
        es_f32_packed_free(l->fpacked);
        free(l->fpacked);
        l->fpacked = NULL;
    }
    es_status s = es_matrix_quantize(&l->w, err);
    if (s || l->packed || !es_i8_vnni_usable()) return s;
    l->packed = calloc(1, sizeof *l->packed);
    if (!l->packed) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    s = es_i8_pack(l->w.q, l->w.scale, l->w.rows, l->w.cols, l->packed, err);
    if (s) {
        free(l->packed);
        l->packed = NULL;
        return s;
    }
    free(l->w.q);
    free(l->w.scale);
    l->w.q = NULL;
    l->w.scale = NULL;
    return ES_OK;
}

es_status es_linear_finalize(es_linear *l, int int8, es_error *err)
{
    if (int8) return es_linear_to_int8(l, err);
    if (!l->w.f || l->fpacked || !es_f32_avx512_usable()) return ES_OK;
    l->fpacked = calloc(1, sizeof *l->fpacked);
    if (!l->fpacked) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    es_status s = es_f32_pack(l->w.f, l->w.rows, l->w.cols, l->fpacked, err);
    if (s) {
        free(l->fpacked);
        l->fpacked = NULL;
        return s;
    }
    free(l->w.f);
    l->w.f = NULL;
    return ES_OK;
}

void es_linear_free(es_linear *l)
{
    if (!l) return;
    es_matrix_free(&l->w);
    free(l->bias);
    if (l->packed) es_i8_packed_free(l->packed);
    free(l->packed);
    if (l->fpacked) es_f32_packed_free(l->fpacked);
    free(l->fpacked);
    memset(l, 0, sizeof *l);
}

size_t es_linear_bytes(const es_linear *l)
{
    if (l->fpacked)
        return (size_t)l->fpacked->panels * 16 * (size_t)l->fpacked->n_in * sizeof(float);
    if (!l->packed) return es_matrix_bytes(&l->w);
    const es_i8_packed *p = l->packed;
    return (size_t)p->panels * 16 * ((size_t)p->k4 + 8);
}

size_t es_linear_scratch(const es_linear *l)
{
    return l->w.f || l->packed || l->fpacked ? 0
                                             : (size_t)ES_LINEAR_TILE * (size_t)l->w.cols;
}

es_status es_linear_forward(const es_linear *l, const float *x, int T,
                            float *y, float *scratch)
{
    const int n_out = l->w.rows, n_in = l->w.cols;
    if (T <= 0) return ES_OK;
    if (l->packed) return es_i8_gemm(l->packed, x, T, l->bias, y);
    if (l->fpacked) {
        es_f32_gemm(l->fpacked, x, T, l->bias, y);
        return ES_OK;
    }
    if (l->w.f && T == 1) {
        /* One row (a decoder step): OpenBLAS's sgemm takes twice as long as
         * sgemv here (Whisper tiny's logits: 16 vs 8 ms). */
        cblas_sgemv(CblasRowMajor, CblasNoTrans, n_out, n_in, 1.0f, l->w.f, n_in,
                    x, 1, 0.0f, y, 1);
    } else if (l->w.f) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, n_out, n_in,
                    1.0f, x, n_in, l->w.f, n_in, 0.0f, y, n_out);
    } else {
        for (int r0 = 0; r0 < n_out; r0 += ES_LINEAR_TILE) {
            int rows = n_out - r0 < ES_LINEAR_TILE ? n_out - r0 : ES_LINEAR_TILE;
            for (int r = 0; r < rows; r++)
                es_matrix_row(&l->w, r0 + r, scratch + (size_t)r * n_in);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, rows, n_in,
                        1.0f, x, n_in, scratch, n_in, 0.0f, y + r0, n_out);
        }
    }
    if (l->bias)
        for (int t = 0; t < T; t++) {
            float *yt = y + (size_t)t * n_out;
            for (int o = 0; o < n_out; o++) yt[o] += l->bias[o];
        }
    return ES_OK;
}
