/* test_whisper_decode.c — Whisper's decoding rules on hand-made logits:
 * suppress blank, suppressed tokens, every timestamp rule of openai's
 * ApplyTimestampRules, the scores (log-softmax, no-speech probability,
 * compression ratio against Python's zlib, average log-probability),
 * language detection, seeded sampling, and greedy vs beam search on a
 * scripted fake model whose logits depend on each sequence's own history
 * (so a wrong KV-cache reorder changes the outcome). */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/whisper/whisper_decode.h"

#define NV 51865

/* ids 0..255 are single bytes (so " " is 32 and '"' is 34) */
static es_whisper_vocab *byte_vocab(void)
{
    static char store[256];
    static char *bytes[256];
    static int len[256];
    for (int i = 0; i < 256; i++) {
        store[i] = (char)i;
        bytes[i] = &store[i];
        len[i] = 1;
    }
    es_whisper_vocab *v = NULL;
    es_error err;
    if (es_whisper_vocab_new(NV, 256, bytes, len, &v, &err)) fail_msg("%s", err.message);
    return v;
}

static float *row_of(float value)
{
    float *r = malloc(NV * sizeof *r);
    assert_non_null(r);
    for (int i = 0; i < NV; i++) r[i] = value;
    return r;
}

static int all_inf(const float *r, int a, int b)
{
    for (int i = a; i < b; i++)
        if (r[i] != -INFINITY) return 0;
    return 1;
}

static int none_inf(const float *r, int a, int b)
{
    for (int i = a; i < b; i++)
        if (r[i] == -INFINITY) return 0;
    return 1;
}

/* ------------------------------------------------------------ filters */

static void suppress_blank_first_only(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    float *r = row_of(0.0f);
    es_whisper_suppress_blank(v, r, 1);
    assert_true(none_inf(r, 0, NV));
    es_whisper_suppress_blank(v, r, 0);
    assert_true(r[' '] == -INFINITY);
    assert_true(r[v->eot] == -INFINITY);
    r[' '] = r[v->eot] = 0.0f;
    assert_true(none_inf(r, 0, NV));
    free(r);
    es_whisper_vocab_free(v);
}

static void suppress_tokens_set(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    /* derived on this byte vocabulary: the one-byte symbols, plus the first
     * token of " -" / " '" (the space) and of the musical symbols (e2) */
    const char *sym = "\"#()*+/:;<=>@[\\]^_`{|}~ \xe2";
    assert_int_equal(v->n_non_speech, (int)strlen(sym));
    float *r = row_of(0.0f);
    es_whisper_suppress_tokens(v, r, 1);
    for (const char *c = sym; *c; c++) assert_true(r[(unsigned char)*c] == -INFINITY);
    assert_true(r['a'] == 0.0f && r[','] == 0.0f && r['.'] == 0.0f && r['?'] == 0.0f);
    assert_true(r[v->eot] == 0.0f);
    assert_true(all_inf(r, v->sot, v->timestamp_begin));   /* every special */
    assert_true(none_inf(r, v->timestamp_begin, NV));
    free(r);
    r = row_of(0.0f);
    es_whisper_suppress_tokens(v, r, 0);
    assert_true(r['"'] == 0.0f);
    assert_true(r[v->sot] == -INFINITY && r[v->sot_prev] == -INFINITY &&
                r[v->sot_lm] == -INFINITY && r[v->no_speech] == -INFINITY &&
                r[v->translate] == -INFINITY && r[v->transcribe] == -INFINITY &&
                r[v->no_timestamps] == -INFINITY);
    free(r);
    es_whisper_vocab_free(v);
}

static void ts_first_position(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    const int tb = v->timestamp_begin;
    float *r = row_of(0.0f);
    es_whisper_timestamp_rules(v, NULL, 0, 50, -1, r);
    assert_true(all_inf(r, 0, tb));                    /* text and eot */
    assert_true(none_inf(r, tb, tb + 51));             /* 0.00 .. 1.00 s */
    assert_true(all_inf(r, tb + 51, NV));
    free(r);
    r = row_of(0.0f);
    es_whisper_timestamp_rules(v, NULL, 0, -1, -1, r);  /* no initial limit */
    assert_true(none_inf(r, tb, NV));
    assert_true(all_inf(r, 0, tb));
    free(r);
    es_whisper_vocab_free(v);
}

