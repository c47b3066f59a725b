/* test_ggml_mel.c — the whisper.cpp ggml header reader (magic, hparams, mel
 * filters): the real vocab-only test model, and hostile or truncated files,
 * which must give ES_ERR_FORMAT with a message naming the file. */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/mel.h"
#include "models/whisper/ggml_mel.h"

/* A byte buffer to assemble synthetic model files. */
typedef struct bytes {
    unsigned char data[1 << 18];
    size_t n;
} bytes;

static void put_u32(bytes *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) b->data[b->n++] = (unsigned char)(v >> (8 * i));
}

static void put_i32(bytes *b, int32_t v) { put_u32(b, (uint32_t)v); }

static void put_f32(bytes *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(b, u);
}

/* A valid header: tiny's hparams with n_mels bands and n_mel × n_fft filters
 * (each filter k holds value (k+1)/1000 in bin k % n_fft). */
static void valid_header(bytes *b, int n_mel, int n_fft)
{
    b->n = 0;
    put_u32(b, ES_GGML_MAGIC);
    int32_t hp[11] = {51865, 1500, 384, 6, 4, 448, 384, 6, 4, n_mel, 1};
    for (int i = 0; i < 11; i++) put_i32(b, hp[i]);
    put_i32(b, n_mel);
    put_i32(b, n_fft);
    for (int m = 0; m < n_mel; m++)
        for (int k = 0; k < n_fft; k++)
            put_f32(b, k == m % n_fft ? (float)(m + 1) / 1000.0f : 0.0f);
}

