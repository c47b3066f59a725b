/* test_dataset.c — es_dataset_build (src/data/dataset.c) on a generated
 * manifest of small WAV files: chunking (23 s → 10 + 10 + 3 s; a tail
 * under 1 s dropped unless it is the only chunk), input widths, the
 * example → row / target mapping with text-only rows, inputs equal to
 * es_features_compute on the same samples, augmented copies (count,
 * reproducibility, mixing targets), progress, and errors naming the file
 * and its manifest line for corrupt and truncated audio. */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/augment.h"
#include "data/dataset.h"
#include "util/rng.h"

#define SR 16000

/* kind 0: tone at f Hz, 1: noise, 2: chirp from f */
static void make_wav(const char *name, double seconds, int kind, double f)
{
    const char *p = es_test_path("%s/%s", es_test_tmp_dir(), name);
    es_wav_writer *w = NULL;
    es_error err = {0};
    assert_int_equal(es_wav_writer_open(p, SR, &w, &err), ES_OK);
    size_t n = (size_t)llround(seconds * SR);
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    uint64_t s = (uint64_t)f * 7919u + (uint64_t)n;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / SR;
        if (kind == 0) x[i] = (float)(0.4 * sin(2 * M_PI * f * t));
        else if (kind == 1) x[i] = (float)(0.3 * (es_rng_uniform(&s) - 0.5));
        else x[i] = (float)(0.3 * sin(2 * M_PI * (f * t + 20.0 * t * t)) +
                            0.05 * (es_rng_uniform(&s) - 0.5));
    }
    assert_int_equal(es_wav_writer_write(w, x, n, &err), ES_OK);
    assert_int_equal(es_wav_writer_close(w, &err), ES_OK);
    free(x);
}

