/* test_whisper_transcribe.c — the long-form loop over a scripted fake
 * model: per window (and per fallback attempt) the fake's logits spell out
 * a token script, so the tests fix exactly what Whisper "says" and check
 * what the loop does with it: segments split on timestamp pairs, seeking
 * (pair → last timestamp, single ending timestamp → whole window, none →
 * whole window), times offset by the window and clipped to the audio,
 * temperature fallback on compression ratio and on log-probability, the
 * no-speech skip, the previous-text prompt and its reset above 0.5,
 * language detection, .en and no-timestamp SOT sequences, audio_ctx
 * trimming of short windows, tiny inputs, and the per-window log-mel
 * against openai's whole-signal log-mel. */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/whisper/whisper_decode.h"
#include "models/whisper/whisper_transcribe.h"

#define MAXW 8
#define MAXA 6
#define MAXT 256
#define MAXSEQ 8

static es_whisper_vocab *byte_vocab(int n_vocab)
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
    if (es_whisper_vocab_new(n_vocab, 256, bytes, len, &v, &err)) fail_msg("%s", err.message);
    return v;
}

/* What the fake model "says" in one window. */
typedef struct window_script {
    int32_t tok[MAXA][MAXT];   /* per fallback attempt; eot after the end */
    int n[MAXA];
    int n_att;                 /* attempts scripted (later ones reuse the last) */
    int low[MAXA];             /* 1: five near-equal rivals on text tokens (logprob ≈ −1.8) */
    float no_speech;           /* logit of <|nospeech|> after sot (default −30) */
} window_script;

typedef struct fake {
    es_whisper_runner r;
    const es_whisper_vocab *v;
    window_script w[MAXW];
    int lang;                  /* language the fake "hears" */
    int sot_len;               /* tokens of the SOT sequence */
    int window;                /* encode calls − 1 */
    int attempts[MAXW];        /* decode attempts seen per window */
    int enc_frames[MAXW];
    float enc_last[MAXW];      /* mel value of the last encoded frame, band 0 */
    int32_t initial[MAXW][512];
    int n_initial[MAXW];
    int32_t hist[MAXSEQ][512];
    int len[MAXSEQ];
    int max_seq;
    int lang_calls;
} fake;

static const window_script *cur(const fake *f)
{
    return &f->w[f->window < MAXW ? f->window : MAXW - 1];
}

static void fake_row(fake *f, int seq, int p, float *row)
{
    const es_whisper_vocab *v = f->v;
    for (int i = 0; i < f->r.n_vocab; i++) row[i] = 0.0f;
    const int32_t *h = f->hist[seq];
    int s = -1;
    for (int i = p; i >= 0; i--)
        if (h[i] == v->sot) {
            s = i;
            break;
        }
    if (s < 0) return;
    const window_script *w = cur(f);
    if (p == s) {
        row[v->no_speech] = w->no_speech;
        row[es_whisper_lang_token(v, f->lang)] = 25.0f;
    }
    int k = p - (s + f->sot_len - 1);
    if (k < 0) return;
    int a = k == 0 ? 0 : f->attempts[f->window] - 1;
    if (a < 0) a = 0;
    if (a >= w->n_att) a = w->n_att - 1;
    int32_t t = k < w->n[a] ? w->tok[a][k] : v->eot;
    row[t] = 20.0f;
    if (w->low[a] && t < v->eot)
        for (int j = 1; j <= 5; j++) row[0xf0 + j] = 19.99f;   /* rivals */
}

static es_status fake_encode(void *ctx, const float *mel, int n_frames, es_error *err)
{
    (void)err;
    fake *f = ctx;
    f->window++;
    assert_true(f->window < MAXW);
    assert_true(n_frames > 0 && n_frames <= 3000 && n_frames % 2 == 0);
    f->enc_frames[f->window] = n_frames;
    f->enc_last[f->window] = mel[n_frames - 1];
    for (int i = 0; i < f->r.n_mels * n_frames; i++) assert_true(isfinite(mel[i]));
    return ES_OK;
}