static const char *write_file(const char *name, const void *data, size_t n)
{
    const char *path = es_test_path("%s/%s", es_test_tmp_dir(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    return path;
}

/* Reading path must fail with code, leave the header empty and name path. */
static void expect_failure(const char *path, es_status code)
{
    es_whisper_ggml_header h;
    es_error err = {0};
    es_status s = es_whisper_ggml_load_header(path, &h, &err);
    if (s != code)
        fail_msg("%s: got %s (%s), expected %s", path, es_status_str(s),
                 err.message, es_status_str(code));
    assert_int_equal(err.code, code);
    assert_null(h.mel_filters);
    assert_non_null(strstr(err.message, path));
    es_whisper_ggml_header_free(&h);   /* harmless on an empty header */
}

static void reads_the_real_test_model(void **state)
{
    (void)state;
    const char *path = es_test_require_shared("models/whisper-aux/for-tests-ggml-tiny.bin");
    es_whisper_ggml_header h;
    es_error err = {0};
    es_status s = es_whisper_ggml_load_header(path, &h, &err);
    if (s != ES_OK) fail_msg("%s", err.message);
    assert_int_equal(h.hparams.n_vocab, 51865);
    assert_int_equal(h.hparams.n_audio_ctx, 1500);
    assert_int_equal(h.hparams.n_audio_state, 384);
    assert_int_equal(h.hparams.n_audio_head, 6);
    assert_int_equal(h.hparams.n_audio_layer, 4);
    assert_int_equal(h.hparams.n_text_ctx, 448);
    assert_int_equal(h.hparams.n_text_state, 384);
    assert_int_equal(h.hparams.n_text_head, 6);
    assert_int_equal(h.hparams.n_text_layer, 4);
    assert_int_equal(h.hparams.n_mels, 80);
    assert_int_equal(h.hparams.ftype, 1);
    assert_int_equal(h.n_mel, 80);
    assert_int_equal(h.n_fft, 201);
    assert_non_null(h.mel_filters);
    /* 4 magic + 44 hparams + 8 + 80·201·4 bytes precede the vocabulary. */
    assert_int_equal(h.vocab_offset, 4 + 44 + 8 + 80 * 201 * 4);
    /* The stored filters are openai's Slaney filters: they agree with the
     * computed ones (tests/ref compares both with mel_filters.npz). */
    static float computed[80 * 201];
    assert_int_equal(es_mel_filters(16000, 400, 80, 0, 8000, computed), 0);
    float worst = 0;
    for (int i = 0; i < 80 * 201; i++) {
        float d = fabsf(h.mel_filters[i] - computed[i]);
        if (d > worst) worst = d;
    }
    if (worst > 1e-6f) fail_msg("ggml vs computed filters: max abs %g", (double)worst);
    es_whisper_ggml_header_free(&h);
    assert_null(h.mel_filters);
}

static void reads_a_synthetic_header(void **state)
{
    (void)state;
    static bytes b;
    valid_header(&b, 80, 201);
    put_i32(&b, 0);   /* a vocabulary count follows in real files */
    const char *path = write_file("ok.bin", b.data, b.n);
    es_whisper_ggml_header h;
    es_error err = {0};
    assert_int_equal(es_whisper_ggml_load_header(path, &h, &err), ES_OK);
    assert_int_equal(h.n_mel, 80);
    assert_true(h.mel_filters[0] == 0.001f);
    assert_true(h.mel_filters[79 * 201 + 79] == 0.080f);
    assert_int_equal(h.vocab_offset, b.n - 4);
    es_whisper_ggml_header_free(&h);
}

static void truncated_files_are_format_errors(void **state)
{
    (void)state;
    static bytes b;
    valid_header(&b, 80, 201);
    /* Every proper prefix: empty, inside the magic, inside the hparams, the
     * filter header and the filters. */
    size_t cuts[] = {0, 1, 3, 4, 7, 20, 47, 48, 51, 55, 56, 57, 1000, b.n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        const char *path = write_file("trunc.bin", b.data, cuts[i]);
        expect_failure(path, ES_ERR_FORMAT);
    }
    es_whisper_ggml_header h;
    es_error err = {0};
    const char *path = write_file("trunc.bin", b.data, b.n - 1);
    es_whisper_ggml_load_header(path, &h, &err);
    assert_non_null(strstr(err.message, "truncated"));
}

static void bad_magic_is_a_format_error(void **state)
{
    (void)state;
    static bytes b;
    valid_header(&b, 80, 201);
    b.data[0] ^= 0xff;
    expect_failure(write_file("magic.bin", b.data, b.n), ES_ERR_FORMAT);
    /* A big-endian-written magic is not accepted either. */
    valid_header(&b, 80, 201);
    b.data[0] = 0x67; b.data[1] = 0x67; b.data[2] = 0x6d; b.data[3] = 0x6c;
    expect_failure(write_file("magic2.bin", b.data, b.n), ES_ERR_FORMAT);
    const char text[] = "RIFF....WAVEfmt this is not a model at all, just text";
    expect_failure(write_file("text.bin", text, sizeof text), ES_ERR_FORMAT);
    es_whisper_ggml_header h;
    es_error err = {0};
    es_whisper_ggml_load_header(write_file("magic.bin", text, sizeof text), &h, &err);
    assert_non_null(strstr(err.message, "magic"));
}

static void hostile_counts_are_format_errors(void **state)
{
    (void)state;
    static bytes b;
    /* n_mel out of 1..512 in the filter header (the hparams agree). */
    int32_t bad_mels[] = {0, -1, 513, 1 << 30, INT32_MIN};
    for (size_t i = 0; i < sizeof bad_mels / sizeof bad_mels[0]; i++) {
        valid_header(&b, 80, 201);
        memcpy(b.data + 48, &(uint32_t){(uint32_t)bad_mels[i]}, 4);  /* n_mel */
        expect_failure(write_file("mels.bin", b.data, b.n), ES_ERR_FORMAT);
        memcpy(b.data + 40, &(uint32_t){(uint32_t)bad_mels[i]}, 4);  /* hparam too */
        expect_failure(write_file("mels.bin", b.data, b.n), ES_ERR_FORMAT);
    }
    /* n_fft other than 201. */
    int32_t bad_fft[] = {0, 200, 202, -201, 1 << 30};
    for (size_t i = 0; i < sizeof bad_fft / sizeof bad_fft[0]; i++) {
        valid_header(&b, 80, 201);
        memcpy(b.data + 52, &(uint32_t){(uint32_t)bad_fft[i]}, 4);
        expect_failure(write_file("fft.bin", b.data, b.n), ES_ERR_FORMAT);
    }
    /* n_mel disagreeing with hparams.n_mels. */
    valid_header(&b, 80, 201);
    memcpy(b.data + 40, &(uint32_t){128}, 4);
    expect_failure(write_file("disagree.bin", b.data, b.n), ES_ERR_FORMAT);
    /* Negative / zero hparams. */
    for (int i = 0; i < 10; i++) {
        valid_header(&b, 80, 201);
        memcpy(b.data + 4 + 4 * i, &(uint32_t){0xffffffffu}, 4);
        expect_failure(write_file("hparam.bin", b.data, b.n), ES_ERR_FORMAT);
    }
    /* A claimed 512-band filterbank in a small file: refused before any
     * allocation, as truncated. */
    valid_header(&b, 80, 201);
    memcpy(b.data + 40, &(uint32_t){512}, 4);
    memcpy(b.data + 48, &(uint32_t){512}, 4);
    expect_failure(write_file("big.bin", b.data, b.n), ES_ERR_FORMAT);
    /* NaN and negative filter values. */
    valid_header(&b, 80, 201);
    float nan = NAN;
    memcpy(b.data + 56 + 4 * 500, &nan, 4);
    expect_failure(write_file("nan.bin", b.data, b.n), ES_ERR_FORMAT);
    valid_header(&b, 80, 201);
    float neg = -0.5f;
    memcpy(b.data + 56 + 4 * 7, &neg, 4);
    expect_failure(write_file("neg.bin", b.data, b.n), ES_ERR_FORMAT);
}

static void missing_and_odd_paths(void **state)
{
    (void)state;
    const char *missing = es_test_path("%s/does-not-exist.bin", es_test_tmp_dir());
    expect_failure(missing, ES_ERR_NOT_FOUND);
    expect_failure(es_test_tmp_dir(), ES_ERR_IO);   /* a directory */
    es_whisper_ggml_header h;
    es_error err = {0};
    assert_int_equal(es_whisper_ggml_load_header("", &h, &err), ES_ERR_INVALID_ARG);
}

static void logmel_from_ggml_uses_the_file(void **state)
{
    (void)state;
    static bytes b;
    /* 40 bands: a valid ggml header, but not a supported Whisper front end. */
    valid_header(&b, 40, 201);
    const char *path = write_file("mel40.bin", b.data, b.n);
    es_logmel *m = (es_logmel *)1;
    es_error err = {0};
    assert_int_equal(es_logmel_create_from_ggml(path, &m, &err), ES_ERR_FORMAT);
    assert_null(m);
    assert_non_null(strstr(err.message, path));
    /* Hostile file through the public API. */
    valid_header(&b, 80, 201);
    path = write_file("short.bin", b.data, 30);
    assert_int_equal(es_logmel_create_from_ggml(path, &m, &err), ES_ERR_FORMAT);
    assert_non_null(strstr(err.message, path));
    /* A synthetic 80-band file works. */
    valid_header(&b, 80, 201);
    path = write_file("mel80.bin", b.data, b.n);
    assert_int_equal(es_logmel_create_from_ggml(path, &m, &err), ES_OK);
    assert_int_equal(es_logmel_n_mels(m), 80);
    es_logmel_free(m);
    assert_int_equal(es_logmel_create_from_ggml(NULL, &m, &err), ES_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_the_real_test_model),
        cmocka_unit_test(reads_a_synthetic_header),
        cmocka_unit_test(truncated_files_are_format_errors),
        cmocka_unit_test(bad_magic_is_a_format_error),
        cmocka_unit_test(hostile_counts_are_format_errors),
        cmocka_unit_test(missing_and_odd_paths),
        cmocka_unit_test(logmel_from_ggml_uses_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
