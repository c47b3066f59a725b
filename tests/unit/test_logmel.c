/* test_logmel.c — the Whisper log-mel front end: frame count, determinism,
 * silence, short inputs, argument errors. (Agreement with a float64 NumPy
 * reference of openai's log_mel_spectrogram is in tests/ref/test_logmel.py.) */
#include "testlib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "earshot.h"

static float *noise(size_t n, uint32_t seed)
{
    float *x = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)((seed >> 8) / 16777216.0 - 0.5);
    }
    return x;
}

static es_logmel *make(int n_mels)
{
    es_logmel *m = NULL;
    es_error err = {0};
    if (es_logmel_create(n_mels, NULL, &m, &err) != ES_OK) fail_msg("%s", err.message);
    assert_int_equal(es_logmel_n_mels(m), n_mels);
    return m;
}

static void frame_count_is_n_over_160(void **state)
{
    (void)state;
    assert_int_equal(es_logmel_n_frames(0), 0);
    assert_int_equal(es_logmel_n_frames(159), 0);
    assert_int_equal(es_logmel_n_frames(160), 1);
    assert_int_equal(es_logmel_n_frames(319), 1);
    assert_int_equal(es_logmel_n_frames(320), 2);
    assert_int_equal(es_logmel_n_frames(480000), 3000);   /* a 30 s window */
    assert_int_equal(es_logmel_n_frames(176000), 1100);   /* jfk.wav */
}

static void output_is_deterministic_and_bounded(void **state)
{
    (void)state;
    size_t n = 16000 * 3 + 77, nf = es_logmel_n_frames(n);
    float *x = noise(n, 7);
    es_logmel *m = make(80);
    float *a = malloc(sizeof(float) * 80 * nf), *b = malloc(sizeof(float) * 80 * nf);
    es_error err = {0};
    assert_int_equal(es_logmel_compute(m, x, n, a, &err), ES_OK);
    assert_int_equal(es_logmel_compute(m, x, n, b, &err), ES_OK);
    assert_memory_equal(a, b, sizeof(float) * 80 * nf);
    /* A second handle gives the same bits too. */
    es_logmel *m2 = make(80);
    memset(b, 0, sizeof(float) * 80 * nf);
    assert_int_equal(es_logmel_compute(m2, x, n, b, &err), ES_OK);
    assert_memory_equal(a, b, sizeof(float) * 80 * nf);
    /* Max − 8 floor: values span at most 8 decades → 2.0 after /4. */
    float lo = a[0], hi = a[0];
    for (size_t i = 0; i < 80 * nf; i++) {
        assert_true(isfinite(a[i]));
        if (a[i] < lo) lo = a[i];
        if (a[i] > hi) hi = a[i];
    }
    assert_true(hi - lo <= 2.0f + 1e-6f);
    es_logmel_free(m);
    es_logmel_free(m2);
    free(a);
    free(b);
    free(x);
}

static void silence_is_minus_one_and_a_half(void **state)
{
    (void)state;
    /* Every mel value is 0 → log10(1e-10) = −10 (the max − 8 floor, −18,
     * does not bind) → (−10 + 4) / 4 = −1.5. */
    size_t n = 16000, nf = n / 160;
    float *x = calloc(n, sizeof(float));
    float *out = malloc(sizeof(float) * 128 * nf);
    es_logmel *m = make(128);
    es_error err = {0};
    assert_int_equal(es_logmel_compute(m, x, n, out, &err), ES_OK);
    for (size_t i = 0; i < 128 * nf; i++) assert_true(fabsf(out[i] + 1.5f) < 1e-6f);
    es_logmel_free(m);
    free(out);
    free(x);
}

static void sine_peaks_in_the_right_band(void **state)
{
    (void)state;
    /* 1 kHz is mel 15 on the Slaney scale; 80 bands span mel 0..45.245, so
     * band centres are k·45.245/81 and 1 kHz is nearest band 26 (centre 26.85
     * → index 26 since band b is centred on point b+1). */
    size_t n = 16000, nf = n / 160;
    float *x = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * (float)sin(2 * M_PI * 1000.0 * i / 16000.0);
    float *out = malloc(sizeof(float) * 80 * nf);
    es_logmel *m = make(80);
    es_error err = {0};
    assert_int_equal(es_logmel_compute(m, x, n, out, &err), ES_OK);
    size_t t = nf / 2;
    int best = 0;
    for (int b = 1; b < 80; b++)
        if (out[(size_t)b * nf + t] > out[(size_t)best * nf + t]) best = b;
    assert_true(best == 25 || best == 26);
    es_logmel_free(m);
    free(out);
    free(x);
}

