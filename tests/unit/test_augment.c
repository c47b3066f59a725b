/* test_augment.c — the augmentation transforms of src/data/augment.c: gain
 * scales the RMS by the drawn factor, noise lands at the drawn SNR, shift
 * is a rotation, mixing follows its formula (looped / cut partner), the
 * draws stay in their ranges, and a seed reproduces a copy exactly. */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/augment.h"
#include "util/rng.h"

#define N 16000

static void fill(float *x, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.3 * sin(0.01 * (double)i * (1.0 + (double)(seed % 7))) +
                       0.1 * (es_rng_uniform(&s) - 0.5));
}

static double rms(const float *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return sqrt(s / (double)n);
}

static es_augment_params all_on(void)
{
    es_augment_params p = es_augment_default_params();
    p.copies = 1;
    p.gain = p.noise = p.shift = p.mix = 1;
    return p;
}

static void test_defaults_and_parse(void **state)
{
    (void)state;
    es_augment_params p = es_augment_default_params();
    assert_int_equal(p.copies, 0);
    assert_false(p.gain || p.noise || p.shift || p.mix);
    assert_true(p.gain_db == 6.0f && p.snr_min_db == 10.0f && p.snr_max_db == 30.0f);
    assert_true(p.mix_prob == 0.5f);
    es_error err = {0};
    assert_int_equal(es_augment_parse("gain, noise", &p, &err), ES_OK);
    assert_true(p.gain && p.noise && !p.shift && !p.mix);
    assert_int_equal(es_augment_parse("shift,mix", &p, &err), ES_OK);
    assert_true(!p.gain && !p.noise && p.shift && p.mix);
    assert_int_equal(es_augment_parse("none", &p, &err), ES_OK);
    assert_false(p.gain || p.noise || p.shift || p.mix);
    assert_int_equal(es_augment_parse("gain,reverb", &p, &err), ES_ERR_INVALID_ARG);
    printf("     %s\n", err.message);
    assert_non_null(strstr(err.message, "reverb"));
    assert_int_equal(es_augment_parse("", &p, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_augment_parse("none,gain", &p, &err), ES_ERR_INVALID_ARG);
}

static void test_gain(void **state)
{
    (void)state;
    static float x[N], y[N];
    es_augment_params p = es_augment_default_params();
    p.gain = 1;
    fill(x, N, 1);
    for (uint64_t k = 0; k < 50; k++) {
        es_augment_draw d;
        es_augment_draw_copy(&p, es_augment_key(11, k, 0, 0), &d);
        assert_true(d.gain_db >= -6.0f && d.gain_db <= 6.0f);
        memcpy(y, x, sizeof y);
        es_augment_apply(&p, &d, y, N, NULL, 0);
        double want = pow(10.0, d.gain_db / 20.0);
        assert_true(fabs(rms(y, N) / rms(x, N) - want) < 1e-5 * want);
    }
}

static void test_noise(void **state)
{
    (void)state;
    static float x[N], y[N];
    es_augment_params p = es_augment_default_params();
    p.noise = 1;
    fill(x, N, 2);
    double lo = 1e9, hi = -1e9;
    for (uint64_t k = 0; k < 50; k++) {
        es_augment_draw d;
        es_augment_draw_copy(&p, es_augment_key(12, k, 1, 2), &d);
        assert_true(d.snr_db >= 10.0f && d.snr_db <= 30.0f);
        memcpy(y, x, sizeof y);
        es_augment_apply(&p, &d, y, N, NULL, 0);
        double ps = 0.0, pn = 0.0;
        for (size_t i = 0; i < N; i++) {
            double e = (double)y[i] - x[i];
            ps += (double)x[i] * x[i];
            pn += e * e;
        }
        double snr = 10.0 * log10(ps / pn);
        assert_true(fabs(snr - d.snr_db) < 0.5);
        lo = snr < lo ? snr : lo;
        hi = snr > hi ? snr : hi;
    }
    printf("     SNR measured over 50 draws: %.1f .. %.1f dB\n", lo, hi);
    /* silence stays silent (no SNR to aim at) */
    memset(y, 0, sizeof y);
    es_augment_noise(y, N, 20.0f, 5);
    assert_true(rms(y, N) == 0.0);
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void test_shift(void **state)
{
    (void)state;
    static float x[N], y[N], sx[N], sy[N];
    es_augment_params p = es_augment_default_params();
    p.shift = 1;
    fill(x, N, 3);
    int moved = 0;
    for (uint64_t k = 0; k < 20; k++) {
        es_augment_draw d;
        es_augment_draw_copy(&p, es_augment_key(13, k, 0, 0), &d);
        memcpy(y, x, sizeof y);
        es_augment_apply(&p, &d, y, N, NULL, 0);
        size_t s = (size_t)(d.shift_u * N);
        for (size_t i = 0; i < N; i++) assert_true(y[i] == x[(i + N - s) % N]);
        memcpy(sx, x, sizeof sx);
        memcpy(sy, y, sizeof sy);
        qsort(sx, N, sizeof *sx, cmp_f);
        qsort(sy, N, sizeof *sy, cmp_f);
        assert_memory_equal(sx, sy, sizeof sx);
        moved += s != 0;
    }
    assert_true(moved > 15);
    /* odd lengths and shifts by 0 and n − 1 */
    float a[7] = {1, 2, 3, 4, 5, 6, 7};
    es_augment_shift(a, 7, 0);
    assert_true(a[0] == 1 && a[6] == 7);
    es_augment_shift(a, 7, 6);
    assert_true(a[0] == 2 && a[5] == 7 && a[6] == 1);
    es_augment_shift(a, 7, 8);   /* 8 mod 7 = 1 */
    assert_true(a[0] == 1 && a[6] == 7);
}

static void test_mix(void **state)
{
    (void)state;
    static float a[N], b[N], y[N];
    fill(a, N, 4);
    fill(b, N, 5);
    for (size_t i = 0; i < N; i++) b[i] *= 0.25f;   /* quieter partner */
    es_augment_params p = es_augment_default_params();
    p.mix = 1;
    int mixed = 0;
    const int trials = 2000;
    for (int k = 0; k < trials; k++) {
        es_augment_draw d;
        es_augment_draw_copy(&p, es_augment_key(14, (uint64_t)k, 0, 0), &d);
        assert_true(d.mix_w >= 0.3f && d.mix_w <= 0.7f);
        assert_true(d.partner_u >= 0.0 && d.partner_u < 1.0);
        mixed += d.mix;
    }
    printf("     mixing drawn for %d of %d copies (mix_prob 0.5)\n", mixed, trials);
    assert_true(mixed > trials * 0.45 && mixed < trials * 0.55);

    /* the formula, with partners shorter (looped), longer (cut) and equal */
    const size_t lens[3] = {N / 3 + 7, N, N};
    const size_t na[3] = {N, N, N / 2};
    for (int c = 0; c < 3; c++) {
        const size_t n = na[c], nb = lens[c];
        const float w = 0.4f;
        memcpy(y, a, n * sizeof *y);
        es_augment_mix(y, n, b, nb, w);
        double sb = 0.0;
        for (size_t i = 0; i < n; i++) sb += (double)b[i % nb] * b[i % nb];
        double g = rms(a, n) / sqrt(sb / (double)n);
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            double want = w * a[i] + (1.0 - w) * g * b[i % nb];
            double e = fabs(y[i] - want);
            worst = e > worst ? e : worst;
        }
        assert_true(worst < 1e-6);
        /* the partner's part has the chunk's loudness, scaled by 1 − w */
        double pe = 0.0;
        for (size_t i = 0; i < n; i++) {
            double part = (double)y[i] - w * a[i];
            pe += part * part;
        }
        assert_true(fabs(sqrt(pe / (double)n) - (1.0 - w) * rms(a, n)) < 1e-4);
    }
    /* a silent partner leaves w·x */
    static float z[N];
    memcpy(y, a, sizeof y);
    es_augment_mix(y, N, z, N, 0.5f);
    for (size_t i = 0; i < N; i++) assert_true(fabsf(y[i] - 0.5f * a[i]) < 1e-7f);
}

static void test_reproducible(void **state)
{
    (void)state;
    static float x[N], p1[N], y1[N], y2[N], y3[N], y4[N];
    fill(x, N, 6);
    fill(p1, 3000, 7);
    es_augment_params p = all_on();
    p.mix_prob = 1.0f;
    es_augment_draw d1, d2, d3, d4;
    es_augment_draw_copy(&p, es_augment_key(42, 3, 1, 0), &d1);
    es_augment_draw_copy(&p, es_augment_key(42, 3, 1, 0), &d2);
    es_augment_draw_copy(&p, es_augment_key(43, 3, 1, 0), &d3);
    es_augment_draw_copy(&p, es_augment_key(42, 3, 1, 1), &d4);
    memcpy(y1, x, sizeof x);
    memcpy(y2, x, sizeof x);
    memcpy(y3, x, sizeof x);
    memcpy(y4, x, sizeof x);
    es_augment_apply(&p, &d1, y1, N, p1, 3000);
    es_augment_apply(&p, &d2, y2, N, p1, 3000);
    es_augment_apply(&p, &d3, y3, N, p1, 3000);
    es_augment_apply(&p, &d4, y4, N, p1, 3000);
    assert_memory_equal(y1, y2, sizeof y1);
    assert_true(memcmp(y1, y3, sizeof y1) != 0);   /* another seed */
    assert_true(memcmp(y1, y4, sizeof y1) != 0);   /* another copy */
    assert_true(memcmp(y1, x, sizeof y1) != 0);
    /* keys differ in every coordinate */
    assert_true(es_augment_key(1, 2, 3, 4) != es_augment_key(1, 2, 4, 3));
    assert_true(es_augment_key(1, 2, 3, 4) != es_augment_key(1, 3, 2, 4));
    assert_true(es_augment_key(0, 0, 0, 0) != es_augment_key(1, 0, 0, 0));

    /* turning a transform on or off does not change the other draws */
    es_augment_params q = es_augment_default_params();
    q.gain = 1;
    es_augment_draw e;
    es_augment_draw_copy(&q, es_augment_key(42, 3, 1, 0), &e);
    assert_true(e.gain_db == d1.gain_db && e.snr_db == d1.snr_db &&
                e.shift_u == d1.shift_u && e.noise_seed == d1.noise_seed);
    assert_false(e.mix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_parse),
        cmocka_unit_test(test_gain),
        cmocka_unit_test(test_noise),
        cmocka_unit_test(test_shift),
        cmocka_unit_test(test_mix),
        cmocka_unit_test(test_reproducible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
