/* test_features.c — the public sound-feature API: dimensions, names, set
 * parsing, small ⊂ full, determinism, finite output on degenerate input.
 * (Numerical agreement with the NumPy reference: tests/ref/test_features.py.) */
#include "testlib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "earshot.h"

static const int small_in_full[5] = {0, 1, 73, 81, 126};

static es_features *make(es_feature_set set)
{
    es_features *f = NULL;
    es_error err;
    assert_int_equal(es_features_create(set, &f, &err), ES_OK);
    assert_non_null(f);
    return f;
}

static void dims_and_names(void **state)
{
    (void)state;
    es_features *full = make(ES_FEATURES_FULL), *small = make(ES_FEATURES_SMALL);
    assert_int_equal(es_features_dim(full), 128);
    assert_int_equal(es_features_dim(small), 5);
    assert_string_equal(es_features_component_name(full, 0), "mfcc_mean_0");
    assert_string_equal(es_features_component_name(full, 20), "mfcc_std_0");
    assert_string_equal(es_features_component_name(full, 43), "delta_std_3");
    assert_string_equal(es_features_component_name(full, 72), "delta2_std_12");
    assert_string_equal(es_features_component_name(full, 73), "centroid_mean");
    assert_string_equal(es_features_component_name(full, 84), "rms_std");
    assert_string_equal(es_features_component_name(full, 91), "contrast_mean_6");
    assert_string_equal(es_features_component_name(full, 122), "chroma_std_11");
    assert_string_equal(es_features_component_name(full, 126), "tempo_bpm");
    assert_string_equal(es_features_component_name(full, 127), "tempo_confidence");
    assert_null(es_features_component_name(full, 128));
    assert_null(es_features_component_name(full, -1));
    const char *sn[5] = {"mfcc_1", "mfcc_2", "centroid_mean", "zcr_mean", "tempo_bpm"};
    for (int i = 0; i < 5; i++)
        assert_string_equal(es_features_component_name(small, i), sn[i]);
    /* names are unique */
    for (int i = 0; i < 128; i++)
        for (int j = i + 1; j < 128; j++)
            assert_true(strcmp(es_features_component_name(full, i),
                               es_features_component_name(full, j)) != 0);
    es_features_free(full);
    es_features_free(small);
    es_features_free(NULL);
}

static void parse_sets(void **state)
{
    (void)state;
    es_feature_set s;
    es_error err;
    assert_int_equal(es_feature_set_parse("full", &s, &err), ES_OK);
    assert_int_equal(s, ES_FEATURES_FULL);
    assert_int_equal(es_feature_set_parse("small", &s, &err), ES_OK);
    assert_int_equal(s, ES_FEATURES_SMALL);
    assert_int_equal(es_feature_set_parse("bogus", &s, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(err.code, ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "bogus"));
    assert_non_null(strstr(err.message, "full"));
    assert_int_equal(es_feature_set_parse(NULL, &s, NULL), ES_ERR_INVALID_ARG);
    assert_string_equal(es_feature_set_name(ES_FEATURES_FULL), "full");
    assert_string_equal(es_feature_set_name(ES_FEATURES_SMALL), "small");
    es_features *f = NULL;
    assert_int_equal(es_features_create((es_feature_set)7, &f, &err), ES_ERR_INVALID_ARG);
    assert_null(f);
}

static float *noise(size_t n, float amp, unsigned seed)
{
    float *x = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = amp * ((float)(seed >> 8) / 8388608.0f - 1.0f);
    }
    return x;
}

static void small_is_part_of_full_and_deterministic(void **state)
{
    (void)state;
    size_t n = 48000;
    float *x = noise(n, 0.5f, 1);
    for (size_t i = 0; i < n; i++) x[i] += 0.3f * sinf(2.0f * (float)M_PI * 440.0f * i / 16000.0f);
    es_features *full = make(ES_FEATURES_FULL), *small = make(ES_FEATURES_SMALL);
    float a[128], b[128], s[5];
    assert_int_equal(es_features_compute(full, x, n, a, NULL), ES_OK);
    assert_int_equal(es_features_compute(small, x, n, s, NULL), ES_OK);
    for (int i = 0; i < 5; i++) assert_true(s[i] == a[small_in_full[i]]);
    /* a shorter call in between must not leak state into the next one */
    assert_int_equal(es_features_compute(full, x, 700, b, NULL), ES_OK);
    assert_int_equal(es_features_compute(full, x, n, b, NULL), ES_OK);
    assert_memory_equal(a, b, sizeof a);
    es_features *other = make(ES_FEATURES_FULL);
    assert_int_equal(es_features_compute(other, x, n, b, NULL), ES_OK);
    assert_memory_equal(a, b, sizeof a);
    es_features_free(other);
    es_features_free(full);
    es_features_free(small);
    free(x);
}

static void all_finite(const float *v, int n)
{
    for (int i = 0; i < n; i++) assert_true(isfinite(v[i]));
}

static void degenerate_inputs_stay_finite(void **state)
{
    (void)state;
    es_features *f = make(ES_FEATURES_FULL);
    size_t n = 32000;
    float v[128];
    float *x = calloc(n, sizeof(float));
    assert_int_equal(es_features_compute(f, x, n, v, NULL), ES_OK); /* silence */
    all_finite(v, 128);
    assert_true(v[73] == 0.0f && v[126] == 0.0f);
    for (size_t i = 0; i < n; i++) x[i] = 0.5f;                   /* DC */
    assert_int_equal(es_features_compute(f, x, n, v, NULL), ES_OK);
    all_finite(v, 128);
    free(x);
    x = noise(n, 1.0f, 3);                                         /* full scale */
    for (size_t i = 0; i < n; i += 7) x[i] = (i & 8) ? 1.0f : -1.0f;
    assert_int_equal(es_features_compute(f, x, n, v, NULL), ES_OK);
    all_finite(v, 128);
    assert_true(v[81] > 0.3f);                                     /* zcr_mean */
    float one = 0.25f;                                             /* length 1 */
    assert_int_equal(es_features_compute(f, &one, 1, v, NULL), ES_OK);
    all_finite(v, 128);
    assert_true(v[126] == 0.0f && v[127] == 0.0f);                 /* no tempo */
    free(x);
    es_features_free(f);
}

static void empty_input_is_rejected(void **state)
{
    (void)state;
    es_features *f = make(ES_FEATURES_FULL);
    float v[128], x = 0;
    es_error err;
    assert_int_equal(es_features_compute(f, &x, 0, v, &err), ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "empty"));
    assert_int_equal(es_features_compute(f, NULL, 10, v, &err), ES_ERR_INVALID_ARG);
    es_features_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dims_and_names),
        cmocka_unit_test(parse_sets),
        cmocka_unit_test(small_is_part_of_full_and_deterministic),
        cmocka_unit_test(degenerate_inputs_stay_finite),
        cmocka_unit_test(empty_input_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
