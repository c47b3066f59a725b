/* test_dsp_mel.c — mel scale, filterbank shape and the periodic Hann window.
 * (The comparison with openai's mel_filters.npz is in tests/ref.) */
#include "testlib.h"

#include <math.h>
#include <stdlib.h>

#include "dsp/mel.h"

static void mel_scale_round_trips(void **state)
{
    (void)state;
    double hz[] = {0, 100, 999.9, 1000, 1000.1, 4000, 8000, 22050};
    for (size_t i = 0; i < sizeof hz / sizeof hz[0]; i++)
        assert_true(fabs(es_mel_to_hz(es_hz_to_mel(hz[i])) - hz[i]) < 1e-9 * (1 + hz[i]));
    /* Slaney: 1000 Hz is mel 15; linear below. */
    assert_true(fabs(es_hz_to_mel(1000.0) - 15.0) < 1e-12);
    assert_true(fabs(es_hz_to_mel(500.0) - 7.5) < 1e-12);
}

static void filters_are_triangles_with_slaney_area(void **state)
{
    (void)state;
    int n_fft = 400, n_mels = 80, nb = n_fft / 2 + 1;
    float *w = malloc(sizeof(float) * n_mels * nb);
    assert_int_equal(es_mel_filters(16000, n_fft, n_mels, 0, 8000, w), 0);
    for (int m = 0; m < n_mels; m++) {
        int peak = 0, nonzero = 0;
        for (int k = 0; k < nb; k++) {
            float v = w[m * nb + k];
            assert_true(v >= 0.0f);
            if (v > w[m * nb + peak]) peak = k;
            if (v > 0) nonzero++;
        }
        assert_true(nonzero >= 1);
        /* rises to the peak, falls after it */
        for (int k = 1; k <= peak; k++) assert_true(w[m * nb + k] >= w[m * nb + k - 1]);
        for (int k = peak + 1; k < nb; k++) assert_true(w[m * nb + k] <= w[m * nb + k - 1]);
    }
    assert_int_equal(es_mel_filters(16000, n_fft, n_mels, 100, 50, w), -1);
    free(w);
}

static void hann_is_periodic(void **state)
{
    (void)state;
    float w[400];
    es_hann_periodic(400, w);
    assert_true(w[0] == 0.0f);
    assert_true(fabsf(w[200] - 1.0f) < 1e-7f);
    for (int i = 1; i < 200; i++) assert_true(fabsf(w[i] - w[400 - i]) < 1e-6f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mel_scale_round_trips),
        cmocka_unit_test(filters_are_triangles_with_slaney_area),
        cmocka_unit_test(hann_is_periodic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
