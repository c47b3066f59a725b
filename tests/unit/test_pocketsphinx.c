/* test_pocketsphinx.c — the PocketSphinx ASR backend through the public
 * es_asr API: NULL arguments, model directories that are missing, not a
 * model, or lack the language model; languages it cannot do; empty, tiny
 * and silent input (no segments, no guessing); jfk.wav (the words, their
 * order, times inside the audio); a reused handle and a fresh one decoding
 * at once in two threads (both equal to the first result). Long input
 * (cuts between utterances) is tested through the CLI on 3 minutes of
 * speech in tests/ref/test_transcribe_cli.py.
 * Needs Debian's pocketsphinx-en-us; skipped (77) without it. */
#include "testlib.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "earshot.h"

static int have_model(void)
{
    struct stat st;
    return stat(ES_POCKETSPHINX_MODEL_DIR, &st) == 0;
}

static es_asr *open_ps(void)
{
    es_error err = {0};
    es_asr *a = NULL;
    es_status s = es_asr_open_named("pocketsphinx", NULL, NULL, &a, &err);
    if (s != ES_OK) fprintf(stderr, "open: %s\n", err.message);
    assert_int_equal(s, ES_OK);
    assert_non_null(a);
    return a;
}

static void test_null_args(void **state)
{
    (void)state;
    es_error err = {0};
    es_asr *a = (es_asr *)0x1;
    assert_int_equal(es_asr_open(NULL, NULL, &a, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_asr_open(ES_POCKETSPHINX_MODEL_DIR, NULL, NULL, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_asr_open_named("pocketsphinx", NULL, NULL, NULL, &err),
                     ES_ERR_INVALID_ARG);
    es_transcript *t = (es_transcript *)0x1;
    assert_int_equal(es_asr_transcribe(NULL, NULL, 0, &t, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_asr_get_kind(NULL), 0);
    assert_string_equal(es_asr_describe(NULL), "");
    es_asr_free(NULL);
    es_transcript_free(NULL);

    es_asr *ps = open_ps();
    assert_int_equal(es_asr_transcribe(ps, NULL, 0, NULL, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_asr_transcribe(ps, NULL, 10, &t, &err), ES_ERR_INVALID_ARG);
    /* no es_error at all is allowed */
    assert_int_equal(es_asr_transcribe(ps, NULL, 10, &t, NULL), ES_ERR_INVALID_ARG);
    es_asr_free(ps);
}

static void test_bad_model_dirs(void **state)
{
    (void)state;
    es_error err = {0};
    es_asr *a = NULL;
    const char *tmp = es_test_tmp_dir();

    const char *missing = es_test_path("%s/no-such-model", tmp);
    assert_int_equal(es_asr_open(missing, NULL, &a, &err), ES_ERR_NOT_FOUND);
    assert_null(a);
    assert_non_null(strstr(err.message, "no-such-model"));

    /* a directory that holds no acoustic model */
    const char *empty = es_test_path("%s/empty-model", tmp);
    es_test_sh("mkdir -p %s", empty);
    assert_int_equal(es_asr_open(empty, NULL, &a, &err), ES_ERR_FORMAT);
    assert_non_null(strstr(err.message, "empty-model"));
    assert_non_null(strstr(err.message, "not a PocketSphinx acoustic model"));

    /* the acoustic model without the language model beside it */
    const char *copy = es_test_path("%s/lonely/en-us", tmp);
    es_test_sh("mkdir -p %s && cp %s/* %s/", copy, ES_POCKETSPHINX_MODEL_DIR, copy);
    assert_int_equal(es_asr_open(copy, NULL, &a, &err), ES_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "no language model"));
    assert_non_null(strstr(err.message, "en-us.lm.bin"));

    /* ... with a language model but no dictionary */
    es_test_sh("cp %s/../en-us-phone.lm.bin %s/../en-us.lm.bin", ES_POCKETSPHINX_MODEL_DIR, copy);
    assert_int_equal(es_asr_open(copy, NULL, &a, &err), ES_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "no pronunciation dictionary"));

    /* every file present but the acoustic model damaged */
    const char *bad = es_test_path("%s/damaged/en-us", tmp);
    es_test_sh("mkdir -p %s && cp %s/* %s/ && cp %s/../cmudict-en-us.dict %s/.. && "
               "cp %s/../en-us.lm.bin %s/.. && head -c 1000 %s/mdef > %s/mdef.cut && "
               "mv %s/mdef.cut %s/mdef", bad, ES_POCKETSPHINX_MODEL_DIR, bad,
               ES_POCKETSPHINX_MODEL_DIR, bad, ES_POCKETSPHINX_MODEL_DIR, bad, bad,
               bad, bad, bad);
    assert_int_equal(es_asr_open(bad, NULL, &a, &err), ES_ERR_FORMAT);
    assert_non_null(strstr(err.message, "could not load"));
    assert_null(a);
}

static void test_params(void **state)
{
    (void)state;
    es_error err = {0};
    es_asr *a = NULL;
    es_asr_params p = es_asr_default_params();
    p.language = "de";
    assert_int_equal(es_asr_open(ES_POCKETSPHINX_MODEL_DIR, &p, &a, &err), ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "English"));
    p.language = "en";
    p.translate = 1;
    assert_int_equal(es_asr_open(ES_POCKETSPHINX_MODEL_DIR, &p, &a, &err), ES_ERR_INVALID_ARG);
    p.translate = 0;
    p.language = "auto";
    assert_int_equal(es_asr_open(ES_POCKETSPHINX_MODEL_DIR, &p, &a, &err), ES_OK);
    assert_int_equal(es_asr_get_kind(a), ES_ASR_POCKETSPHINX);
    assert_non_null(strstr(es_asr_describe(a), "pocketsphinx en-us"));
    es_asr_free(a);
    /* a trailing slash names the same model */
    assert_int_equal(es_asr_open(ES_POCKETSPHINX_MODEL_DIR "/", NULL, &a, &err), ES_OK);
    es_asr_free(a);
}

static void expect_no_segments(es_asr *a, const float *x, size_t n)
{
    es_error err = {0};
    es_transcript *t = NULL;
    assert_int_equal(es_asr_transcribe(a, x, n, &t, &err), ES_OK);
    assert_non_null(t);
    assert_int_equal(t->n_segments, 0);
    assert_string_equal(t->language, "en");
    assert_non_null(strstr(t->backend, "pocketsphinx"));
    es_transcript_free(t);
}

static void test_empty_tiny_silent(void **state)
{
    (void)state;
    es_asr *a = open_ps();
    expect_no_segments(a, NULL, 0);
    float one = 0.5f;
    expect_no_segments(a, &one, 1);
    float *z = calloc(16000 * 10, sizeof(float));
    assert_non_null(z);
    expect_no_segments(a, z, 16);               /* 1 ms */
    expect_no_segments(a, z, 16000 * 10);       /* 10 s of digital silence */
    for (size_t i = 0; i < 16000 * 10; i++)     /* −80 dBFS hum: no signal */
        z[i] = 1e-4f * (float)((i * 7919) % 200) / 200.0f;
    expect_no_segments(a, z, 16000 * 10);
    /* NaN and infinities are not audio, but must not crash or hang */
    for (size_t i = 0; i < 16000; i++)
        z[i] = i % 3 == 0 ? NAN : i % 3 == 1 ? INFINITY : -INFINITY;
    es_error err = {0};
    es_transcript *t = NULL;
    assert_int_equal(es_asr_transcribe(a, z, 16000, &t, &err), ES_OK);
    es_transcript_free(t);
    free(z);
    es_asr_free(a);
}

typedef struct job {
    es_asr *a;
    const float *x;
    size_t n;
    es_transcript *t;
    es_status s;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    es_error err = {0};
    j->s = es_asr_transcribe(j->a, j->x, j->n, &j->t, &err);
    return NULL;
}

static void assert_same(const es_transcript *a, const es_transcript *b)
{
    assert_int_equal(a->n_segments, b->n_segments);
    for (size_t i = 0; i < a->n_segments; i++) {
        assert_string_equal(a->segments[i].text, b->segments[i].text);
        assert_true(a->segments[i].start == b->segments[i].start);
        assert_true(a->segments[i].end == b->segments[i].end);
    }
}

static void test_jfk(void **state)
{
    (void)state;
    const char *path = es_test_require_shared("models/test-audio/jfk.wav");
    es_error err = {0};
    float *x = NULL;
    size_t n = 0;
    assert_int_equal(es_decode_file(path, 60, &x, &n, &err), ES_OK);
    double dur = (double)n / ES_SAMPLE_RATE;

    es_asr *a = open_ps();
    es_transcript *t = NULL;
    assert_int_equal(es_asr_transcribe(a, x, n, &t, &err), ES_OK);
    assert_true(t->n_segments >= 1);
    size_t len = 0;
    for (size_t i = 0; i < t->n_segments; i++) {
        const es_asr_segment *s = &t->segments[i];
        assert_true(s->start >= 0 && s->start <= s->end && s->end <= dur + 1e-9);
        if (i) assert_true(s->start >= t->segments[i - 1].end);
        assert_true(s->avg_logprob <= 0 && s->avg_logprob > -50);
        assert_true(s->no_speech_prob == 0);
        assert_int_equal(s->n_tokens, 0);
        assert_null(s->tokens);
        assert_true(s->text[0] != 0 && s->text[0] != ' ');
        assert_null(strchr(s->text, '<'));   /* no <s>, <sil> */
        assert_null(strchr(s->text, '['));   /* no [NOISE] */
        assert_null(strchr(s->text, '('));   /* no "word(2)" */
        len += strlen(s->text) + 1;
    }
    char *all = calloc(len + 1, 1);
    for (size_t i = 0; i < t->n_segments; i++) {
        strcat(all, t->segments[i].text);
        strcat(all, " ");
    }
    assert_non_null(strstr(all, "my fellow"));
    assert_non_null(strstr(all, "what your country can do for you"));
    assert_non_null(strstr(all, "what you can do for your"));
    free(all);

    /* the same handle again (after other audio) and a fresh one, in two
     * threads at once: both give what the first call gave */
    es_asr *b = open_ps();
    job j[2] = {{a, x, n, NULL, ES_OK}, {b, x, n, NULL, ES_OK}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, run_job, &j[i]), 0);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(j[i].s, ES_OK);
        assert_same(t, j[i].t);
        es_transcript_free(j[i].t);
    }
    es_asr_free(b);
    es_transcript_free(t);
    es_asr_free(a);
    es_free(x);
}

int main(void)
{
    if (!have_model()) {
        printf("SKIPPED: PocketSphinx's model %s is not installed "
               "(Debian package pocketsphinx-en-us)\n", ES_POCKETSPHINX_MODEL_DIR);
        return ES_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_args),
        cmocka_unit_test(test_bad_model_dirs),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_empty_tiny_silent),
        cmocka_unit_test(test_jfk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