static void ts_pairs(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    const int tb = v->timestamp_begin, eot = v->eot;
    /* text logits well above the timestamps so the mass rule stays out */
    float *r = row_of(0.0f);
    for (int i = 0; i < 256; i++) r[i] = 20.0f;

    /* one timestamp sampled: it counts as a pair start → no timestamp next */
    int32_t s1[] = {tb + 0};
    es_whisper_timestamp_rules(v, s1, 1, 50, -1, r);
    assert_true(all_inf(r, tb, NV));
    assert_true(r['a'] == 20.0f && r[eot] == 0.0f);
    assert_true(r[v->no_timestamps] == -INFINITY);
    free(r);

    /* text then a timestamp (closing a pair) → no text; eot or ts >= it */
    r = row_of(0.0f);
    for (int i = 0; i < 256; i++) r[i] = 30.0f;
    r[eot] = 20.0f;
    int32_t s2[] = {tb + 0, 'a', tb + 10};
    es_whisper_timestamp_rules(v, s2, 3, 50, -1, r);
    assert_true(all_inf(r, 0, eot));
    assert_true(r[eot] == 20.0f);
    assert_true(all_inf(r, tb, tb + 10));
    assert_true(none_inf(r, tb + 10, NV));             /* equal allowed */
    free(r);

    /* two timestamps in a row → no timestamp */
    r = row_of(0.0f);
    for (int i = 0; i < 256; i++) r[i] = 20.0f;
    int32_t s3[] = {tb + 0, 'a', tb + 10, tb + 10};
    es_whisper_timestamp_rules(v, s3, 4, 50, -1, r);
    assert_true(all_inf(r, tb, NV));
    assert_true(r['b'] == 20.0f && r[eot] == 0.0f);
    free(r);

    /* after text: timestamps strictly increase */
    r = row_of(0.0f);
    for (int i = 0; i < 256; i++) r[i] = 20.0f;
    int32_t s4[] = {tb + 0, 'a', tb + 10, tb + 10, 'b'};
    es_whisper_timestamp_rules(v, s4, 5, 50, -1, r);
    assert_true(all_inf(r, tb, tb + 11));
    assert_true(none_inf(r, tb + 11, NV));
    assert_true(r['c'] == 20.0f);
    free(r);
    r = row_of(0.0f);
    for (int i = 0; i < 256; i++) r[i] = 20.0f;
    int32_t s5[] = {tb + 7, 'a'};
    es_whisper_timestamp_rules(v, s5, 2, 50, -1, r);
    assert_true(all_inf(r, tb, tb + 8));
    assert_true(r[tb + 8] == 0.0f);
    free(r);
    es_whisper_vocab_free(v);
}

static void ts_cap_and_mass(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    const int tb = v->timestamp_begin;
    /* cap at index 100 (a trimmed window of 2 s) */
    float *r = row_of(0.0f);
    for (int i = 0; i < 256; i++) r[i] = 20.0f;
    int32_t s[] = {tb + 0, 'a'};
    es_whisper_timestamp_rules(v, s, 2, 50, 100, r);
    assert_true(none_inf(r, tb + 1, tb + 101));
    assert_true(all_inf(r, tb + 101, NV));
    free(r);

    /* mass: 1501 timestamps at 0 → logsumexp = log 1501 ≈ 7.314 */
    r = row_of(-INFINITY);
    for (int i = tb; i < NV; i++) r[i] = 0.0f;
    r['a'] = 7.2f;
    es_whisper_timestamp_rules(v, s, 2, 50, -1, r);
    assert_true(all_inf(r, 0, tb));                      /* ts win */
    free(r);
    r = row_of(-INFINITY);
    for (int i = tb; i < NV; i++) r[i] = 0.0f;
    r['a'] = 7.4f;
    es_whisper_timestamp_rules(v, s, 2, 50, -1, r);
    assert_true(r['a'] == 7.4f);                         /* text stays */
    assert_true(r[tb + 5] == 0.0f);
    free(r);
    es_whisper_vocab_free(v);
}

