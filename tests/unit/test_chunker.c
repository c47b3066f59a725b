/* test_chunker.c — the chunk rules of src/audio/chunker.c, checked on files
 * whose every sample is known: chunk count, start/end times, and samples
 * equal to the matching slice of es_decode_file's output. */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earshot.h"

/* A 16 kHz mono s16 WAV of n distinct-looking samples. */
static const char *make_file(const char *name, size_t n)
{
    const char *p = es_test_path("%s/%s", es_test_tmp_dir(), name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    unsigned char h[44];
    unsigned long data = (unsigned long)n * 2;
    const unsigned long v[] = {36 + data, 16, 16000, 32000, data};
    memcpy(h, "RIFF", 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    memcpy(h + 36, "data", 4);
    const int at[] = {4, 16, 24, 28, 40};
    for (int k = 0; k < 5; k++)
        for (int b = 0; b < 4; b++) h[at[k] + b] = (unsigned char)(v[k] >> (8 * b));
    h[20] = 1; h[21] = 0;   /* PCM */
    h[22] = 1; h[23] = 0;   /* mono */
    h[32] = 2; h[33] = 0;   /* block align */
    h[34] = 16; h[35] = 0;  /* bits */
    fwrite(h, 1, 44, f);
    for (size_t i = 0; i < n; i++) {
        /* A ramp wrapping every 1000 samples plus the index's low bits. */
        int s = (int)(i % 1000) * 30 - 15000 + (int)((i * 40503u) % 97);
        fputc(s & 0xff, f);
        fputc((s >> 8) & 0xff, f);
    }
    assert_int_equal(fclose(f), 0);
    return p;
}

typedef struct expected { size_t start, n; } expected;

/* The rules of chunker.c, written independently, in samples. */
static size_t expected_chunks(size_t N, size_t W, size_t H, size_t M,
                              expected *out, size_t max)
{
    size_t k = 0;
    if (N == 0) return 0;
    if (N < W) {
        out[0].start = 0;
        out[0].n = N;
        return 1;
    }
    for (size_t i = 0;; i++) {
        size_t s = i * H;
        if (s + W <= N) {
            assert_true(k < max);
            out[k].start = s;
            out[k++].n = W;
            continue;
        }
        size_t len = s < N ? N - s : 0;
        size_t prev_end = (i - 1) * H + W;
        if (len > 0 && s + len > prev_end && len >= M) {
            assert_true(k < max);
            out[k].start = s;
            out[k++].n = len;
        }
        return k;
    }
}

static void check_chunks(const char *path, double w, double h, double m,
                         size_t want_count)
{
    size_t W = (size_t)lround(w * 16000), H = (size_t)lround(h * 16000);
    size_t M = (size_t)lround(m * 16000);
    float *x = NULL;
    size_t N = 0;
    es_error err;
    assert_int_equal(es_decode_file(path, 0, &x, &N, &err), ES_OK);
    expected want[64];
    size_t nw = expected_chunks(N, W, H, M, want, 64);
    if (nw != want_count)
        fail_msg("%s: model gives %zu chunks, test expects %zu", path, nw,
                 want_count);

    es_chunk_params p = {w, h, m};
    es_chunker *c = NULL;
    assert_int_equal(es_chunker_open(path, &p, &c, &err), ES_OK);
    assert_int_equal(es_chunker_info(c)->source_sample_rate, 16000);
    es_chunk ch;
    size_t k = 0;
    es_status s;
    printf("# %s (%.4f s) window %g hop %g min_last %g:", strrchr(path, '/') + 1,
           N / 16000.0, w, h, m);
    while ((s = es_chunker_next(c, &ch, &err)) == ES_OK) {
        printf(" [%g,%g]", ch.start_s, ch.end_s);
        assert_true(k < nw);
        assert_int_equal(ch.index, k);
        assert_int_equal(ch.n_samples, want[k].n);
        assert_true(fabs(ch.start_s - want[k].start / 16000.0) < 1e-9);
        assert_true(fabs(ch.end_s - (want[k].start + want[k].n) / 16000.0) < 1e-9);
        assert_memory_equal(ch.samples, x + want[k].start,
                            want[k].n * sizeof(float));
        k++;
    }
    printf("\n");
    assert_int_equal(s, ES_DONE);
    assert_int_equal(k, nw);
    assert_int_equal(es_chunker_next(c, &ch, &err), ES_DONE);
    es_chunker_close(c);
    es_free(x);
}

static void chunk_rules(void **state)
{
    (void)state;
    /* window 1 s, hop 0.5 s, min_last 0.25 s */
    check_chunks(make_file("short.wav", 4800), 1, 0.5, 0.25, 1);   /* 0.3 s */
    check_chunks(make_file("tiny.wav", 1), 1, 0.5, 0.25, 1);       /* 1 sample */
    check_chunks(make_file("one.wav", 16000), 1, 0.5, 0.25, 1);    /* exact */
    check_chunks(make_file("one_2.wav", 19200), 1, 0.5, 0.25, 2);  /* 1.2 s */
    /* 1.1 s: partial [0.5,1.1] is 0.6 s, below min_last 0.75 → dropped */
    check_chunks(make_file("one_1.wav", 17600), 1, 0.5, 0.75, 1);
    check_chunks(make_file("one_1.wav", 17600), 1, 0.5, 0.5, 2);
    /* 2.05 s: three full, then [1.5,2.05] adds 50 ms of new audio */
    check_chunks(make_file("two.wav", 32800), 1, 0.5, 0.25, 4);
    /* 2.0 s: three full; [1.5,2.0] adds nothing → not returned */
    check_chunks(make_file("two_0.wav", 32000), 1, 0.5, 0.25, 3);
    /* hop == window: back to back, partial tail if ≥ min_last */
    check_chunks(make_file("two.wav", 32800), 1, 1, 0.04, 3);
    check_chunks(make_file("two.wav", 32800), 1, 1, 0.1, 2);
    /* hop > window: gaps; 0, 0.75, 1.5 full (1.5 + 0.5 = 2.0 ≤ 2.05) */
    check_chunks(make_file("two.wav", 32800), 0.5, 0.75, 0.1, 3);
    /* 1.7 s: [1.5, 1.7] partial of 0.2 s ≥ 0.1 */
    check_chunks(make_file("gap.wav", 27200), 0.5, 0.75, 0.1, 3);
    check_chunks(make_file("gap.wav", 27200), 0.5, 0.75, 0.3, 2);
    /* the defaults: 12 s → [0,10] [5,12]; 25 s → 4 full, nothing after */
    es_chunk_params d = es_chunk_default_params();
    assert_true(d.window_s == 10 && d.hop_s == 5 && d.min_last_s == 1);
    check_chunks(make_file("twelve.wav", 12 * 16000), 10, 5, 1, 2);
    check_chunks(make_file("twentyfive.wav", 25 * 16000), 10, 5, 1, 4);
    check_chunks(make_file("twentysix.wav", 26 * 16000), 10, 5, 1, 5);
}

static void null_params_mean_defaults(void **state)
{
    (void)state;
    const char *p = make_file("twelve.wav", 12 * 16000);
    es_chunker *c = NULL;
    es_error err;
    assert_int_equal(es_chunker_open(p, NULL, &c, &err), ES_OK);
    es_chunk ch;
    assert_int_equal(es_chunker_next(c, &ch, &err), ES_OK);
    assert_int_equal(ch.n_samples, 160000);
    assert_int_equal(es_chunker_next(c, &ch, &err), ES_OK);
    assert_true(ch.start_s == 5.0 && ch.end_s == 12.0);
    assert_int_equal(es_chunker_next(c, &ch, &err), ES_DONE);
    es_chunker_close(c);
}

static void bad_params_rejected(void **state)
{
    (void)state;
    const char *p = make_file("one.wav", 16000);
    const es_chunk_params bad[] = {
        {0, 5, 1}, {10, 0, 1}, {-1, 5, 1}, {10, -5, 1}, {10, 5, -1},
        {NAN, 5, 1}, {10, INFINITY, 1}, {1e-6, 1e-6, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        es_chunker *c = (es_chunker *)&c;
        es_error err;
        assert_int_equal(es_chunker_open(p, &bad[i], &c, &err),
                         ES_ERR_INVALID_ARG);
        assert_null(c);
        assert_true(strlen(err.message) > 0);
    }
    es_error err;
    assert_int_equal(es_chunker_open(p, NULL, NULL, &err), ES_ERR_INVALID_ARG);
    es_chunk ch;
    assert_int_equal(es_chunker_next(NULL, &ch, &err), ES_ERR_INVALID_ARG);
    assert_null(es_chunker_info(NULL));
    es_chunker_close(NULL);
}

static void open_errors_come_from_the_decoder(void **state)
{
    (void)state;
    es_chunker *c = NULL;
    es_error err;
    const char *p = es_test_path("%s/missing.wav", es_test_tmp_dir());
    assert_int_equal(es_chunker_open(p, NULL, &c, &err), ES_ERR_NOT_FOUND);
    assert_null(c);
    assert_non_null(strstr(err.message, p));
    /* A WAV with no samples opens, then its first next() says empty. */
    const char *e = make_file("nodata.wav", 0);
    assert_int_equal(es_chunker_open(e, NULL, &c, &err), ES_OK);
    es_chunk ch;
    assert_int_equal(es_chunker_next(c, &ch, &err), ES_ERR_EMPTY);
    assert_non_null(strstr(err.message, "empty"));
    es_chunker_close(c);
}

/* A cut FLAC: the chunks of the decodable part, then ES_ERR_TRUNCATED once,
 * then ES_DONE. */
static void truncated_file_gives_chunks_then_error(void **state)
{
    (void)state;
    if (!es_test_have_tool("sox")) skip();
    const char *cut = es_test_make_cut_flac("thirty", 30);
    es_chunker *c = NULL;
    es_error err;
    assert_int_equal(es_chunker_open(cut, NULL, &c, &err), ES_OK);
    es_chunk ch;
    size_t k = 0;
    double last_end = 0;
    es_status s;
    while ((s = es_chunker_next(c, &ch, &err)) == ES_OK) {
        k++;
        last_end = ch.end_s;
    }
    printf("# %zu chunks up to %.2f s, then %s: %s\n", k, last_end,
           es_status_str(s), err.message);
    assert_int_equal(s, ES_ERR_TRUNCATED);
    assert_non_null(strstr(err.message, cut));
    assert_true(k >= 1 && last_end > 9.0 && last_end < 15.0);
    assert_int_equal(es_chunker_next(c, &ch, &err), ES_DONE);
    es_chunker_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chunk_rules),
        cmocka_unit_test(null_params_mean_defaults),
        cmocka_unit_test(bad_params_rejected),
        cmocka_unit_test(open_errors_come_from_the_decoder),
        cmocka_unit_test(truncated_file_gives_chunks_then_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
