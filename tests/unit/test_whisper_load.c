/* test_whisper_load.c — the Whisper ggml loader and session API: the real
 * vocab-only test file, a micro model assembled here byte by byte (mixed
 * f32 / f16 / q8_0 tensors, as whisper.cpp's quantizer writes them), the
 * argument checks of encode / decode / seq_copy, the KV cache (token by
 * token = all at once), the ggml dequantizers on hand-made blocks, and
 * truncation at every structure boundary and every 61st byte. */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/whisper/ggml_mel.h"
#include "models/whisper/ggml_types.h"
#include "models/whisper/whisper_model.h"

/* ------------------------------------------------ building a micro model */

typedef struct buf {
    unsigned char *d;
    size_t n, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->d = realloc(b->d, b->cap);
        assert_non_null(b->d);
    }
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void put_i32(buf *b, int32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                          (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    put(b, x, 4);
}

static void put_f32(buf *b, float f)
{
    int32_t v;
    memcpy(&v, &f, 4);
    put_i32(b, v);
}

static void put_f16(buf *b, float f)
{
    /* |f| < 2: truncate the mantissa; below f16's normal range write 0 */
    uint32_t u;
    memcpy(&u, &f, 4);
    uint16_t h = 0;
    if (fabsf(f) >= 6.2e-5f)
        h = (uint16_t)(((u >> 16) & 0x8000) | ((((u >> 23) & 0xff) - 112) << 10) |
                       ((u >> 13) & 0x3ff));
    unsigned char x[2] = {(unsigned char)h, (unsigned char)(h >> 8)};
    put(b, x, 2);
}

static uint32_t rng_state = 12345;

static float rnd(void)   /* uniform in [-0.5, 0.5) */
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)(rng_state >> 8) / 16777216.0f - 0.5f;
}

enum { D = 32, NV = 12, NW = 10, ACTX = 4, TCTX = 6, MELS = 2 };

/* Boundaries of the structures written, for the truncation test. */
static size_t marks[400];
static int n_marks;