static void filters_in_order(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    const int tb = v->timestamp_begin;
    es_whisper_filter f = {1, 1, 1, 50, -1};
    float *r = row_of(0.0f);
    es_whisper_apply_filters(v, &f, NULL, 0, r);
    assert_true(all_inf(r, 0, tb));
    assert_true(none_inf(r, tb, tb + 51));
    free(r);
    /* timestamps off: only blank + tokens */
    es_whisper_filter g = {1, 1, 0, 50, -1};
    r = row_of(0.0f);
    es_whisper_apply_filters(v, &g, NULL, 0, r);
    assert_true(r[' '] == -INFINITY && r[v->eot] == -INFINITY && r['"'] == -INFINITY);
    assert_true(r['a'] == 0.0f && r[tb + 700] == 0.0f);
    free(r);
    es_whisper_vocab_free(v);
}

/* ------------------------------------------------------------- scores */

static void scores(void **state)
{
    (void)state;
    float x[4] = {1.0f, 2.0f, -INFINITY, 2.0f};
    double lse = es_whisper_logsumexp(x, 4);
    assert_float_equal(lse, log(exp(1.0) + 2.0 * exp(2.0)), 1e-6);
    float y[4];
    es_whisper_log_softmax(x, 4, y);
    assert_float_equal(y[1], 2.0 - lse, 1e-6);
    assert_true(y[2] == -INFINITY);
    assert_float_equal(es_whisper_softmax_at(x, 4, 0), exp(1.0 - lse), 1e-6);
    assert_int_equal(es_whisper_argmax(x, 4), 1);          /* first of the ties */
    float z[2] = {-INFINITY, -INFINITY};
    assert_true(es_whisper_logsumexp(z, 2) == -INFINITY);
    assert_float_equal(es_whisper_avg_logprob(-3.0, 2), -1.0, 1e-7);

    /* Python: len(t) / len(zlib.compress(t)) = 2.764705882352941 */
    const char *t = "hello hello hello hello hello hello hello hello";
    assert_float_equal(es_whisper_compression_ratio(t, strlen(t)), 2.764705882352941, 1e-6);
    assert_float_equal(es_whisper_compression_ratio("", 0), 0.0, 0.0);
}

static void language_detection(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    float *r = row_of(0.0f);
    r['a'] = 50.0f;                                 /* not a language: ignored */
    r[es_whisper_lang_token(v, 2)] = 3.0f;          /* de */
    r[es_whisper_lang_token(v, 6)] = 4.0f;          /* fr */
    float probs[ES_WHISPER_MAX_LANGUAGES];
    int lang = es_whisper_language_argmax(v, r, probs);
    assert_int_equal(lang, 6);
    assert_string_equal(es_whisper_lang_code(lang), "fr");
    double sum = 0.0;
    for (int i = 0; i < v->n_languages; i++) sum += probs[i];
    assert_float_equal(sum, 1.0, 1e-5);
    assert_true(probs[6] > probs[2] && probs[2] > probs[0]);
    free(r);
    es_whisper_vocab_free(v);
}