static es_status fake_decode(void *ctx, int seq, const int32_t *tokens, int n_tokens,
                             int n_past, float *logits, es_error *err)
{
    (void)err;
    fake *f = ctx;
    assert_true(seq >= 0 && seq < MAXSEQ);
    assert_true(n_past <= f->len[seq]);
    assert_true(n_past + n_tokens <= f->r.n_text_ctx);
    if (seq > f->max_seq) f->max_seq = seq;
    if (n_past == 0 && n_tokens == 1 && tokens[0] == f->v->sot) f->lang_calls++;
    for (int i = 0; i < n_tokens; i++) {
        int p = n_past + i;
        f->hist[seq][p] = tokens[i];
        f->len[seq] = p + 1;
        /* the first sampled token fed: a new attempt at this window */
        int s = -1;
        for (int j = p; j >= 0; j--)
            if (f->hist[seq][j] == f->v->sot) {
                s = j;
                break;
            }
        if (seq == 0 && s >= 0 && p == s + f->sot_len) {
            if (f->attempts[f->window]++ == 0) {
                memcpy(f->initial[f->window], f->hist[0], (size_t)p * sizeof(int32_t));
                f->n_initial[f->window] = p;
            }
        }
        fake_row(f, seq, p, logits + (size_t)i * f->r.n_vocab);
    }
    return ES_OK;
}

static es_status fake_copy(void *ctx, int dst, int src, int n_past, es_error *err)
{
    (void)err;
    fake *f = ctx;
    memcpy(f->hist[dst], f->hist[src], (size_t)n_past * sizeof(int32_t));
    f->len[dst] = n_past;
    return ES_OK;
}

static fake *fake_new(const es_whisper_vocab *v)
{
    fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->r.ctx = f;
    f->r.n_vocab = v->n_vocab;
    f->r.n_text_ctx = 448;
    f->r.n_audio_ctx = 1500;
    f->r.n_mels = 80;
    f->r.encode = fake_encode;
    f->r.decode = fake_decode;
    f->r.seq_copy = fake_copy;
    f->v = v;
    f->window = -1;
    f->sot_len = v->multilingual ? 3 : 1;
    for (int i = 0; i < MAXW; i++) {
        f->w[i].no_speech = -30.0f;
        f->w[i].n_att = 1;
    }
    return f;
}

/* Appends text to a script, one byte per token. */
static void say(window_script *w, int a, const char *text)
{
    for (const char *c = text; *c; c++) {
        assert_true(w->n[a] < MAXT);
        w->tok[a][w->n[a]++] = (unsigned char)*c;
    }
    if (a + 1 > w->n_att) w->n_att = a + 1;
}

/* Appends the timestamp token <|index × 0.02|>. */
static void ts(const es_whisper_vocab *v, window_script *w, int a, int index)
{
    assert_true(w->n[a] < MAXT);
    w->tok[a][w->n[a]++] = v->timestamp_begin + index;
    if (a + 1 > w->n_att) w->n_att = a + 1;
}

static float *noise(size_t n)
{
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = 0.1f * (float)sin((double)i * 0.05) + ((float)(s >> 8) / 16777216.0f - 0.5f) * 0.02f;
    }
    return x;
}

static es_transcript *run(fake *f, const es_whisper_vocab *v, const es_asr_params *p,
                          const es_whisper_transcribe_opts *o, const float *x, size_t n)
{
    es_transcript *t = NULL;
    es_error err;
    if (es_whisper_transcribe(&f->r, v, NULL, p, o, x, n, &t, &err))
        fail_msg("transcribe: %s", err.message);
    return t;
}

static void expect_segment(const es_transcript *t, size_t i, double start, double end,
                           const char *text)
{
    assert_true(i < t->n_segments);
    const es_asr_segment *s = &t->segments[i];
    if (fabs(s->start - start) > 1e-6 || fabs(s->end - end) > 1e-6 || strcmp(s->text, text))
        fail_msg("segment %zu: [%.3f, %.3f] \"%s\", want [%.3f, %.3f] \"%s\"", i, s->start,
                 s->end, s->text, start, end, text);
}

/* ------------------------------------------------------------- tests */

