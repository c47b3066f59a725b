/* test_wordvec.c — the word-vector text encoder's C API edges: NULL
 * arguments, empty texts and texts of unknown words (zero rows), the
 * dimension, case/Unicode/contraction folding seen through embeddings,
 * lookups and neighbours, open_named, damaged files, and concurrent embeds
 * on one handle (which the backend claims are safe). The model is a tiny
 * wink-format JSON converted with scripts/wordvec-convert.py. */
#include "testlib.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earshot.h"
#include "models/wordvec/wordvec.h"

#define DIM 8

static const char *const vocab[] = {
    "the", ",", "dog", "dogs", "not", "do", "can", "bark", "barking", "well-known",
    "cat", "rain", "cafe", "strasse", "fine", "mp3", "well", "known", "violin", "loud",
};
#define N_VOCAB (sizeof vocab / sizeof *vocab)

static char model_path[4096];
static char models_dir[2048];

static float component(size_t i, int d)
{
    return (float)(sin((double)(i * 7 + (size_t)d) * 1.3) * (1.0 + (double)(i % 3)));
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = es_test_tmp_dir();
    const char *json = es_test_path("%s/tiny.json", tmp);
    FILE *f = fopen(json, "w");
    if (!f) return -1;
    fprintf(f, "{\"precision\":8,\"l2NormIndex\":%d,\"wordIndex\":%d,\"size\":%zu,"
               "\"dimensions\":%d,\"words\":[", DIM, DIM + 1, N_VOCAB, DIM);
    for (size_t i = 0; i < N_VOCAB; i++) fprintf(f, "%s\"%s\"", i ? "," : "", vocab[i]);
    fprintf(f, "],\"vectors\":{");
    for (size_t i = 0; i < N_VOCAB; i++) {
        fprintf(f, "%s\"%s\":[", i ? "," : "", vocab[i]);
        for (int d = 0; d < DIM; d++) fprintf(f, "%.8f,", component(i, d));
        fprintf(f, "1.0,%zu]", i);
    }
    fprintf(f, "},\"unkVector\":[0,0,0,0,0,0,0,0,0,-1]}");
    fclose(f);
    snprintf(models_dir, sizeof models_dir, "%s/models", tmp);
    snprintf(model_path, sizeof model_path, "%s/%s", models_dir, ES_MODEL_WORDVEC_FILE);
    const char *src = getenv("EARSHOT_SRC");
    es_test_sh("mkdir -p %s/wordvec && /usr/bin/python3 %s/scripts/wordvec-convert.py "
               "--quiet %s %s", models_dir, src ? src : ".", json, model_path);
    return 0;
}

static es_text_encoder *open_model(void)
{
    es_error err = {0};
    es_text_encoder *e = NULL;
    es_status s = es_text_encoder_open(model_path, NULL, &e, &err);
    if (s != ES_OK) fail_msg("open %s: %s", model_path, err.message);
    return e;
}

static void embed1(es_text_encoder *e, const char *text, float *out)
{
    es_error err = {0};
    const char *texts[1] = {text};
    assert_int_equal(es_text_encoder_embed(e, texts, 1, out, &err), ES_OK);
}

static double norm(const float *v)
{
    double s = 0;
    for (int d = 0; d < DIM; d++) s += (double)v[d] * v[d];
    return sqrt(s);
}

static void assert_same(const float *a, const float *b)
{
    for (int d = 0; d < DIM; d++) assert_float_equal(a[d], b[d], 1e-6);
}

static void kind_dim_describe_identity(void **state)
{
    (void)state;
    es_text_encoder *e = open_model();
    assert_int_equal(es_text_encoder_get_kind(e), ES_TEXT_WORDVEC);
    assert_int_equal(es_text_encoder_dim(e), DIM);
    assert_non_null(strstr(es_text_encoder_describe(e), "f16"));
    assert_non_null(strstr(es_text_encoder_describe(e), "wink-sg-100d"));
    assert_int_equal(strncmp(es_text_encoder_identity(e), "wordvec:wink-sg-100d:8:", 23), 0);
    es_text_encoder_free(e);
}

