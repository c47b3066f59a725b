/* test_fft.c — the two FFT back ends (av_tx, KissFFT) against a direct DFT
 * in double, for the sizes earshot uses (400: Whisper, 1024: features) and
 * an odd-factor size. */
#include "testlib.h"

#include <math.h>
#include <stdlib.h>

#include "dsp/fft.h"

static void check_size(int n, int force_kiss)
{
    es_rfft *p = es_rfft_create_with(n, force_kiss);
    assert_non_null(p);
    float *x = malloc(sizeof(float) * n), *pw = malloc(sizeof(float) * (n / 2 + 1));
    uint32_t s = 7;
    for (int i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((s >> 8) / 16777216.0 - 0.5) + (float)sin(0.1 * i);
    }
    es_rfft_power(p, x, pw);
    double maxref = 0, maxerr = 0;
    for (int k = 0; k <= n / 2; k++) {
        double re = 0, im = 0;
        for (int i = 0; i < n; i++) {
            re += x[i] * cos(2 * M_PI * k * i / n);
            im -= x[i] * sin(2 * M_PI * k * i / n);
        }
        double ref = re * re + im * im;
        if (ref > maxref) maxref = ref;
        double e = fabs(ref - pw[k]);
        if (e > maxerr) maxerr = e;
    }
    /* float32 FFT: relative error of the power ~ 1e-6 of the peak */
    if (!(maxerr <= 1e-5 * maxref))
        fail_msg("n=%d kiss=%d: max err %g vs peak %g", n, force_kiss, maxerr, maxref);
    free(x);
    free(pw);
    es_rfft_free(p);
}

static void av_tx_matches_dft(void **state)
{
    (void)state;
    int sizes[] = {400, 1024, 2048, 30};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) check_size(sizes[i], 0);
}

static void kiss_matches_dft(void **state)
{
    (void)state;
    int sizes[] = {400, 1024, 30};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) check_size(sizes[i], 1);
}

static void back_end_choice(void **state)
{
    (void)state;
    /* Powers of two use av_tx (the features' 1024), other sizes KissFFT. */
    es_rfft *a = es_rfft_create(1024), *b = es_rfft_create(400);
    assert_true(es_rfft_uses_av_tx(a));
    assert_false(es_rfft_uses_av_tx(b));   /* not a power of two */
    es_rfft_free(a);
    es_rfft_free(b);
    es_rfft *k = es_rfft_create_with(1024, 1);
    assert_false(es_rfft_uses_av_tx(k));
    es_rfft_free(k);
}

static void bad_sizes_are_refused(void **state)
{
    (void)state;
    assert_null(es_rfft_create(0));
    assert_null(es_rfft_create(401));
    assert_null(es_rfft_create(-4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(av_tx_matches_dft),
        cmocka_unit_test(kiss_matches_dft),
        cmocka_unit_test(back_end_choice),
        cmocka_unit_test(bad_sizes_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