static void long_form_three_windows(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab(51865);
    fake *f = fake_new(v);
    f->lang = 2;   /* de */
    /* window 0: two pairs, then an unfinished segment → seek to 12.00 s */
    window_script *w = &f->w[0];
    ts(v, w, 0, 0); say(w, 0, "Hi"); ts(v, w, 0, 250); ts(v, w, 0, 250);
    say(w, 0, "there"); ts(v, w, 0, 600); ts(v, w, 0, 600); say(w, 0, "cut");
    /* window 1 (12 s): single timestamp at the end → seek a whole window */
    w = &f->w[1];
    ts(v, w, 0, 0); say(w, 0, "yo"); ts(v, w, 0, 100); ts(v, w, 0, 100);
    say(w, 0, "ok"); ts(v, w, 0, 300);
    /* window 2 (42 s): no pair → one segment to the end of the window */
    w = &f->w[2];
    ts(v, w, 0, 0); say(w, 0, "end");
    size_t n = 70 * 16000;
    float *x = noise(n);
    es_asr_params p = es_asr_default_params();
    es_transcript *t = run(f, v, &p, NULL, x, n);

    assert_string_equal(t->language, "de");
    assert_int_equal(f->lang_calls, 1);
    assert_int_equal(f->window, 2);
    assert_int_equal(f->enc_frames[0], 3000);
    assert_int_equal(f->enc_frames[1], 3000);
    assert_int_equal(f->enc_frames[2], 2800);       /* trimmed: 28 s left */
    assert_int_equal((int)t->n_segments, 5);
    expect_segment(t, 0, 0.0, 5.0, "Hi");
    expect_segment(t, 1, 5.0, 12.0, "there");
    expect_segment(t, 2, 12.0, 14.0, "yo");
    expect_segment(t, 3, 14.0, 18.0, "ok");
    expect_segment(t, 4, 42.0, 70.0, "end");
    /* tokens per segment, timestamps included */
    assert_int_equal(t->segments[0].n_tokens, 4);
    assert_int_equal(t->segments[0].tokens[0], v->timestamp_begin);
    assert_int_equal(t->segments[0].tokens[3], v->timestamp_begin + 250);
    assert_true(t->segments[0].avg_logprob > -0.01f && t->segments[0].avg_logprob < 0.0f);
    assert_true(t->segments[0].no_speech_prob < 1e-6f);

    /* SOT sequences and prompts */
    int32_t sot_seq[3] = {v->sot, es_whisper_lang_token(v, 2), v->transcribe};
    assert_int_equal(f->n_initial[0], 3);
    assert_memory_equal(f->initial[0], sot_seq, sizeof sot_seq);
    /* window 1: sot_prev + the 4 + 7 tokens of window 0's segments */
    assert_int_equal(f->n_initial[1], 1 + 11 + 3);
    assert_int_equal(f->initial[1][0], v->sot_prev);
    assert_memory_equal(f->initial[1] + 1, t->segments[0].tokens, 4 * sizeof(int32_t));
    assert_memory_equal(f->initial[1] + 5, t->segments[1].tokens, 7 * sizeof(int32_t));
    assert_memory_equal(f->initial[1] + 12, sot_seq, sizeof sot_seq);
    assert_int_equal(f->n_initial[2], 1 + 11 + 8 + 3);
    for (int i = 0; i < 3; i++) assert_int_equal(f->attempts[i], 1);
    es_transcript_free(t);
    free(x);
    free(f);
    es_whisper_vocab_free(v);
}

static void fallback_on_compression_ratio(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab(51865);
    fake *f = fake_new(v);
    window_script *w = &f->w[0];
    /* attempts at 0, 0.2, 0.4, 0.6 repeat themselves; 0.8 is fine */
    for (int a = 0; a < 4; a++) {
        ts(v, w, a, 0);
        for (int i = 0; i < 20; i++) say(w, a, "abc");
        ts(v, w, a, 500);
    }
    ts(v, w, 4, 0); say(w, 4, "fine"); ts(v, w, 4, 100);
    /* window 1: anything, to see the prompt */
    w = &f->w[1];
    ts(v, w, 0, 0); say(w, 0, "next"); ts(v, w, 0, 100);
    size_t n = 45 * 16000;
    float *x = noise(n);
    es_asr_params p = es_asr_default_params();
    p.language = "en";
    es_transcript *t = run(f, v, &p, NULL, x, n);
    assert_int_equal(f->attempts[0], 5);
    assert_int_equal(f->lang_calls, 0);            /* language given */
    assert_string_equal(t->language, "en");
    expect_segment(t, 0, 0.0, 2.0, "fine");
    /* 0.8 > 0.5: the next window gets no previous text */
    assert_int_equal(f->n_initial[1], 3);
    assert_int_equal(f->initial[1][0], v->sot);
    expect_segment(t, 1, 30.0, 32.0, "next");
    es_transcript_free(t);

    /* condition_on_previous_text off, no fallback: still no prompt */
    fake *g = fake_new(v);
    g->w[0] = f->w[1];
    g->w[1] = f->w[1];
    es_whisper_transcribe_opts o = es_whisper_transcribe_default_opts();
    o.condition_on_previous_text = 0;
    t = run(g, v, &p, &o, x, n);
    assert_int_equal(g->n_initial[1], 3);
    es_transcript_free(t);
    free(g);
    free(x);
    free(f);
    es_whisper_vocab_free(v);
}

