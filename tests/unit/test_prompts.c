/* test_prompts.c — label prompts (src/data/prompts.c): label → words,
 * template filling and its errors, and es_prompt_embed_labels against the
 * mean of the single-text embeddings, renormalised, on a tiny word-vector
 * model (converted with scripts/wordvec-convert.py, as test_wordvec.c). */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/prompts.h"

#define DIM 8

static const char *const vocab[] = {"the", "sound", "of", "church", "bells", "dog",
                                    "a", "recording", "rain", "heavy", "noise"};
#define N_VOCAB (sizeof vocab / sizeof *vocab)

static void test_format(void **state)
{
    (void)state;
    char out[64];
    es_error err = {0};
    assert_int_equal(es_prompt_format(ES_PROMPT_DEFAULT, "church_bells", out, sizeof out, &err),
                     ES_OK);
    assert_string_equal(out, "the sound of church bells");
    assert_int_equal(es_prompt_format("{}", "_dog--bark__ _loud-", out, sizeof out, &err),
                     ES_OK);
    assert_string_equal(out, "dog bark loud");
    assert_int_equal(es_prompt_format("{} and {}", "rain", out, sizeof out, &err), ES_OK);
    assert_string_equal(out, "rain and {}");
    assert_int_equal(es_prompt_format("a recording of {}.", "Engine-idling", out, sizeof out,
                                      &err), ES_OK);
    assert_string_equal(out, "a recording of Engine idling.");
    /* exactly fitting, then one byte short */
    assert_int_equal(es_prompt_format("x {}", "ab", out, 5, &err), ES_OK);
    assert_string_equal(out, "x ab");
    assert_int_equal(es_prompt_format("x {}", "ab", out, 4, &err), ES_ERR_INVALID_ARG);
    printf("     %s\n", err.message);
    assert_int_equal(es_prompt_format("the sound of it", "dog", out, sizeof out, &err),
                     ES_ERR_INVALID_ARG);
    printf("     %s\n", err.message);
    assert_non_null(strstr(err.message, "{}"));
}

static char model_path[4096];

static void make_model(void)
{
    const char *tmp = es_test_tmp_dir();
    const char *json = es_test_path("%s/tiny.json", tmp);
    FILE *f = fopen(json, "w");
    assert_non_null(f);
    fprintf(f, "{\"precision\":8,\"l2NormIndex\":%d,\"wordIndex\":%d,\"size\":%zu,"
               "\"dimensions\":%d,\"words\":[", DIM, DIM + 1, N_VOCAB, DIM);
    for (size_t i = 0; i < N_VOCAB; i++) fprintf(f, "%s\"%s\"", i ? "," : "", vocab[i]);
    fprintf(f, "],\"vectors\":{");
    for (size_t i = 0; i < N_VOCAB; i++) {
        fprintf(f, "%s\"%s\":[", i ? "," : "", vocab[i]);
        for (int d = 0; d < DIM; d++)
            fprintf(f, "%.8f,", sin((double)(i * 7 + (size_t)d) * 1.3) * (1.0 + (double)(i % 3)));
        fprintf(f, "1.0,%zu]", i);
    }
    fprintf(f, "},\"unkVector\":[0,0,0,0,0,0,0,0,0,-1]}");
    fclose(f);
    snprintf(model_path, sizeof model_path, "%s/tiny.eswv", tmp);
    const char *src = getenv("EARSHOT_SRC");
    es_test_sh("/usr/bin/python3 %s/scripts/wordvec-convert.py --quiet %s %s",
               src && *src ? src : ".", json, model_path);
}

static void test_embed(void **state)
{
    (void)state;
    make_model();
    es_text_encoder *e = NULL;
    es_error err = {0};
    assert_int_equal(es_text_encoder_open(model_path, NULL, &e, &err), ES_OK);
    assert_int_equal(es_text_encoder_dim(e), DIM);
    const char *labels[3] = {"church_bells", "dog", "heavy-rain"};
    const char *tmpl[2] = {ES_PROMPT_DEFAULT, "a recording of {} noise"};
    float got[3 * DIM];
    assert_int_equal(es_prompt_embed_labels(e, labels, 3, tmpl, 2, got, &err), ES_OK);
    for (int l = 0; l < 3; l++) {
        float single[2][DIM];
        for (int t = 0; t < 2; t++) {
            char text[128];
            assert_int_equal(es_prompt_format(tmpl[t], labels[l], text, sizeof text, &err),
                             ES_OK);
            const char *texts[1] = {text};
            assert_int_equal(es_text_encoder_embed(e, texts, 1, single[t], &err), ES_OK);
        }
        double want[DIM], nn = 0.0;
        for (int d = 0; d < DIM; d++) {
            want[d] = 0.5 * ((double)single[0][d] + single[1][d]);
            nn += want[d] * want[d];
        }
        double gn = 0.0;
        for (int d = 0; d < DIM; d++) {
            assert_float_equal(got[l * DIM + d], want[d] / sqrt(nn), 1e-5);
            gn += (double)got[l * DIM + d] * got[l * DIM + d];
        }
        assert_float_equal(gn, 1.0, 1e-5);
    }
    /* one template: the plain embedding of the prompt */
    float one[DIM], direct[DIM];
    assert_int_equal(es_prompt_embed_labels(e, labels + 1, 1, tmpl, 1, one, &err), ES_OK);
    const char *texts[1] = {"the sound of dog"};
    assert_int_equal(es_text_encoder_embed(e, texts, 1, direct, &err), ES_OK);
    for (int d = 0; d < DIM; d++) assert_float_equal(one[d], direct[d], 1e-5);
    /* a bad template fails, naming it */
    const char *bad[1] = {"no hole"};
    assert_int_equal(es_prompt_embed_labels(e, labels, 3, bad, 1, got, &err),
                     ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "no hole"));
    assert_int_equal(es_prompt_embed_labels(e, labels, 3, tmpl, 0, got, &err),
                     ES_ERR_INVALID_ARG);
    es_text_encoder_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_embed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