static void seeded_sampling(void **state)
{
    (void)state;
    float l[4] = {0.0f, (float)log(3.0), -INFINITY, -1e9f};
    es_whisper_rng a, b;
    es_whisper_rng_seed(&a, 42);
    es_whisper_rng_seed(&b, 42);
    int n1 = 0, same = 1;
    for (int i = 0; i < 20000; i++) {
        int x = es_whisper_sample(l, 4, 1.0f, &a);
        int y = es_whisper_sample(l, 4, 1.0f, &b);
        same &= x == y;
        assert_true(x == 0 || x == 1);                 /* −inf never */
        n1 += x == 1;
    }
    assert_true(same);
    assert_true(fabs(n1 / 20000.0 - 0.75) < 0.02);
    /* a low temperature is nearly argmax; a different seed, other draws */
    es_whisper_rng_seed(&a, 1);
    int n0 = 0;
    for (int i = 0; i < 1000; i++) n0 += es_whisper_sample(l, 4, 0.05f, &a) == 0;
    assert_true(n0 == 0);
    es_whisper_rng_seed(&a, 7);
    es_whisper_rng_seed(&b, 8);
    float flat[64] = {0};
    int differ = 0;
    for (int i = 0; i < 50; i++)
        differ |= es_whisper_sample(flat, 64, 1.0f, &a) != es_whisper_sample(flat, 64, 1.0f, &b);
    assert_true(differ);
}

/* ------------------------------------------------- a scripted fake model */

#define A_TOK 100
#define B_TOK 200
#define Z_TOK 250
#define MAXSEQ 8

typedef struct fake {
    es_whisper_runner r;
    const es_whisper_vocab *v;
    int n_initial;                 /* where sampling starts */
    int32_t hist[MAXSEQ][512];
    int len[MAXSEQ];
    int decode_calls, copies;
    int mode;                      /* 0 tree, 1 always 'a', 2 flat */
} fake;

static void fake_row(fake *f, int seq, int p, float *row)
{
    const int32_t *h = f->hist[seq];
    int k = p - f->n_initial + 1;   /* sampled tokens before the next one */
    for (int i = 0; i < NV; i++) row[i] = -30.0f;
    if (f->mode == 1) {
        row['a'] = 10.0f;
        return;
    }
    if (f->mode == 2) {
        for (int i = 'a'; i <= 'z'; i++) row[i] = 0.0f;
        row[f->v->eot] = -3.0f;
        return;
    }
    if (k < 0) return;   /* inside the prompt: any row */
    if (k == 0) {
        row[A_TOK] = 2.0f;
        row[B_TOK] = 1.5f;
    } else if (k == 1 && h[f->n_initial] == A_TOK) {
        for (int i = 0; i < 8; i++) row[300 + i] = 0.0f;
    } else if (k == 2 && h[f->n_initial] == B_TOK) {
        row[Z_TOK] = 10.0f;            /* reached only by a wrong cache */
    } else if (k == 1 && h[f->n_initial] == B_TOK) {
        row[f->v->eot] = 10.0f;
    } else {
        row[f->v->eot] = 10.0f;
    }
}

static es_status fake_encode(void *ctx, const float *mel, int n_frames, es_error *err)
{
    (void)ctx; (void)mel; (void)n_frames; (void)err;
    return ES_OK;
}

static es_status fake_decode(void *ctx, int seq, const int32_t *tokens, int n_tokens,
                             int n_past, float *logits, es_error *err)
{
    (void)err;
    fake *f = ctx;
    assert_true(seq >= 0 && seq < MAXSEQ);
    assert_true(n_past <= f->len[seq]);            /* the cache must hold the past */
    assert_true(n_past + n_tokens <= f->r.n_text_ctx);
    f->decode_calls++;
    for (int i = 0; i < n_tokens; i++) {
        f->hist[seq][n_past + i] = tokens[i];
        f->len[seq] = n_past + i + 1;
        fake_row(f, seq, n_past + i, logits + (size_t)i * NV);
    }
    return ES_OK;
}

static es_status fake_copy(void *ctx, int dst, int src, int n_past, es_error *err)
{
    (void)err;
    fake *f = ctx;
    assert_true(n_past <= f->len[src]);
    memcpy(f->hist[dst], f->hist[src], (size_t)n_past * sizeof(int32_t));
    f->len[dst] = n_past;
    f->copies++;
    return ES_OK;
}