static void null_and_missing_arguments(void **state)
{
    (void)state;
    es_error err = {0};
    es_text_encoder *e = NULL;
    assert_int_equal(es_text_encoder_open(NULL, NULL, &e, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_text_encoder_open(model_path, NULL, NULL, &err), ES_ERR_INVALID_ARG);
    const char *missing = es_test_path("%s/nope.eswv", es_test_tmp_dir());
    assert_int_equal(es_text_encoder_open(missing, NULL, &e, &err), ES_ERR_NOT_FOUND);
    assert_null(e);
    es_wordvec *wv = NULL;
    assert_int_equal(es_wordvec_open(NULL, &wv, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_wordvec_open(missing, &wv, &err), ES_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "install-wordvectors.sh"));
    assert_null(wv);

    e = open_model();
    float out[2 * DIM];
    const char *texts[2] = {"dog", NULL};
    assert_int_equal(es_text_encoder_embed(e, NULL, 0, NULL, &err), ES_OK);
    assert_int_equal(es_text_encoder_embed(e, NULL, 1, out, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_text_encoder_embed(e, texts, 1, NULL, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_text_encoder_embed(e, texts, 2, out, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_text_encoder_embed(NULL, texts, 1, out, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_text_encoder_embed(e, texts, 1, out, NULL), ES_OK);
    es_text_encoder_free(e);
    es_text_encoder_free(NULL);
    es_wordvec_close(NULL);
}

static void texts_without_known_words_give_zero_rows(void **state)
{
    (void)state;
    es_text_encoder *e = open_model();
    const char *texts[] = {"", " ", "!!!", ",,, ...", "zzq qqx blorf", "'", "собака",
                           "well-known"};
    size_t n = sizeof texts / sizeof *texts;
    float out[sizeof texts / sizeof *texts * DIM];
    es_error err = {0};
    memset(out, 0x7f, sizeof out);
    assert_int_equal(es_text_encoder_embed(e, texts, n, out, &err), ES_OK);
    for (size_t i = 0; i + 1 < n; i++) assert_true(norm(out + i * DIM) == 0.0);
    /* "well-known" splits into two known words. */
    assert_float_equal(norm(out + (n - 1) * DIM), 1.0, 1e-5);
    es_text_encoder_free(e);
}

static void folding_seen_through_embeddings(void **state)
{
    (void)state;
    es_text_encoder *e = open_model();
    float a[DIM], b[DIM];
    static const char *const same[][2] = {
        {"dog", "DOG"}, {"dog", "Dog's"}, {"dog", "dog zzq, !"}, {"do not", "don't"},
        {"do not", "DON’T"}, {"can not", "can't"}, {"cafe", "Café"}, {"cafe", "cafe\xcc\x81"},
        {"strasse", "Straße"}, {"fine", "\xef\xac\x81ne"}, {"dog", "\xef\xbc\xa4\xef\xbc\xaf\xef\xbc\xa7"},
        {"dog bark", "dog \xff bark"}, {"mp3", "MP3!"}, {"well known", "well-known"},
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        embed1(e, same[i][0], a);
        embed1(e, same[i][1], b);
        assert_float_equal(norm(a), 1.0, 1e-5);
        assert_same(a, b);
    }
    embed1(e, "dog", a);
    embed1(e, "cat", b);
    double dot = 0;
    for (int d = 0; d < DIM; d++) dot += (double)a[d] * b[d];
    assert_true(dot < 0.999);
    es_text_encoder_free(e);
}

static void lookups_weights_neighbors(void **state)
{
    (void)state;
    es_error err = {0};
    es_wordvec *wv = NULL;
    assert_int_equal(es_wordvec_open(model_path, &wv, &err), ES_OK);
    const es_wordvec_info *in = es_wordvec_get_info(wv);
    assert_int_equal(in->dim, DIM);
    assert_int_equal(in->n_words, N_VOCAB - 2); /* "," and "well-known" dropped */
    assert_int_equal(in->source_vocab_size, N_VOCAB);
    for (uint32_t i = 0; i < in->n_words; i++) {
        size_t len;
        const char *w = es_wordvec_word(wv, i, &len);
        assert_int_equal(es_wordvec_lookup(wv, w, len), (int64_t)i);
    }
    assert_int_equal(es_wordvec_lookup(wv, "well-known", 10), -1);
    assert_int_equal(es_wordvec_lookup(wv, "", 0), -1);
    assert_int_equal(es_wordvec_lookup(wv, "do", 1), -1); /* "d" */
    size_t len = 9;
    assert_string_equal(es_wordvec_word(wv, in->n_words, &len), "");
    assert_int_equal(len, 0);
    int64_t the = es_wordvec_lookup(wv, "the", 3), dog = es_wordvec_lookup(wv, "dog", 3);
    assert_int_equal(es_wordvec_rank(wv, (uint32_t)dog), 2);
    assert_true(es_wordvec_weight(wv, (uint32_t)the) < es_wordvec_weight(wv, (uint32_t)dog));
    assert_true(es_wordvec_weight(wv, (uint32_t)dog) < 1.0f);

    /* A one-word text is that word's vector, normalised. */
    float v[DIM] = {0}, s[DIM];
    es_wordvec_axpy(wv, (uint32_t)dog, 1.0f, v);
    double n = norm(v);
    assert_int_equal(es_wordvec_embed(wv, "dog", 3, s), 1);
    for (int d = 0; d < DIM; d++) assert_float_equal(s[d], v[d] / n, 1e-6);
    assert_int_equal(es_wordvec_embed(wv, NULL, 0, s), 0);

    uint32_t idx[64];
    float sim[64];
    size_t k = es_wordvec_neighbors(wv, v, dog, 64, idx, sim);
    assert_int_equal(k, in->n_words - 1);
    for (size_t i = 0; i < k; i++) {
        assert_true(idx[i] != (uint32_t)dog);
        if (i) assert_true(sim[i] <= sim[i - 1]);
    }
    k = es_wordvec_neighbors(wv, v, -1, 3, idx, NULL);
    assert_int_equal(k, 3);
    assert_int_equal(idx[0], (uint32_t)dog);
    float zero[DIM] = {0};
    assert_int_equal(es_wordvec_neighbors(wv, zero, -1, 3, idx, sim), 0);
    es_wordvec_close(wv);
}

static void open_named_finds_the_installed_file(void **state)
{
    (void)state;
    es_error err = {0};
    es_text_encoder *e = NULL;
    assert_int_equal(es_text_encoder_open_named("wordvec", models_dir, NULL, &e, &err), ES_OK);
    assert_int_equal(es_text_encoder_get_kind(e), ES_TEXT_WORDVEC);
    es_text_encoder_free(e);
    const char *empty = es_test_path("%s/no-models", es_test_tmp_dir());
    assert_int_equal(es_text_encoder_open_named("wordvec", empty, NULL, &e, &err),
                     ES_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "install-wordvectors.sh"));
}

static void damaged_files_are_refused(void **state)
{
    (void)state;
    const char *tmp = es_test_tmp_dir();
    const char *cut = es_test_path("%s/cut.eswv", tmp);
    const char *flip = es_test_path("%s/flip.eswv", tmp);
    es_test_sh("head -c 1000 %s > %s", model_path, cut);
    es_test_sh("cp %s %s && printf '\\377' | dd of=%s bs=1 seek=600 conv=notrunc "
               "2>/dev/null", model_path, flip, flip);
    es_error err = {0};
    es_text_encoder *e = NULL;
    assert_int_equal(es_text_encoder_open(cut, NULL, &e, &err), ES_ERR_TRUNCATED);
    assert_non_null(strstr(err.message, cut));
    assert_null(e);
    assert_int_equal(es_text_encoder_open(flip, NULL, &e, &err), ES_ERR_FORMAT);
    assert_non_null(strstr(err.message, "checksum"));
    assert_null(e);
}

/* Embeds on one handle from several threads at once must give exactly the
 * single-thread rows. */
#define N_THREADS 4
#define N_TEXTS 6
static const char *const thread_texts[N_TEXTS] = {
    "dog barking", "the loud violin", "Café rain", "don't bark", "", "cat, dogs & rain"};

typedef struct thread_job {
    es_text_encoder *e;
    const float *want;
    int ok;
} thread_job;

static void *thread_main(void *p)
{
    thread_job *j = p;
    float out[N_TEXTS * DIM];
    j->ok = 1;
    for (int r = 0; r < 300 && j->ok; r++) {
        es_error err = {0};
        if (es_text_encoder_embed(j->e, thread_texts, N_TEXTS, out, &err) != ES_OK ||
            memcmp(out, j->want, sizeof out) != 0)
            j->ok = 0;
    }
    return NULL;
}

static void concurrent_embeds_on_one_handle(void **state)
{
    (void)state;
    es_text_encoder *e = open_model();
    float want[N_TEXTS * DIM];
    es_error err = {0};
    assert_int_equal(es_text_encoder_embed(e, thread_texts, N_TEXTS, want, &err), ES_OK);
    pthread_t th[N_THREADS];
    thread_job jobs[N_THREADS];
    for (int t = 0; t < N_THREADS; t++) {
        jobs[t] = (thread_job){e, want, 0};
        assert_int_equal(pthread_create(&th[t], NULL, thread_main, &jobs[t]), 0);
    }
    for (int t = 0; t < N_THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_true(jobs[t].ok);
    }
    es_text_encoder_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kind_dim_describe_identity),
        cmocka_unit_test(null_and_missing_arguments),
        cmocka_unit_test(texts_without_known_words_give_zero_rows),
        cmocka_unit_test(folding_seen_through_embeddings),
        cmocka_unit_test(lookups_weights_neighbors),
        cmocka_unit_test(open_named_finds_the_installed_file),
        cmocka_unit_test(damaged_files_are_refused),
        cmocka_unit_test(concurrent_embeds_on_one_handle),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