/* One tensor; dims in PyTorch order. type: 0 f32, 1 f16, 8 q8_0. */
static void tensor(buf *b, const char *name, int type, int n_dims, int d0, int d1,
                   int d2, float gain)
{
    marks[n_marks++] = b->n;
    int dims[3] = {d0, d1, d2};
    put_i32(b, n_dims);
    put_i32(b, (int32_t)strlen(name));
    put_i32(b, type);
    size_t n = 1;
    for (int i = n_dims - 1; i >= 0; i--) {
        put_i32(b, dims[i]);
        n *= (size_t)dims[i];
    }
    put(b, name, strlen(name));
    marks[n_marks++] = b->n;
    if (type == 8) {
        for (size_t blk = 0; blk < n / 32; blk++) {
            put_f16(b, 0.0078125f * gain);   /* d = 2^-7 · gain */
            for (int j = 0; j < 32; j++) {
                signed char q = (signed char)(rnd() * 200);
                put(b, &q, 1);
            }
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float v = rnd() * gain;
        if (type == 1) put_f16(b, v);
        else put_f32(b, v);
    }
}

static void block(buf *b, const char *pre, int cross, int wtype)
{
    char n[128];
    const char *att[2] = {"attn", "cross_attn"};
    float g = 2.0f / sqrtf((float)D);
#define T1(suffix, len, gain)                                            \
    do {                                                                 \
        snprintf(n, sizeof n, "%s.%s", pre, suffix);                     \
        tensor(b, n, 0, 1, len, 0, 0, gain);                             \
    } while (0)
#define T2(suffix, r, c)                                                 \
    do {                                                                 \
        snprintf(n, sizeof n, "%s.%s", pre, suffix);                     \
        tensor(b, n, wtype, 2, r, c, 0, g);                              \
    } while (0)
    T1("attn_ln.weight", D, 0.2f);
    T1("attn_ln.bias", D, 0.1f);
    for (int a = 0; a <= cross; a++) {
        char s[64];
        if (a) {
            T1("cross_attn_ln.weight", D, 0.2f);
            T1("cross_attn_ln.bias", D, 0.1f);
        }
        snprintf(s, sizeof s, "%s.query.weight", att[a]); T2(s, D, D);
        snprintf(s, sizeof s, "%s.query.bias", att[a]); T1(s, D, 0.1f);
        snprintf(s, sizeof s, "%s.key.weight", att[a]); T2(s, D, D);
        snprintf(s, sizeof s, "%s.value.weight", att[a]); T2(s, D, D);
        snprintf(s, sizeof s, "%s.value.bias", att[a]); T1(s, D, 0.1f);
        snprintf(s, sizeof s, "%s.out.weight", att[a]); T2(s, D, D);
        snprintf(s, sizeof s, "%s.out.bias", att[a]); T1(s, D, 0.1f);
    }
    T1("mlp_ln.weight", D, 0.2f);
    T1("mlp_ln.bias", D, 0.1f);
    T2("mlp.0.weight", 4 * D, D);
    T1("mlp.0.bias", 4 * D, 0.1f);
    T2("mlp.2.weight", D, 4 * D);
    T1("mlp.2.bias", D, 0.1f);
#undef T1
#undef T2
}

/* wtype 0: all f32; 8: 2-D matrices q8_0, conv weights f16 (the quantizer). */
static buf micro_model(int wtype, int with_tensors)
{
    buf b = {0};
    n_marks = 0;
    rng_state = 12345;
    put_i32(&b, (int32_t)ES_GGML_MAGIC);
    int32_t hp[11] = {NV, ACTX, D, 2, 1, TCTX, D, 2, 1, MELS, wtype ? 2007 : 0};
    for (int i = 0; i < 11; i++) put_i32(&b, hp[i]);
    put_i32(&b, MELS);
    put_i32(&b, 201);
    for (int i = 0; i < MELS * 201; i++) put_f32(&b, i % 201 == 3 ? 1.0f : 0.0f);
    marks[n_marks++] = b.n;
    put_i32(&b, NW);
    for (int i = 0; i < NW; i++) {
        char w[8];
        int len = snprintf(w, sizeof w, "t%d", i);
        marks[n_marks++] = b.n;
        put_i32(&b, len);
        put(&b, w, (size_t)len);
    }
    if (!with_tensors) return b;
    int conv = wtype ? 1 : 0;
    float g = 1.0f / sqrtf(3.0f * D);
    tensor(&b, "encoder.conv1.weight", conv, 3, D, MELS, 3, 1.0f);
    tensor(&b, "encoder.conv1.bias", 0, 2, D, 1, 0, 0.1f);   /* [n, 1] as the converter */
    tensor(&b, "encoder.conv2.weight", conv, 3, D, D, 3, g * 2);
    tensor(&b, "encoder.conv2.bias", 0, 2, D, 1, 0, 0.1f);
    tensor(&b, "encoder.positional_embedding", 0, 2, ACTX, D, 0, 1.0f);
    block(&b, "encoder.blocks.0", 0, wtype);
    tensor(&b, "encoder.ln_post.weight", 0, 1, D, 0, 0, 0.2f);
    tensor(&b, "encoder.ln_post.bias", 0, 1, D, 0, 0, 0.1f);
    tensor(&b, "decoder.token_embedding.weight", wtype, 2, NV, D, 0, 2.0f);
    tensor(&b, "decoder.positional_embedding", 0, 2, TCTX, D, 0, 1.0f);
    block(&b, "decoder.blocks.0", 1, wtype);
    tensor(&b, "decoder.ln.weight", 0, 1, D, 0, 0, 0.2f);
    tensor(&b, "decoder.ln.bias", 0, 1, D, 0, 0, 0.1f);
    return b;
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

static void expect_reject(const char *path, const char *what)
{
    es_whisper_model *m = (es_whisper_model *)&m;
    es_error err = {0};
    es_status s = es_whisper_model_load(path, NULL, &m, &err);
    if (s != ES_ERR_FORMAT && s != ES_ERR_TRUNCATED)
        fail_msg("%s (%s): got %s: %s", path, what, es_status_str(s), err.message);
    assert_null(m);
    if (!strstr(err.message, path)) fail_msg("%s: message without the path: %s", what, err.message);
}

/* ------------------------------------------------------------- tests */

static void real_vocab_only_file(void **state)
{
    (void)state;
    const char *path = es_test_require_shared("models/whisper-aux/for-tests-ggml-tiny.bin");
    es_whisper_model *m;
    es_error err = {0};
    assert_int_equal(es_whisper_model_load(path, NULL, &m, &err), ES_ERR_FORMAT);
    assert_null(m);
    assert_non_null(strstr(err.message, "holds no tensors"));
    assert_non_null(strstr(err.message, path));

    es_whisper_load_params p = {0, 1};
    assert_int_equal(es_whisper_model_load(path, &p, &m, &err), ES_OK);
    const es_whisper_hparams *h = es_whisper_model_hparams(m);
    assert_int_equal(h->n_vocab, 51865);
    assert_int_equal(h->n_text_ctx, 448);
    assert_string_equal(es_whisper_model_size_name(m), "tiny");
    assert_string_equal(es_whisper_model_wtype(m), "f16");
    const es_whisper_file_vocab *v = es_whisper_model_vocab(m);
    assert_int_equal(v->n, 50257);
    assert_int_equal(v->len[0], 1);
    assert_memory_equal(v->bytes[0], "!", 1);
    assert_int_equal(v->len[50256], 0);
    assert_int_equal(v->len[1000], 3);
    assert_memory_equal(v->bytes[1000], " \xd0\xbe", 3);
    es_whisper_ggml_header hd;
    assert_int_equal(es_whisper_ggml_load_header(path, &hd, &err), ES_OK);
    assert_memory_equal(es_whisper_model_filters(m), hd.mel_filters, 80 * 201 * sizeof(float));
    es_whisper_ggml_header_free(&hd);
    es_whisper_session *s = (es_whisper_session *)&s;
    assert_int_equal(es_whisper_session_new(m, 1, 1, &s, &err), ES_ERR_INVALID_ARG);
    assert_null(s);
    es_whisper_model_free(m);
}

static float max_diff(const float *a, const float *b, size_t n)
{
    float d = 0;
    for (size_t i = 0; i < n; i++) d = fmaxf(d, fabsf(a[i] - b[i]));
    return d;
}

static void run_micro(int wtype, int int8)
{
    buf b = micro_model(wtype, 1);
    const char *path = write_file(wtype ? "micro-q8.bin" : "micro-f32.bin", b.d, b.n);
    free(b.d);
    es_whisper_model *m;
    es_error err = {0};
    es_whisper_load_params p = {int8, 0};
    if (es_whisper_model_load(path, &p, &m, &err) != ES_OK) fail_msg("%s", err.message);
    assert_string_equal(es_whisper_model_wtype(m), wtype ? "q8_0" : "f32");
    assert_string_equal(es_whisper_model_size_name(m), "custom-1x32.en");   /* n_vocab < 51865 */
    es_whisper_session *s;
    assert_int_equal(es_whisper_session_new(m, 0, 1, &s, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_whisper_session_new(m, 2, 1, &s, &err), ES_OK);

    float mel[MELS * 8], logits[4 * NV], step[4 * NV];
    for (int i = 0; i < MELS * 8; i++) mel[i] = rnd() * 2;
    int32_t toks[4] = {NV - 2, 3, 7, 1};
    /* decode before encode, bad frame counts */
    assert_int_equal(es_whisper_decode(s, 0, toks, 1, 0, logits, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_whisper_encode(s, mel, 7, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_whisper_encode(s, mel, 0, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_whisper_encode(s, mel, 2 * ACTX + 2, &err), ES_ERR_INVALID_ARG);
    int n_ctx;
    assert_int_equal(es_whisper_encode(s, mel, 6, &err), ES_OK);   /* trimmed */
    assert_non_null(es_whisper_encoder_output(s, &n_ctx));
    assert_int_equal(n_ctx, 3);
    assert_int_equal(es_whisper_encode(s, mel, 8, &err), ES_OK);
    const float *enc = es_whisper_encoder_output(s, &n_ctx);
    assert_int_equal(n_ctx, 4);
    for (int i = 0; i < n_ctx * D; i++) assert_true(isfinite(enc[i]));

    /* argument checks */
    int32_t badtok = NV;
    assert_int_equal(es_whisper_decode(s, 0, &badtok, 1, 0, logits, &err), ES_ERR_INVALID_ARG);
    badtok = -1;
    assert_int_equal(es_whisper_decode(s, 0, &badtok, 1, 0, logits, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_whisper_decode(s, 2, toks, 1, 0, logits, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_whisper_decode(s, 0, toks, 1, 1, logits, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_whisper_decode(s, 0, toks, 0, 0, logits, &err), ES_ERR_INVALID_ARG);

    /* all at once on seq 0 = one by one on seq 1 = prefix copied */
    assert_int_equal(es_whisper_decode(s, 0, toks, 4, 0, logits, &err), ES_OK);
    for (int i = 0; i < 4 * NV; i++) assert_true(isfinite(logits[i]));
    for (int t = 0; t < 4; t++)
        assert_int_equal(es_whisper_decode(s, 1, &toks[t], 1, t, step + t * NV, &err), ES_OK);
    assert_true(max_diff(logits, step, 4 * NV) < 1e-4f);
    /* beyond the text context (6): 4 cached + 3 */
    int32_t more[3] = {1, 2, 3};
    assert_int_equal(es_whisper_decode(s, 1, more, 3, 4, step, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_whisper_seq_copy(s, 0, 1, 5, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_whisper_seq_copy(s, 0, 2, 1, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_whisper_seq_copy(s, 0, 1, 2, &err), ES_OK);
    assert_int_equal(es_whisper_decode(s, 0, &toks[2], 2, 2, step, &err), ES_OK);
    assert_true(max_diff(logits + 2 * NV, step, 2 * NV) < 1e-4f);
    /* a new window resets the caches */
    assert_int_equal(es_whisper_encode(s, mel, 8, &err), ES_OK);
    assert_int_equal(es_whisper_decode(s, 0, &toks[1], 1, 1, step, &err), ES_ERR_INVALID_ARG);
    es_whisper_session_free(s);
    es_whisper_model_free(m);
}

static void micro_model_f32(void **state) { (void)state; run_micro(0, 0); }
static void micro_model_q8_0(void **state) { (void)state; run_micro(8, 0); }
static void micro_model_int8(void **state) { (void)state; run_micro(0, 1); }

static void vocab_only_micro_file(void **state)
{
    (void)state;
    buf b = micro_model(0, 0);
    const char *path = write_file("micro-vocab.bin", b.d, b.n);
    free(b.d);
    es_whisper_model *m;
    es_error err = {0};
    assert_int_equal(es_whisper_model_load(path, NULL, &m, &err), ES_ERR_FORMAT);
    assert_non_null(strstr(err.message, "holds no tensors"));
    es_whisper_load_params p = {0, 1};
    assert_int_equal(es_whisper_model_load(path, &p, &m, &err), ES_OK);
    assert_int_equal(es_whisper_model_vocab(m)->n, NW);
    assert_memory_equal(es_whisper_model_vocab(m)->bytes[7], "t7", 2);
    es_whisper_model_free(m);
}

static void truncated_everywhere(void **state)
{
    (void)state;
    buf b = micro_model(8, 1);
    int tested = 0;
    for (size_t cut = 0; cut < b.n; cut += 61) {
        expect_reject(write_file("cut.bin", b.d, cut), "cut every 61 bytes");
        tested++;
    }
    for (int i = 0; i < n_marks; i++)
        for (int delta = -1; delta <= 2; delta++) {
            long cut = (long)marks[i] + delta;
            if (cut < 0 || (size_t)cut >= b.n) continue;
            expect_reject(write_file("cut.bin", b.d, (size_t)cut), "cut at a boundary");
            tested++;
        }
    assert_true(tested > 500);
    free(b.d);
}

static void hostile_hparams(void **state)
{
    (void)state;
    buf b = micro_model(0, 1);
    const int32_t values[] = {-1, 0, 3, 1 << 20, 0x7fffffff};
    for (int i = 0; i < 11; i++)
        for (size_t k = 0; k < sizeof values / sizeof values[0]; k++) {
            /* ftype is a label: 0 (f32) and 3 (q4_1) are known types */
            if (i == 10 && (values[k] == 0 || values[k] == 3)) continue;
            unsigned char *p = b.d + 4 + 4 * i, save[4];
            memcpy(save, p, 4);
            int32_t v = values[k];
            memcpy(p, &v, 4);   /* the test host is little-endian */
            expect_reject(write_file("hp.bin", b.d, b.n), "hostile hparam");
            memcpy(p, save, 4);
        }
    free(b.d);
}

static void dequantizers(void **state)
{
    (void)state;
    unsigned char blk[34];
    float out[32];
    /* q8_0: d = 0.5 (f16 0x3800), q[j] = j − 16 */
    blk[0] = 0x00; blk[1] = 0x38;
    for (int j = 0; j < 32; j++) blk[2 + j] = (unsigned char)(signed char)(j - 16);
    es_ggml_dequantize(ES_GGML_TYPE_Q8_0, blk, out, 32);
    for (int j = 0; j < 32; j++) assert_true(out[j] == 0.5f * (float)(j - 16));
    /* q4_0: d = 2 (0x4000), qs[j] = low j%16, high 15 − j%16 */
    blk[0] = 0x00; blk[1] = 0x40;
    for (int j = 0; j < 16; j++) blk[2 + j] = (unsigned char)(j | (15 - j) << 4);
    es_ggml_dequantize(ES_GGML_TYPE_Q4_0, blk, out, 32);
    for (int j = 0; j < 16; j++) {
        assert_true(out[j] == 2.0f * (float)(j - 8));
        assert_true(out[j + 16] == 2.0f * (float)(15 - j - 8));
    }
    /* q4_1: d = 1 (0x3c00), m = −1 (0xbc00) */
    blk[0] = 0x00; blk[1] = 0x3c; blk[2] = 0x00; blk[3] = 0xbc;
    for (int j = 0; j < 16; j++) blk[4 + j] = (unsigned char)(j | (15 - j) << 4);
    es_ggml_dequantize(ES_GGML_TYPE_Q4_1, blk, out, 32);
    for (int j = 0; j < 16; j++) {
        assert_true(out[j] == (float)j - 1.0f);
        assert_true(out[j + 16] == (float)(15 - j) - 1.0f);
    }
    /* q5_0: d = 1, fifth bits: qh = 0xAAAA5555 (bit j of value j, j+16) */
    blk[0] = 0x00; blk[1] = 0x3c;
    uint32_t qh = 0xAAAA5555u;
    memcpy(blk + 2, &qh, 4);
    for (int j = 0; j < 16; j++) blk[6 + j] = (unsigned char)(j | (15 - j) << 4);
    es_ggml_dequantize(ES_GGML_TYPE_Q5_0, blk, out, 32);
    for (int j = 0; j < 16; j++) {
        int x0 = j | (int)((qh >> j) & 1) << 4, x1 = (15 - j) | (int)((qh >> (j + 16)) & 1) << 4;
        assert_true(out[j] == (float)(x0 - 16));
        assert_true(out[j + 16] == (float)(x1 - 16));
    }
    /* q5_1: d = 0.5, m = 2 (0x4000) */
    blk[0] = 0x00; blk[1] = 0x38; blk[2] = 0x00; blk[3] = 0x40;
    memcpy(blk + 4, &qh, 4);
    for (int j = 0; j < 16; j++) blk[8 + j] = (unsigned char)(j | (15 - j) << 4);
    es_ggml_dequantize(ES_GGML_TYPE_Q5_1, blk, out, 32);
    for (int j = 0; j < 16; j++) {
        int x0 = j | (int)((qh >> j) & 1) << 4, x1 = (15 - j) | (int)((qh >> (j + 16)) & 1) << 4;
        assert_true(out[j] == 0.5f * (float)x0 + 2.0f);
        assert_true(out[j + 16] == 0.5f * (float)x1 + 2.0f);
    }
    assert_null(es_ggml_type_name(4));
    assert_int_equal(es_ggml_type_block_bytes(ES_GGML_TYPE_Q8_0), 34);
    assert_string_equal(es_ggml_ftype_name(2007 % 1000), "q8_0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dequantizers),
        cmocka_unit_test(vocab_only_micro_file),
        cmocka_unit_test(micro_model_f32),
        cmocka_unit_test(micro_model_q8_0),
        cmocka_unit_test(micro_model_int8),
        cmocka_unit_test(truncated_everywhere),
        cmocka_unit_test(hostile_hparams),
        cmocka_unit_test(real_vocab_only_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