static void fake_init(fake *f, const es_whisper_vocab *v, int mode, int n_text_ctx)
{
    memset(f, 0, sizeof *f);
    f->r.ctx = f;
    f->r.n_vocab = NV;
    f->r.n_text_ctx = n_text_ctx;
    f->r.n_audio_ctx = 1500;
    f->r.n_mels = 80;
    f->r.encode = fake_encode;
    f->r.decode = fake_decode;
    f->r.seq_copy = fake_copy;
    f->v = v;
    f->mode = mode;
}

static void greedy_vs_beam(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    int32_t init[3] = {v->sot, es_whisper_lang_token(v, 0), v->transcribe};
    fake f;
    es_error err;
    es_whisper_result res;
    es_whisper_decode_opts o = es_whisper_decode_default_opts();
    o.filter.timestamps = 0;

    /* greedy: A (p = e²/(e²+e^1.5)), then 300 (1 of 8 ties), then eot */
    fake_init(&f, v, 0, 448);
    f.n_initial = 3;
    assert_int_equal(es_whisper_decode_window(&f.r, v, init, 3, 0, &o, &res, &err), ES_OK);
    assert_int_equal(res.n_tokens, 2);
    assert_int_equal(res.tokens[0], A_TOK);
    assert_int_equal(res.tokens[1], 300);
    double lpA = 2.0 - log(exp(2.0) + exp(1.5));
    double want = lpA - log(8.0);
    assert_float_equal(res.sum_logprob, want, 1e-3);
    assert_float_equal(res.avg_logprob, want / 3.0, 1e-3);
    es_whisper_result_free(&res);

    /* beam 5: [B] scores lpB / 1 = −0.97 > (lpA − log 8) / 2 = −1.28 */
    fake_init(&f, v, 0, 448);
    f.n_initial = 3;
    o.beam_size = 5;
    assert_int_equal(es_whisper_decode_window(&f.r, v, init, 3, 0, &o, &res, &err), ES_OK);
    assert_int_equal(res.n_tokens, 1);
    assert_int_equal(res.tokens[0], B_TOK);
    double lpB = 1.5 - log(exp(2.0) + exp(1.5));
    assert_float_equal(res.sum_logprob, lpB, 1e-3);
    assert_float_equal(res.avg_logprob, lpB / 2.0, 1e-3);
    assert_true(f.copies > 0);                 /* beams took copies of caches */
    es_whisper_result_free(&res);
    es_whisper_vocab_free(v);
}

static void context_limit_and_sample_len(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    int32_t init[3] = {v->sot, es_whisper_lang_token(v, 0), v->transcribe};
    fake f;
    es_error err;
    es_whisper_result res;
    es_whisper_decode_opts o = es_whisper_decode_default_opts();
    o.filter.timestamps = 0;
    fake_init(&f, v, 1, 16);       /* never ends: 'a' forever */
    assert_int_equal(es_whisper_decode_window(&f.r, v, init, 3, 0, &o, &res, &err), ES_OK);
    assert_int_equal(res.n_tokens, 16 / 2);       /* sample_len 0: n_text_ctx / 2 */
    es_whisper_result_free(&res);
    o.sample_len = 100;
    fake_init(&f, v, 1, 16);
    assert_int_equal(es_whisper_decode_window(&f.r, v, init, 3, 0, &o, &res, &err), ES_OK);
    assert_int_equal(res.n_tokens, 16 + 1 - 3);   /* openai: stops past n_text_ctx */
    assert_float_equal(res.avg_logprob, res.sum_logprob / 15.0, 1e-6);
    es_whisper_result_free(&res);
    o.sample_len = 5;
    fake_init(&f, v, 1, 448);
    assert_int_equal(es_whisper_decode_window(&f.r, v, init, 3, 0, &o, &res, &err), ES_OK);
    assert_int_equal(res.n_tokens, 5);
    assert_string_equal(res.text, "aaaaa");
    assert_true(res.compression_ratio > 0.0f);
    es_whisper_result_free(&res);
    es_whisper_vocab_free(v);
}

/* Beam search that never finishes (the context runs out): openai's
 * finalize ranks the live beams instead. */