static void short_inputs(void **state)
{
    (void)state;
    es_logmel *m = make(80);
    es_error err = {0};
    float sentinel = 12345.0f;
    float *x = noise(200, 3);
    /* n < 160: zero frames, ES_OK, out untouched; NULLs allowed. */
    assert_int_equal(es_logmel_compute(m, x, 159, &sentinel, &err), ES_OK);
    assert_true(sentinel == 12345.0f);
    assert_int_equal(es_logmel_compute(m, NULL, 0, NULL, &err), ES_OK);
    assert_int_equal(es_logmel_compute(m, x, 1, NULL, &err), ES_OK);
    /* 160 ≤ n ≤ 200: one frame, reflect padding repeated (numpy.pad). */
    float out[80];
    size_t lens[] = {160, 161, 200};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(es_logmel_compute(m, x, lens[i], out, &err), ES_OK);
        for (int b = 0; b < 80; b++) assert_true(isfinite(out[b]));
    }
    es_logmel_free(m);
    free(x);
}

static void argument_errors(void **state)
{
    (void)state;
    es_logmel *m = (es_logmel *)1;
    es_error err = {0};
    int bad[] = {0, -1, 1, 64, 79, 81, 127, 129, 256};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m = (es_logmel *)1;
        assert_int_equal(es_logmel_create(bad[i], NULL, &m, &err), ES_ERR_INVALID_ARG);
        assert_null(m);
        assert_int_equal(err.code, ES_ERR_INVALID_ARG);
        assert_non_null(strstr(err.message, "n_mels"));
    }
    assert_int_equal(es_logmel_create(80, NULL, NULL, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_logmel_create(80, NULL, &m, NULL), ES_OK);   /* err may be NULL */
    float *x = noise(1600, 5);
    float out[80 * 10];
    assert_int_equal(es_logmel_compute(NULL, x, 1600, out, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_logmel_compute(m, NULL, 1600, out, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_logmel_compute(m, x, 1600, NULL, &err), ES_ERR_INVALID_ARG);
    /* Non-finite samples are refused, not turned into NaN features. */
    x[800] = NAN;
    assert_int_equal(es_logmel_compute(m, x, 1600, out, &err), ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "NaN"));
    x[800] = INFINITY;
    assert_int_equal(es_logmel_compute(m, x, 1600, out, &err), ES_ERR_INVALID_ARG);
    x[800] = 0.0f;
    assert_int_equal(es_logmel_compute(m, x, 1600, out, &err), ES_OK);
    es_logmel_free(m);
    es_logmel_free(NULL);
    assert_int_equal(es_logmel_n_mels(NULL), 0);
    /* Caller-supplied filters must be finite and non-negative. */
    float *f = calloc(80 * 201, sizeof(float));
    f[5] = -1.0f;
    assert_int_equal(es_logmel_create(80, f, &m, &err), ES_ERR_INVALID_ARG);
    f[5] = NAN;
    assert_int_equal(es_logmel_create(80, f, &m, &err), ES_ERR_INVALID_ARG);
    free(f);
    free(x);
    assert_int_equal(es_logmel_create_from_ggml("/nonexistent/model.bin", &m, &err),
                     ES_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "/nonexistent/model.bin"));
}

static void caller_filters_are_used(void **state)
{
    (void)state;
    /* All-zero filters (no band touches any bin) behave like silence; a
     * filter picking one bin gives that bin's power. */
    float *f = calloc(80 * 201, sizeof(float));
    es_logmel *m = NULL;
    es_error err = {0};
    assert_int_equal(es_logmel_create(80, f, &m, &err), ES_OK);
    size_t n = 3200, nf = 20;
    float *x = noise(n, 11);
    float *out = malloc(sizeof(float) * 80 * nf);
    assert_int_equal(es_logmel_compute(m, x, n, out, &err), ES_OK);
    for (size_t i = 0; i < 80 * nf; i++) assert_true(out[i] == -1.5f);
    es_logmel_free(m);
    /* DC input, filter 0 = bin 0 only: power of a constant c under a
     * periodic Hann of 400 is (200c)² in bin 0 for interior frames. */
    f[0] = 1.0f;
    assert_int_equal(es_logmel_create(80, f, &m, &err), ES_OK);
    for (size_t i = 0; i < n; i++) x[i] = 0.25f;
    assert_int_equal(es_logmel_compute(m, x, n, out, &err), ES_OK);
    float expect = (log10f(50.0f * 50.0f) + 4.0f) / 4.0f;
    assert_true(fabsf(out[5] - expect) < 1e-5f);
    /* The other bands are floored at max − 8. */
    assert_true(fabsf(out[1 * nf + 5] - (expect - 2.0f)) < 1e-5f);
    es_logmel_free(m);
    free(out);
    free(x);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frame_count_is_n_over_160),
        cmocka_unit_test(output_is_deterministic_and_bounded),
        cmocka_unit_test(silence_is_minus_one_and_a_half),
        cmocka_unit_test(sine_peaks_in_the_right_band),
        cmocka_unit_test(short_inputs),
        cmocka_unit_test(argument_errors),
        cmocka_unit_test(caller_filters_are_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