static void fallback_on_logprob(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab(51865);
    fake *f = fake_new(v);
    window_script *w = &f->w[0];
    ts(v, w, 0, 0); say(w, 0, "unsure"); ts(v, w, 0, 100);
    w->low[0] = 1;                                /* avg logprob ≈ −1.2 */
    ts(v, w, 1, 0); say(w, 1, "sure"); ts(v, w, 1, 100);
    w = &f->w[1];
    ts(v, w, 0, 0); say(w, 0, "more"); ts(v, w, 0, 100);
    size_t n = 45 * 16000;
    float *x = noise(n);
    es_asr_params p = es_asr_default_params();
    p.language = "en";
    es_transcript *t = run(f, v, &p, NULL, x, n);
    assert_int_equal(f->attempts[0], 2);          /* retried at 0.2, accepted */
    expect_segment(t, 0, 0.0, 2.0, "sure");
    assert_int_equal(f->initial[1][0], v->sot_prev);   /* 0.2 keeps the prompt */
    es_transcript_free(t);
    /* thresholds off: the first answer stays */
    fake *g = fake_new(v);
    g->w[0] = f->w[0];
    p.logprob_threshold = -INFINITY;
    t = run(g, v, &p, NULL, x, n);
    assert_int_equal(g->attempts[0], 1);
    assert_true(t->segments[0].avg_logprob < -1.0f);
    es_transcript_free(t);
    free(g);
    free(x);
    free(f);
    es_whisper_vocab_free(v);
}

static void no_speech_skip(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab(51865);
    fake *f = fake_new(v);
    /* window 0: silence (no-speech high and logprob low) → skipped, no retry */
    window_script *w = &f->w[0];
    ts(v, w, 0, 0); say(w, 0, "hallucination"); ts(v, w, 0, 100);
    w->low[0] = 1;
    w->no_speech = 40.0f;
    /* window 1: no-speech high but a confident answer → kept */
    w = &f->w[1];
    ts(v, w, 0, 0); say(w, 0, "real"); ts(v, w, 0, 100);
    w->no_speech = 40.0f;
    size_t n = 50 * 16000;
    float *x = noise(n);
    es_asr_params p = es_asr_default_params();
    p.language = "en";
    es_transcript *t = run(f, v, &p, NULL, x, n);
    assert_int_equal(f->attempts[0], 1);
    assert_int_equal(f->window, 1);
    assert_int_equal((int)t->n_segments, 1);
    expect_segment(t, 0, 30.0, 32.0, "real");
    assert_true(t->segments[0].no_speech_prob > 0.6f);
    assert_int_equal(f->initial[1][0], v->sot);   /* a skipped window adds no prompt */
    es_transcript_free(t);
    free(x);
    free(f);
    es_whisper_vocab_free(v);
}

static void english_only_and_no_timestamps(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab(51864);
    fake *f = fake_new(v);
    assert_int_equal(f->sot_len, 1);
    window_script *w = &f->w[0];
    ts(v, w, 0, 0); say(w, 0, "hello"); ts(v, w, 0, 150);
    size_t n = 10 * 16000;
    float *x = noise(n);
    es_asr_params p = es_asr_default_params();
    p.language = "de";                              /* ignored by .en */
    es_transcript *t = run(f, v, &p, NULL, x, n);
    assert_string_equal(t->language, "en");
    assert_int_equal(f->lang_calls, 1);   /* [sot] alone is the prompt itself */
    assert_int_equal(f->attempts[0], 1);
    assert_int_equal(f->n_initial[0], 1);
    assert_int_equal(f->initial[0][0], v->sot);
    assert_int_equal(v->sot, 50257);
    expect_segment(t, 0, 0.0, 3.0, "hello");
    es_transcript_free(t);

    /* timestamps off: [sot, notimestamps]; one segment for the window */
    fake *g = fake_new(v);
    g->sot_len = 2;
    say(&g->w[0], 0, "plain");
    p.timestamps = 0;
    t = run(g, v, &p, NULL, x, n);
    assert_int_equal(g->n_initial[0], 2);
    assert_int_equal(g->initial[0][1], v->no_timestamps);
    assert_int_equal((int)t->n_segments, 1);
    expect_segment(t, 0, 0.0, 10.0, "plain");
    es_transcript_free(t);
    free(g);
    free(x);
    free(f);
    es_whisper_vocab_free(v);
}