static const char *write_text(const char *name, const char *text)
{
    const char *p = es_test_path("%s/%s", es_test_tmp_dir(), name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return p;
}

static es_manifest *manifest;
static int all_rows[16];

/* rows: 0 tone 5 s beep | 1 noise 3 s hiss | 2 chirp 23 s beep |
 *       3 tone 0.5 s hiss | 4 text 2 s | 5 noise 10.5 s hiss | 6 text 1.5 s */
#define N_ROWS 7
static const int chunks_of[N_ROWS] = {1, 1, 3, 1, 1, 1, 1};

static int setup(void **state)
{
    (void)state;
    make_wav("tone.wav", 5.0, 0, 440.0);
    make_wav("noise.wav", 3.0, 1, 1.0);
    make_wav("long.wav", 23.0, 2, 200.0);
    make_wav("short.wav", 0.5, 0, 1000.0);
    make_wav("speech.wav", 2.0, 2, 300.0);
    make_wav("tail.wav", 10.5, 1, 2.0);
    make_wav("speech2.wav", 1.5, 0, 700.0);
    const char *p = write_text("ds.csv",
                               "path,label,transcript\n"
                               "tone.wav,beep,\n"
                               "noise.wav,hiss,\n"
                               "long.wav,beep,\n"
                               "short.wav,hiss,\n"
                               "speech.wav,,\"hello, there\"\n"
                               "tail.wav,hiss,\n"
                               "speech2.wav,,second text\n");
    es_manifest_columns c = es_manifest_default_columns();
    c.text = "transcript";
    es_error err = {0};
    if (es_manifest_load(p, &c, &manifest, &err) != ES_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    for (int i = 0; i < N_ROWS; i++) all_rows[i] = i;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    es_manifest_free(manifest);
    return 0;
}

static es_dataset *build(const es_dataset_params *p, const int *rows, size_t n)
{
    es_dataset *d = NULL;
    es_error err = {0};
    es_status s = es_dataset_build(manifest, rows, n, p, &d, &err);
    if (s) fail_msg("build: %s", err.message);
    return d;
}

typedef struct progress_log {
    size_t calls, last_done, total;
    int monotonic;
} progress_log;

static void on_progress(size_t done, size_t total, void *user)
{
    progress_log *l = user;
    if (done != l->last_done + 1) l->monotonic = 0;
    l->calls++;
    l->last_done = done;
    l->total = total;
}

/* The features of chunk [start, start + len) s of a file, computed apart. */
static void expect_features(es_feature_set set, const char *name, double start,
                            double len, const float *got)
{
    float *x = NULL;
    size_t n = 0;
    es_error err = {0};
    assert_int_equal(es_decode_file(es_test_path("%s/%s", es_test_tmp_dir(), name), 0, &x,
                                    &n, &err), ES_OK);
    size_t a = (size_t)llround(start * SR), m = (size_t)llround(len * SR);
    assert_true(a + m <= n);
    es_features *f = NULL;
    assert_int_equal(es_features_create(set, &f, &err), ES_OK);
    const int dim = es_features_dim(f);
    float *want = malloc((size_t)dim * sizeof *want);
    assert_int_equal(es_features_compute(f, x + a, m, want, &err), ES_OK);
    for (int i = 0; i < dim; i++)
        if (!(fabsf(want[i] - got[i]) <= 1e-6f * (1.0f + fabsf(want[i]))))
            fail_msg("%s [%g s +%g]: component %d: %g vs %g", name, start, len, i,
                     (double)got[i], (double)want[i]);
    free(want);
    es_features_free(f);
    es_free(x);
}

static void test_basic(void **state)
{
    (void)state;
    assert_int_equal(es_dataset_input_dim(ES_BRIDGE_INPUT_FULL, NULL), 128);
    assert_int_equal(es_dataset_input_dim(ES_BRIDGE_INPUT_SMALL, NULL), 5);
    assert_int_equal(es_dataset_input_dim(ES_BRIDGE_INPUT_HYBRID, NULL), -1);
    es_dataset_params p = es_dataset_default_params();
    assert_int_equal(p.input, ES_BRIDGE_INPUT_FULL);
    assert_true(p.chunk_s == 10.0);
    assert_int_equal(p.augment.copies, 0);
    progress_log log = {0, 0, 0, 1};
    p.progress = on_progress;
    p.user = &log;
    es_dataset *d = build(&p, all_rows, N_ROWS);
    assert_int_equal(log.calls, N_ROWS);
    assert_true(log.monotonic);
    assert_int_equal(log.total, N_ROWS);
    assert_int_equal(d->dim, 128);
    assert_int_equal(d->n, 9);
    assert_int_equal(d->n_labels, 2);   /* beep, hiss */
    assert_int_equal(d->n_text, 2);
    assert_ptr_equal(d->text[0], manifest->rows[4].text);
    assert_string_equal(d->text[0], "hello, there");
    assert_string_equal(d->text[1], "second text");
    /* examples in row order, chunks within a row in time order */
    const int want_row[9] = {0, 1, 2, 2, 2, 3, 4, 5, 6};
    const int want_target[9] = {0, 1, 0, 0, 0, 1, 2, 1, 3};
    for (size_t i = 0; i < d->n; i++) {
        assert_int_equal(d->row[i], want_row[i]);
        assert_int_equal(d->target_a[i], want_target[i]);
        assert_int_equal(d->target_b[i], -1);
        assert_true(d->mix_w[i] == 1.0f);
        assert_int_equal(d->augmented[i], 0);
    }
    /* the inputs are the features of exactly those samples */
    expect_features(ES_FEATURES_FULL, "tone.wav", 0, 5, d->x + 0 * 128);
    expect_features(ES_FEATURES_FULL, "long.wav", 0, 10, d->x + 2 * 128);
    expect_features(ES_FEATURES_FULL, "long.wav", 10, 10, d->x + 3 * 128);
    expect_features(ES_FEATURES_FULL, "long.wav", 20, 3, d->x + 4 * 128);
    expect_features(ES_FEATURES_FULL, "short.wav", 0, 0.5, d->x + 5 * 128);
    expect_features(ES_FEATURES_FULL, "tail.wav", 0, 10, d->x + 7 * 128);
    es_dataset_free(d);

    /* small features, a subset of rows in another order */
    p = es_dataset_default_params();
    p.input = ES_BRIDGE_INPUT_SMALL;
    const int sub[3] = {6, 2, 4};
    d = build(&p, sub, 3);
    assert_int_equal(d->dim, 5);
    assert_int_equal(d->n, 5);
    assert_int_equal(d->n_text, 2);
    assert_string_equal(d->text[0], "second text");   /* text ids in the given order */
    const int srow[5] = {6, 2, 2, 2, 4};
    const int star[5] = {2, 0, 0, 0, 3};
    for (size_t i = 0; i < d->n; i++) {
        assert_int_equal(d->row[i], srow[i]);
        assert_int_equal(d->target_a[i], star[i]);
    }
    expect_features(ES_FEATURES_SMALL, "long.wav", 10, 10, d->x + 2 * 5);
    es_dataset_free(d);

    /* a chunk length of 4 s: 23 s → 5 full chunks and 3 s */
    p = es_dataset_default_params();
    p.chunk_s = 4.0;
    const int one[1] = {2};
    d = build(&p, one, 1);
    assert_int_equal(d->n, 6);
    expect_features(ES_FEATURES_FULL, "long.wav", 20, 3, d->x + 5 * 128);
    es_dataset_free(d);

    /* no rows: an empty dataset */
    d = build(NULL, all_rows, 0);
    assert_int_equal(d->n, 0);
    es_dataset_free(d);
}

static int same_dataset(const es_dataset *a, const es_dataset *b)
{
    return a->n == b->n && a->dim == b->dim &&
           !memcmp(a->x, b->x, a->n * (size_t)a->dim * sizeof *a->x) &&
           !memcmp(a->row, b->row, a->n * sizeof *a->row) &&
           !memcmp(a->target_a, b->target_a, a->n * sizeof(int)) &&
           !memcmp(a->target_b, b->target_b, a->n * sizeof(int)) &&
           !memcmp(a->mix_w, b->mix_w, a->n * sizeof(float)) &&
           !memcmp(a->augmented, b->augmented, a->n);
}

static void test_augmented(void **state)
{
    (void)state;
    es_dataset *plain = build(NULL, all_rows, N_ROWS);
    es_dataset_params p = es_dataset_default_params();
    p.augment.copies = 3;
    p.augment.gain = p.augment.noise = p.augment.shift = p.augment.mix = 1;
    p.augment.seed = 1234;
    es_dataset *d = build(&p, all_rows, N_ROWS);
    assert_int_equal(d->n, plain->n * 4);
    size_t k = 0, mixed = 0, checked = 0;
    for (int r = 0; r < N_ROWS; r++) {
        for (int c = 0; c < chunks_of[r]; c++) {
            /* the original, identical to the plain build's */
            size_t o = k / 4;
            assert_int_equal(d->augmented[k], 0);
            assert_memory_equal(d->x + k * 128, plain->x + o * 128, 128 * sizeof(float));
            assert_int_equal(d->target_a[k], plain->target_a[o]);
            k++;
            for (int j = 0; j < 3; j++, k++) {
                assert_int_equal(d->augmented[k], 1);
                assert_int_equal(d->row[k], r);
                assert_int_equal(d->target_a[k], plain->target_a[o]);
                assert_true(memcmp(d->x + k * 128, plain->x + o * 128, 128 * sizeof(float)));
                if (d->target_b[k] >= 0) {
                    mixed++;
                    assert_true(manifest->rows[r].label_id >= 0);   /* never text rows */
                    assert_true(d->target_b[k] < d->n_labels);
                    assert_int_not_equal(d->target_b[k], d->target_a[k]);
                    assert_true(d->mix_w[k] >= 0.3f && d->mix_w[k] <= 0.7f);
                } else {
                    assert_true(d->mix_w[k] == 1.0f);
                }
            }
        }
    }
    printf("     %zu examples, %zu of the %zu copies mixed\n", d->n, mixed, d->n - plain->n);
    assert_true(mixed > 0);

    /* every copy equals the transforms applied by hand to its chunk (and,
     * when mixed, to the partner picked by the documented rule: partner_u
     * over the labelled chunks of another label, in build order) */
    {
        static const char *const names[N_ROWS] = {"tone.wav", "noise.wav", "long.wav",
                                                  "short.wav", "speech.wav", "tail.wav",
                                                  "speech2.wav"};
        static const double secs[N_ROWS] = {5, 3, 23, 0.5, 2, 10.5, 1.5};
        float *audio[N_ROWS];
        size_t len[N_ROWS];
        es_error err = {0};
        for (int r = 0; r < N_ROWS; r++)
            assert_int_equal(es_decode_file(es_test_path("%s/%s", es_test_tmp_dir(),
                                                         names[r]),
                                            0, &audio[r], &len[r], &err), ES_OK);
        /* the labelled chunks, in build order */
        int kr[16], kc[16], nk = 0;
        for (int r = 0; r < N_ROWS; r++)
            for (int c = 0; c < chunks_of[r] && manifest->rows[r].label_id >= 0; c++) {
                kr[nk] = r;
                kc[nk++] = c;
            }
        es_features *f = NULL;
        assert_int_equal(es_features_create(ES_FEATURES_FULL, &f, &err), ES_OK);
        float want[128];
        float *buf = malloc(10 * SR * sizeof *buf);
        size_t e = 0, n_mixed = 0;
        for (int r = 0; r < N_ROWS; r++) {
            for (int c = 0; c < chunks_of[r]; c++) {
                double cl = secs[r] - 10.0 * c < 10.0 ? secs[r] - 10.0 * c : 10.0;
                size_t n = (size_t)llround(cl * SR), a = (size_t)c * 10 * SR;
                e++;   /* the original */
                for (int j = 0; j < 3; j++, e++) {
                    es_augment_draw dr;
                    es_augment_draw_copy(&p.augment,
                                         es_augment_key(1234, (uint64_t)r, (uint64_t)c,
                                                        (uint64_t)j), &dr);
                    memcpy(buf, audio[r] + a, n * sizeof *buf);
                    const float *pb = NULL;
                    size_t pn = 0;
                    const int lab = manifest->rows[r].label_id;
                    if (dr.mix && lab >= 0) {
                        int other[16], no = 0;
                        for (int q = 0; q < nk; q++)
                            if (manifest->rows[kr[q]].label_id != lab) other[no++] = q;
                        int q = other[(int)(dr.partner_u * no)];
                        double pl = secs[kr[q]] - 10.0 * kc[q];
                        pl = pl < 10.0 ? pl : 10.0;
                        pb = audio[kr[q]] + (size_t)kc[q] * 10 * SR;
                        pn = (size_t)llround(pl * SR);
                        assert_int_equal(d->target_b[e], manifest->rows[kr[q]].label_id);
                        assert_true(d->mix_w[e] == dr.mix_w);
                        n_mixed++;
                    } else {
                        dr.mix = 0;
                        assert_int_equal(d->target_b[e], -1);
                    }
                    es_augment_apply(&p.augment, &dr, buf, n, pb, pn);
                    assert_int_equal(es_features_compute(f, buf, n, want, &err), ES_OK);
                    for (int i = 0; i < 128; i++)
                        if (!(fabsf(want[i] - d->x[e * 128 + (size_t)i]) <=
                              1e-6f * (1.0f + fabsf(want[i]))))
                            fail_msg("row %d chunk %d copy %d: component %d: %g vs %g", r,
                                     c, j, i, (double)d->x[e * 128 + (size_t)i],
                                     (double)want[i]);
                    checked++;
                }
            }
        }
        assert_int_equal(e, d->n);
        assert_int_equal(n_mixed, mixed);
        free(buf);
        es_features_free(f);
        for (int r = 0; r < N_ROWS; r++) es_free(audio[r]);
    }
    printf("     all %zu copies recomputed by hand from the draws\n", checked);

    /* same seed: identical; another seed: different */
    es_dataset *again = build(&p, all_rows, N_ROWS);
    assert_true(same_dataset(d, again));
    es_dataset_free(again);
    p.augment.seed = 99;
    es_dataset *other = build(&p, all_rows, N_ROWS);
    assert_int_equal(other->n, d->n);
    assert_false(same_dataset(d, other));
    es_dataset_free(other);

    /* copies without mixing: none mixed; all rows give copies */
    p.augment.mix = 0;
    p.augment.copies = 1;
    other = build(&p, all_rows, N_ROWS);
    assert_int_equal(other->n, plain->n * 2);
    for (size_t i = 0; i < other->n; i++) {
        assert_int_equal(other->target_b[i], -1);
        assert_int_equal(other->augmented[i], (uint8_t)(i % 2));
    }
    es_dataset_free(other);

    /* mixing with one label only in the build: no partner, copies unmixed */
    p.augment.mix = 1;
    p.augment.mix_prob = 1.0f;
    const int beeps[2] = {0, 2};
    other = build(&p, beeps, 2);
    assert_int_equal(other->n, 8);
    for (size_t i = 0; i < other->n; i++) assert_int_equal(other->target_b[i], -1);
    es_dataset_free(other);

    es_dataset_free(d);
    es_dataset_free(plain);
}

static void expect_build_error(const char *csv_name, const char *csv, es_status code,
                               const char *needle1, const char *needle2)
{
    es_manifest *m = NULL;
    es_error err = {0};
    assert_int_equal(es_manifest_load(write_text(csv_name, csv), NULL, &m, &err), ES_OK);
    int rows[8];
    for (size_t i = 0; i < m->n_rows; i++) rows[i] = (int)i;
    es_dataset *d = NULL;
    es_status s = es_dataset_build(m, rows, m->n_rows, NULL, &d, &err);
    printf("     %s\n", err.message);
    assert_int_equal(s, code);
    assert_null(d);
    assert_non_null(strstr(err.message, needle1));
    assert_non_null(strstr(err.message, needle2));
    assert_non_null(strstr(err.message, csv_name));
    es_manifest_free(m);
}

static void test_bad_audio(void **state)
{
    (void)state;
    write_text("corrupt.wav", "RIFF but not really a wave file, just some text\n");
    expect_build_error("bad1.csv", "path,label\ntone.wav,a\nnoise.wav,b\ncorrupt.wav,a\n",
                       ES_ERR_NOT_AUDIO, "line 4", "corrupt.wav");
    const char *cut = es_test_make_cut_flac("cut", 10);
    char csv[4096];
    snprintf(csv, sizeof csv, "path,label\ntone.wav,a\n%s,b\n", cut);
    expect_build_error("bad2.csv", csv, ES_ERR_TRUNCATED, "line 3", "cut_cut.flac");
    write_text("nothing.wav", "");
    expect_build_error("bad3.csv", "path,label\nnothing.wav,a\ntone.wav,b\n",
                       ES_ERR_EMPTY, "line 2", "nothing.wav");
}

/* Hybrid: full features ‖ pooled Whisper states of the same chunk, on a
 * small synthetic Whisper model (tests/ref/whisper_synth.py). Last: it
 * needs the shared vocabulary file and skips the program without it. */
static void test_hybrid(void **state)
{
    (void)state;
    const char *vocab = es_test_require_shared("models/whisper-aux/for-tests-ggml-tiny.bin");
    const char *src = getenv("EARSHOT_SRC");
    const char *model = es_test_path("%s/small.bin", es_test_tmp_dir());
    es_test_sh("cd %s/tests/ref && /usr/bin/python3 -c 'import whisper_synth as ws; "
               "ws.write_model(\"%s\", \"%s\", ws.SMALL, \"f32\", seed=5)'",
               src && *src ? src : "..", model, vocab);
    es_whisper_pool *w = NULL;
    es_error err = {0};
    assert_int_equal(es_whisper_pool_open(model, NULL, 1, &w, &err), ES_OK);
    assert_int_equal(es_whisper_pool_dim(w), 128);
    assert_int_equal(es_dataset_input_dim(ES_BRIDGE_INPUT_HYBRID, w), 256);
    es_dataset_params p = es_dataset_default_params();
    p.input = ES_BRIDGE_INPUT_HYBRID;
    p.whisper = w;
    const int rows[2] = {3, 2};
    es_dataset *d = build(&p, rows, 2);
    assert_int_equal(d->dim, 256);
    assert_int_equal(d->n, 4);
    expect_features(ES_FEATURES_FULL, "short.wav", 0, 0.5, d->x);
    expect_features(ES_FEATURES_FULL, "long.wav", 20, 3, d->x + 3 * 256);
    float *x = NULL;
    size_t n = 0;
    assert_int_equal(es_decode_file(es_test_path("%s/long.wav", es_test_tmp_dir()), 0, &x, &n,
                                    &err), ES_OK);
    float want[128];
    for (int c = 0; c < 3; c++) {
        size_t len = c < 2 ? 10 * SR : 3 * SR;
        assert_int_equal(es_whisper_pool_compute(w, x + (size_t)c * 10 * SR, len, want, &err),
                         ES_OK);
        assert_memory_equal(want, d->x + (size_t)(1 + c) * 256 + 128, sizeof want);
    }
    es_free(x);
    es_dataset_free(d);
    /* Whisper reads at most 30 s */
    p.chunk_s = 40.0;
    assert_int_equal(es_dataset_build(manifest, rows, 2, &p, &d, &err), ES_ERR_INVALID_ARG);
    es_whisper_pool_free(w);
}

static void test_bad_params(void **state)
{
    (void)state;
    es_dataset *d = NULL;
    es_error err = {0};
    es_dataset_params p = es_dataset_default_params();
    p.input = ES_BRIDGE_INPUT_HYBRID;
    assert_int_equal(es_dataset_build(manifest, all_rows, 1, &p, &d, &err),
                     ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "Whisper"));
    p = es_dataset_default_params();
    p.chunk_s = 0;
    assert_int_equal(es_dataset_build(manifest, all_rows, 1, &p, &d, &err),
                     ES_ERR_INVALID_ARG);
    p = es_dataset_default_params();
    p.augment.copies = -1;
    assert_int_equal(es_dataset_build(manifest, all_rows, 1, &p, &d, &err),
                     ES_ERR_INVALID_ARG);
    const int bad[1] = {N_ROWS};
    assert_int_equal(es_dataset_build(manifest, bad, 1, NULL, &d, &err), ES_ERR_INVALID_ARG);
    assert_null(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_augmented),
        cmocka_unit_test(test_bad_audio),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_hybrid),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
