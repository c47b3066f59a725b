/* test_linear.c — the dense layer in its three forms against a direct
 * double-precision product: float32 (sgemm), int8 weight-only (dequantized
 * tiles), the AVX-512 f32 kernel on weights packed at load, and the
 * AVX512-VNNI int8 kernel (activations quantized per row),
 * on shapes that are not multiples of the kernel's blocks. The VNNI part is
 * checked exactly: its result must equal the product of the quantized
 * operands, computed here independently. */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gemm_i8.h"
#include "nn/linear.h"

static float frand(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) / 16777216.0 - 0.5) * 2.0f;
}

static void make(es_linear *l, int n_out, int n_in, uint32_t *s)
{
    memset(l, 0, sizeof *l);
    assert_int_equal(es_matrix_alloc(&l->w, n_out, n_in, NULL), ES_OK);
    for (int i = 0; i < n_out * n_in; i++) l->w.f[i] = frand(s);
    l->bias = malloc(sizeof(float) * n_out);
    for (int i = 0; i < n_out; i++) l->bias[i] = frand(s);
}

/* y = x·Wᵀ + b in double, with W given as float rows. */
static void direct(const float *w, const float *bias, const float *x, int T,
                   int n_out, int n_in, double *y)
{
    for (int t = 0; t < T; t++)
        for (int o = 0; o < n_out; o++) {
            double acc = bias[o];
            for (int k = 0; k < n_in; k++)
                acc += (double)x[t * n_in + k] * w[o * n_in + k];
            y[t * n_out + o] = acc;
        }
}

static void check_shape(int n_out, int n_in, int T)
{
    uint32_t s = (uint32_t)(n_out * 131 + n_in * 7 + T);
    es_linear l;
    make(&l, n_out, n_in, &s);
    float *x = malloc(sizeof(float) * T * n_in), *y = malloc(sizeof(float) * T * n_out);
    double *ref = malloc(sizeof(double) * T * n_out);
    for (int i = 0; i < T * n_in; i++) x[i] = frand(&s) * (i % 5 == 0 ? 4.0f : 1.0f);
    float *scratch = malloc(sizeof(float) * (ES_LINEAR_TILE * (size_t)n_in + 1));

    /* float32 */
    direct(l.w.f, l.bias, x, T, n_out, n_in, ref);
    assert_int_equal(es_linear_forward(&l, x, T, y, scratch), ES_OK);
    for (int i = 0; i < T * n_out; i++)
        if (fabs(y[i] - ref[i]) > 1e-4 * (1 + fabs(ref[i])))
            fail_msg("f32 %dx%d T=%d: y[%d]=%g ref %g", n_out, n_in, T, i, y[i], ref[i]);

    /* f32 packed once (AVX-512 kernel): same product */
    if (es_f32_avx512_usable()) {
        es_f32_packed fp;
        assert_int_equal(es_f32_pack(l.w.f, n_out, n_in, &fp, NULL), ES_OK);
        for (int r = 0; r < n_out; r += 7) {   /* the packing round-trips */
            float row[128];
            es_f32_packed_row(&fp, r, row);
            assert_memory_equal(row, l.w.f + (size_t)r * n_in, sizeof(float) * n_in);
        }
        es_f32_gemm(&fp, x, T, l.bias, y);
        for (int i = 0; i < T * n_out; i++)
            if (fabs(y[i] - ref[i]) > 1e-4 * (1 + fabs(ref[i])))
                fail_msg("f32 packed %dx%d T=%d: y[%d]=%g ref %g", n_out, n_in, T, i,
                         y[i], ref[i]);
        es_f32_packed_free(&fp);
    }

    /* int8 weight-only: exact w.r.t. the dequantized weights */
    es_matrix_quantize(&l.w, NULL);
    float *deq = malloc(sizeof(float) * n_out * n_in);
    for (int r = 0; r < n_out; r++) es_matrix_row(&l.w, r, deq + r * n_in);
    direct(deq, l.bias, x, T, n_out, n_in, ref);
    assert_int_equal(es_linear_forward(&l, x, T, y, scratch), ES_OK);
    for (int i = 0; i < T * n_out; i++)
        if (fabs(y[i] - ref[i]) > 1e-4 * (1 + fabs(ref[i])))
            fail_msg("int8 %dx%d T=%d: y[%d]=%g ref %g", n_out, n_in, T, i, y[i], ref[i]);

    /* VNNI: equal to the product of per-row quantized activations and the
     * int8 weights, up to float rounding of the final scaling */
    if (es_i8_vnni_usable()) {
        es_i8_packed p;
        assert_int_equal(es_i8_pack(l.w.q, l.w.scale, n_out, n_in, &p, NULL), ES_OK);
        assert_int_equal(es_i8_gemm(&p, x, T, l.bias, y), ES_OK);
        for (int t = 0; t < T; t++) {
            float amax = 0;
            for (int k = 0; k < n_in; k++) amax = fmaxf(amax, fabsf(x[t * n_in + k]));
            float sx = amax > 0 ? amax / 127.0f : 1.0f;
            for (int o = 0; o < n_out; o++) {
                long acc = 0;
                for (int k = 0; k < n_in; k++)
                    acc += lrintf(x[t * n_in + k] * (1.0f / sx)) * l.w.q[o * n_in + k];
                double want = (double)acc * sx * l.w.scale[o] + l.bias[o];
                double got = y[t * n_out + o];
                if (fabs(got - want) > 1e-5 * (1 + fabs(want)))
                    fail_msg("vnni %dx%d T=%d: y[%d][%d]=%g want %g", n_out, n_in,
                             T, t, o, got, want);
            }
        }
        es_i8_packed_free(&p);
    }
    es_linear_free(&l);
    free(deq);
    free(x);
    free(y);
    free(ref);
    free(scratch);
}