static void trimming_and_tiny_inputs(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab(51865);
    es_asr_params p = es_asr_default_params();
    p.language = "en";
    /* 7.01 s: 701 frames → 702 encoded, the extra frame is openai's pad 0 */
    size_t n = 701 * 160 + 37;
    float *x = noise(n);
    fake *f = fake_new(v);
    window_script *w = &f->w[0];
    ts(v, w, 0, 0); say(w, 0, "short"); ts(v, w, 0, 340);
    es_transcript *t = run(f, v, &p, NULL, x, n);
    assert_int_equal(f->enc_frames[0], 702);
    assert_float_equal(f->enc_last[0], 0.0, 0.0);
    expect_segment(t, 0, 0.0, 6.8, "short");
    es_transcript_free(t);
    free(f);
    /* trimming off: 3000 frames */
    f = fake_new(v);
    w = &f->w[0];
    ts(v, w, 0, 0); say(w, 0, "short"); ts(v, w, 0, 340);
    es_whisper_transcribe_opts o = es_whisper_transcribe_default_opts();
    o.trim_short_windows = 0;
    t = run(f, v, &p, &o, x, n);
    assert_int_equal(f->enc_frames[0], 3000);
    es_transcript_free(t);
    free(f);
    free(x);
    /* a timestamp past the audio: capped to the window, clipped to the audio */
    n = 300 * 160;   /* 3 s */
    x = noise(n);
    f = fake_new(v);
    w = &f->w[0];
    ts(v, w, 0, 0); say(w, 0, "over"); ts(v, w, 0, 1000);
    t = run(f, v, &p, NULL, x, n);
    assert_int_equal(f->enc_frames[0], 300);
    assert_int_equal((int)t->n_segments, 1);
    assert_true(t->segments[0].end <= 3.0 + 1e-9);
    assert_true(t->segments[0].tokens[t->segments[0].n_tokens - 1] <=
                v->timestamp_begin + 150);
    es_transcript_free(t);
    free(f);
    free(x);
    /* 0.3 s → at least min_window_frames; 1 ms and nothing → no window */
    n = 4800;
    x = noise(n);
    f = fake_new(v);
    w = &f->w[0];
    ts(v, w, 0, 0); say(w, 0, "hm"); ts(v, w, 0, 10);
    t = run(f, v, &p, NULL, x, n);
    assert_int_equal(f->enc_frames[0], 100);
    expect_segment(t, 0, 0.0, 0.2, "hm");
    es_transcript_free(t);
    free(f);
    f = fake_new(v);
    t = run(f, v, &p, NULL, x, 16);
    assert_int_equal((int)t->n_segments, 0);
    assert_int_equal(f->window, -1);
    es_transcript_free(t);
    t = run(f, v, &p, NULL, NULL, 0);
    assert_int_equal((int)t->n_segments, 0);
    es_transcript_free(t);
    free(f);
    free(x);
    es_whisper_vocab_free(v);
}

static void beam_uses_sequences(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab(51865);
    fake *f = fake_new(v);
    window_script *w = &f->w[0];
    ts(v, w, 0, 0); say(w, 0, "beam"); ts(v, w, 0, 100);
    size_t n = 5 * 16000;
    float *x = noise(n);
    es_asr_params p = es_asr_default_params();
    p.language = "en";
    p.beam_size = 5;
    es_transcript *t = run(f, v, &p, NULL, x, n);
    assert_true(f->max_seq >= 1 && f->max_seq <= 4);
    expect_segment(t, 0, 0.0, 2.0, "beam");
    es_transcript_free(t);
    free(f);
    free(x);
    es_whisper_vocab_free(v);
}

/* The previous text is capped at n_text_ctx / 2 − 1 = 223 tokens (openai:
 * prompt_tokens[-(n_ctx // 2 - 1):]), the most recent ones. */