static void beam_without_eot(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    int32_t init[3] = {v->sot, es_whisper_lang_token(v, 0), v->transcribe};
    fake f;
    es_error err;
    es_whisper_result res;
    es_whisper_decode_opts o = es_whisper_decode_default_opts();
    o.filter.timestamps = 0;
    o.beam_size = 5;
    o.sample_len = 100;
    fake_init(&f, v, 1, 16);
    assert_int_equal(es_whisper_decode_window(&f.r, v, init, 3, 0, &o, &res, &err), ES_OK);
    assert_int_equal(res.n_tokens, 14);
    for (int i = 0; i < 14; i++) assert_int_equal(res.tokens[i], 'a');
    assert_true(res.sum_logprob > -1e-3);
    es_whisper_result_free(&res);
    es_whisper_vocab_free(v);
}

static void sampling_is_deterministic(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    int32_t init[3] = {v->sot, es_whisper_lang_token(v, 0), v->transcribe};
    fake f;
    es_error err;
    es_whisper_result r1, r2, r3;
    es_whisper_decode_opts o = es_whisper_decode_default_opts();
    o.filter.timestamps = 0;
    o.temperature = 1.0f;
    o.seed = 1234;
    fake_init(&f, v, 2, 448);
    assert_int_equal(es_whisper_decode_window(&f.r, v, init, 3, 0, &o, &r1, &err), ES_OK);
    fake_init(&f, v, 2, 448);
    assert_int_equal(es_whisper_decode_window(&f.r, v, init, 3, 0, &o, &r2, &err), ES_OK);
    assert_int_equal(r1.n_tokens, r2.n_tokens);
    assert_memory_equal(r1.tokens, r2.tokens, (size_t)r1.n_tokens * sizeof(int32_t));
    assert_true(r1.n_tokens > 1);
    assert_float_equal(r1.temperature, 1.0, 0.0);
    o.seed = 99;
    o.best_of = 3;
    fake_init(&f, v, 2, 448);
    assert_int_equal(es_whisper_decode_window(&f.r, v, init, 3, 0, &o, &r3, &err), ES_OK);
    int differ = r3.n_tokens != r1.n_tokens ||
                 memcmp(r3.tokens, r1.tokens, (size_t)r1.n_tokens * sizeof(int32_t));
    assert_true(differ);
    es_whisper_result_free(&r1);
    es_whisper_result_free(&r2);
    es_whisper_result_free(&r3);
    es_whisper_vocab_free(v);
}

static void no_speech_at_sot(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    /* prompt: sot_prev, two prompt tokens, then sot ...: the no-speech
     * probability is read at the sot position (index 3), not the last */
    int32_t init[6] = {v->sot_prev, 'x', 'y', v->sot, es_whisper_lang_token(v, 0),
                       v->transcribe};
    fake f;
    fake_init(&f, v, 1, 448);   /* rows: 'a' = 10, others −30 */
    float *last = malloc(NV * sizeof *last);
    float nsp = -1.0f;
    es_error err;
    assert_int_equal(es_whisper_decode_prompt(&f.r, v, init, 6, 3, last, &nsp, &err), ES_OK);
    double want = exp(-30.0 - log(exp(10.0) + (NV - 1) * exp(-30.0)));
    assert_float_equal(nsp, want, 1e-12);
    assert_true(last['a'] == 10.0f);
    assert_int_equal(f.len[0], 6);
    free(last);
    es_whisper_vocab_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(suppress_blank_first_only),
        cmocka_unit_test(suppress_tokens_set),
        cmocka_unit_test(ts_first_position),
        cmocka_unit_test(ts_pairs),
        cmocka_unit_test(ts_cap_and_mass),
        cmocka_unit_test(filters_in_order),
        cmocka_unit_test(scores),
        cmocka_unit_test(language_detection),
        cmocka_unit_test(seeded_sampling),
        cmocka_unit_test(greedy_vs_beam),
        cmocka_unit_test(context_limit_and_sample_len),
        cmocka_unit_test(beam_without_eot),
        cmocka_unit_test(sampling_is_deterministic),
        cmocka_unit_test(no_speech_at_sot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