static void test_shapes(void **state)
{
    (void)state;
    static const int outs[] = {1, 15, 16, 17, 40, 300};
    static const int ins[] = {1, 3, 4, 5, 17, 64, 97};
    static const int Ts[] = {1, 2, 5, 6, 7, 8, 9, 20, 61, 130};
    for (size_t a = 0; a < sizeof outs / sizeof *outs; a++)
        for (size_t b = 0; b < sizeof ins / sizeof *ins; b++)
            for (size_t c = 0; c < sizeof Ts / sizeof *Ts; c++)
                check_shape(outs[a], ins[b], Ts[c]);
}

static void test_to_int8_packs_when_vnni(void **state)
{
    (void)state;
    uint32_t s = 3;
    es_linear l;
    make(&l, 64, 128, &s);
    size_t f32 = es_linear_bytes(&l);
    assert_int_equal(es_linear_to_int8(&l, NULL), ES_OK);
    assert_true(es_linear_bytes(&l) * 3 < f32);   /* ≥ 3× smaller */
    if (es_i8_vnni_usable()) assert_non_null(l.packed);
    else assert_null(l.packed);
    es_linear_free(&l);
    /* f32 finalize packs for the AVX-512 kernel; to_int8 afterwards works */
    make(&l, 40, 24, &s);
    float x[3 * 24], y1[3 * 40], y2[3 * 40];
    for (int i = 0; i < 3 * 24; i++) x[i] = frand(&s);
    assert_int_equal(es_linear_forward(&l, x, 3, y1, NULL), ES_OK);
    assert_int_equal(es_linear_finalize(&l, 0, NULL), ES_OK);
    assert_true(es_f32_avx512_usable() ? l.fpacked != NULL : l.fpacked == NULL);
    assert_int_equal(es_linear_forward(&l, x, 3, y2, NULL), ES_OK);
    for (int i = 0; i < 3 * 40; i++) assert_true(fabsf(y1[i] - y2[i]) < 1e-4f);
    assert_int_equal(es_linear_to_int8(&l, NULL), ES_OK);
    assert_null(l.fpacked);
    float *scr = malloc(sizeof(float) * ES_LINEAR_TILE * 24);
    assert_int_equal(es_linear_forward(&l, x, 3, y2, scr), ES_OK);
    for (int i = 0; i < 3 * 40; i++) assert_true(fabsf(y1[i] - y2[i]) < 0.05f);
    free(scr);
    es_linear_free(&l);
    if (!es_i8_vnni_usable())
        printf("note: this CPU has no AVX512-VNNI; only the weight-only int8 "
               "path was tested\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_to_int8_packs_when_vnni),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