static void prompt_is_bounded(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab(51865);
    fake *f = fake_new(v);
    for (int k = 0; k < 3; k++) {
        window_script *w = &f->w[k];
        ts(v, w, 0, 0);
        char text[151];
        for (int i = 0; i < 150; i++) text[i] = (char)('a' + (i * 7 + k) % 26);
        text[150] = 0;
        say(w, 0, text);
        ts(v, w, 0, 1400);
    }
    size_t n = 80 * 16000;
    float *x = noise(n);
    es_asr_params p = es_asr_default_params();
    p.language = "en";
    p.compression_ratio_threshold = 0.0f;   /* off: the text repeats */
    es_transcript *t = run(f, v, &p, NULL, x, n);
    assert_int_equal((int)t->n_segments, 3);
    assert_int_equal(t->segments[0].n_tokens, 152);
    assert_int_equal(f->n_initial[1], 1 + 152 + 3);
    assert_int_equal(f->n_initial[2], 1 + 223 + 3);
    assert_int_equal(f->initial[2][0], v->sot_prev);
    /* the last 223 of window 0's 152 + window 1's 152 tokens */
    assert_memory_equal(f->initial[2] + 1, t->segments[0].tokens + (304 - 223),
                        (size_t)(152 - (304 - 223)) * sizeof(int32_t));
    assert_memory_equal(f->initial[2] + 1 + 71, t->segments[1].tokens, 152 * sizeof(int32_t));
    assert_int_equal(f->initial[2][223], v->timestamp_begin + 1400);
    es_transcript_free(t);
    free(x);
    free(f);
    es_whisper_vocab_free(v);
}

static void bad_arguments(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab(51865);
    fake *f = fake_new(v);
    es_asr_params p = es_asr_default_params();
    p.language = "klingon";
    float x[16000] = {0};
    es_transcript *t = NULL;
    es_error err;
    assert_int_equal(es_whisper_transcribe(&f->r, v, NULL, &p, NULL, x, 16000, &t, &err),
                     ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "klingon"));
    assert_null(t);
    f->r.n_vocab = 51864;
    assert_int_equal(es_whisper_transcribe(&f->r, v, NULL, NULL, NULL, x, 16000, &t, &err),
                     ES_ERR_INVALID_ARG);
    free(f);
    es_whisper_vocab_free(v);
}

/* The per-window log-mel equals openai's log-mel of the whole signal
 * padded with 30 s of zeros (one es_logmel_compute over all of it). */
static void window_mel_matches_whole_signal(void **state)
{
    (void)state;
    size_t n = 65 * 16000 + 123;
    size_t np = n + 480000;
    float *x = calloc(np, sizeof *x);
    assert_non_null(x);
    float *nz = noise(n);
    memcpy(x, nz, n * sizeof *x);
    for (size_t i = 200000; i < 260000; i++) x[i] *= 8.0f;   /* a loud part */
    free(nz);
    es_logmel *lm = NULL;
    es_error err;
    assert_int_equal(es_logmel_create(80, NULL, &lm, &err), ES_OK);
    size_t nf_all = es_logmel_n_frames(np);
    float *all = malloc(80 * nf_all * sizeof *all);
    assert_non_null(all);
    assert_int_equal(es_logmel_compute(lm, x, np, all, &err), ES_OK);
    float gmax = 0.0f;
    assert_int_equal(es_whisper_mel_max(lm, x, n, &gmax, &err), ES_OK);
    float want_max = -INFINITY;
    for (size_t i = 0; i < 80 * nf_all; i++)
        if (all[i] > want_max) want_max = all[i];
    assert_float_equal(gmax, want_max, 1e-5);
    size_t n_content = es_logmel_n_frames(n);
    size_t starts[] = {0, 1, 1234, 3000, n_content - 2900, n_content - 7};
    float *win = malloc(80 * 3000 * sizeof *win);
    for (size_t k = 0; k < sizeof starts / sizeof *starts; k++) {
        size_t f0 = starts[k];
        int nf = (int)(n_content - f0 < 3000 ? n_content - f0 : 3000);
        assert_int_equal(es_whisper_window_mel(lm, x, n, f0, nf, gmax - 2.0f, win, &err), ES_OK);
        double worst = 0.0;
        for (int b = 0; b < 80; b++)
            for (int t = 0; t < nf; t++) {
                double d = fabs(win[(size_t)b * nf + t] - all[(size_t)b * nf_all + f0 + t]);
                if (d > worst) worst = d;
            }
        if (worst > 2e-5) fail_msg("window at frame %zu: max abs diff %g", f0, worst);
    }
    free(win);
    free(all);
    free(x);
    es_logmel_free(lm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(long_form_three_windows),
        cmocka_unit_test(fallback_on_compression_ratio),
        cmocka_unit_test(fallback_on_logprob),
        cmocka_unit_test(no_speech_skip),
        cmocka_unit_test(english_only_and_no_timestamps),
        cmocka_unit_test(trimming_and_tiny_inputs),
        cmocka_unit_test(beam_uses_sequences),
        cmocka_unit_test(prompt_is_bounded),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(window_mel_matches_whole_signal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
