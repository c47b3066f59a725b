/* whisper_transcribe.c — the long-form loop (see whisper_transcribe.h):
 * per-window log-mel, encode, language detection, prompt, temperature
 * fallback, no-speech skip, segment splitting and seeking, following
 * openai/whisper transcribe.py. */
#include "models/whisper/whisper_transcribe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "models/asr/asr_impl.h"
#include "models/whisper/whisper_decode.h"

#define HOP 160
#define MARGIN 2   /* frames of context either side of a window's slice */

es_whisper_transcribe_opts es_whisper_transcribe_default_opts(void)
{
    es_whisper_transcribe_opts o;
    memset(&o, 0, sizeof o);
    o.trim_short_windows = 1;
    o.min_window_frames = 100;
    o.condition_on_previous_text = 1;
    o.prompt_reset_temperature = 0.5f;
    o.best_of = 1;
    o.patience = 1.0f;
    o.max_initial_timestamp = 1.0f;
    o.suppress_blank = 1;
    o.suppress_non_speech = 1;
    o.sample_len = 0;
    o.cap_timestamps_to_window = 1;
    return o;
}

/* ------------------------------------------------------------ log-mel */

es_status es_whisper_window_mel(es_logmel *lm, const float *samples, size_t n,
                                size_t f0, int nf, float floor_norm, float *out,
                                es_error *err)
{
    if (nf <= 0) return ES_OK;
    const int n_mels = es_logmel_n_mels(lm);
    size_t fa = f0 >= MARGIN ? f0 - MARGIN : 0;
    size_t off = f0 - fa;
    size_t n_fr = off + (size_t)nf + MARGIN;
    size_t len = n_fr * HOP, a = fa * HOP;
    float *x = malloc(len * sizeof *x);
    float *m = malloc((size_t)n_mels * n_fr * sizeof *m);
    if (!x || !m) {
        free(x);
        free(m);
        return es_fail(err, ES_ERR_NOMEM, "whisper: out of memory for the log-mel");
    }
    /* the signal continues with zeros past its end (openai pads 30 s) */
    size_t have = a < n ? (n - a < len ? n - a : len) : 0;
    if (have) memcpy(x, samples + a, have * sizeof *x);
    memset(x + have, 0, (len - have) * sizeof *x);
    es_status s = es_logmel_compute(lm, x, len, m, err);
    if (!s) {
        for (int b = 0; b < n_mels; b++) {
            const float *src = m + (size_t)b * n_fr + off;
            float *dst = out + (size_t)b * (size_t)nf;
            for (int t = 0; t < nf; t++) dst[t] = src[t] > floor_norm ? src[t] : floor_norm;
        }
    }
    free(x);
    free(m);
    return s;
}

es_status es_whisper_mel_max(es_logmel *lm, const float *samples, size_t n,
                             float *max_norm, es_error *err)
{
    /* frames that touch the audio: t·160 − 200 < n; later ones are silence,
     * log10(1e-10) = −10 → (−10 + 4) / 4 = −1.5 */
    size_t n1 = (n + 200 + HOP - 1) / HOP;
    const int n_mels = es_logmel_n_mels(lm);
    float *buf = malloc((size_t)n_mels * ES_WHISPER_WINDOW_FRAMES * sizeof *buf);
    if (!buf) return es_fail(err, ES_ERR_NOMEM, "whisper: out of memory for the log-mel");
    float mx = -1.5f;
    es_status s = ES_OK;
    for (size_t f0 = 0; f0 < n1 && !s; f0 += ES_WHISPER_WINDOW_FRAMES) {
        int nf = (int)(n1 - f0 < ES_WHISPER_WINDOW_FRAMES ? n1 - f0 : ES_WHISPER_WINDOW_FRAMES);
        s = es_whisper_window_mel(lm, samples, n, f0, nf, -INFINITY, buf, err);
        for (size_t i = 0; !s && i < (size_t)n_mels * (size_t)nf; i++)
            if (buf[i] > mx) mx = buf[i];
    }
    free(buf);
    *max_norm = mx;
    return s;
}

/* ------------------------------------------------------------- helpers */

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Tokens of earlier windows that condition the next (bounded). */
typedef struct history {
    int32_t *tok;
    int n, cap;
} history;

static void history_add(history *h, const int32_t *t, int n)
{
    if (h->cap <= 0) return;
    if (n >= h->cap) {
        memcpy(h->tok, t + (n - h->cap), (size_t)h->cap * sizeof *t);
        h->n = h->cap;
        return;
    }
    int keep = h->n + n > h->cap ? h->cap - n : h->n;
    memmove(h->tok, h->tok + (h->n - keep), (size_t)keep * sizeof *t);
    memcpy(h->tok + keep, t, (size_t)n * sizeof *t);
    h->n = keep + n;
}

/* Adds one segment (tokens tok[0..n) of a window at time_offset); returns
 * 1 if it was kept (then its tokens join the history). */
static es_status add_segment(const es_whisper_vocab *v, es_transcript *t,
                             double start, double end, double audio_dur,
                             const int32_t *tok, int n,
                             const es_whisper_result *res, int *kept,
                             es_error *err)
{
    *kept = 0;
    char *text = NULL;
    es_status s = es_whisper_detokenize(v, tok, n, &text, err);
    if (s) return s;
    char *a = text, *b = text + strlen(text);
    while (a < b && is_space((unsigned char)*a)) a++;
    while (b > a && is_space((unsigned char)b[-1])) b--;
    *b = 0;
    if (end > audio_dur) end = audio_dur;
    if (start == end || a == b || start >= audio_dur || end < start) {
        free(text);
        return ES_OK;
    }
    s = es_transcript_add(t, start, end, a, res->avg_logprob, res->no_speech_prob,
                          tok, n);
    free(text);
    if (s) return es_fail(err, ES_ERR_NOMEM, "whisper: out of memory for the transcript");
    *kept = 1;
    return ES_OK;
}

/* ----------------------------------------------------------- transcribe */

es_status es_whisper_transcribe(const es_whisper_runner *r,
                                const es_whisper_vocab *v,
                                const float *mel_filters,
                                const es_asr_params *p,
                                const es_whisper_transcribe_opts *o,
                                const float *samples, size_t n,
                                es_transcript **out, es_error *err)
{
    if (!out) return es_fail(err, ES_ERR_INVALID_ARG, "whisper: out is NULL");
    *out = NULL;
    if (!r || !v || (n && !samples))
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper transcribe: NULL argument");
    if (r->n_vocab != v->n_vocab)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper: the model has %d logits "
                       "but the vocabulary %d tokens", r->n_vocab, v->n_vocab);
    if (r->n_audio_ctx <= 0 || ES_WHISPER_WINDOW_FRAMES % r->n_audio_ctx ||
        r->n_text_ctx < 8)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper: unsupported model shape "
                       "(n_audio_ctx %d, n_text_ctx %d)", r->n_audio_ctx, r->n_text_ctx);
    es_asr_params pd = es_asr_default_params();
    if (!p) p = &pd;
    es_whisper_transcribe_opts od = es_whisper_transcribe_default_opts();
    if (!o) o = &od;
    if (p->beam_size < 0 || p->beam_size > 16)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper: beam_size must be 0..16");

    /* language and task */
    int lang = -1;   /* -1: detect */
    if (!v->multilingual) {
        lang = 0;    /* "en" */
    } else if (p->language && *p->language && strcmp(p->language, "auto")) {
        lang = es_whisper_lang_index(v, p->language);
        if (lang < 0)
            return es_fail(err, ES_ERR_INVALID_ARG, "whisper: unknown language "
                           "\"%s\": give a code such as en, de, fr, zh, or auto",
                           p->language);
    }

    es_transcript *tr = es_transcript_new();
    if (!tr) return es_fail(err, ES_ERR_NOMEM, "whisper: out of memory");
    if (lang >= 0) snprintf(tr->language, sizeof tr->language, "%s", es_whisper_lang_code(lang));

    const size_t n_content = es_logmel_n_frames(n);
    const double audio_dur = (double)n / ES_SAMPLE_RATE;
    const int input_stride = ES_WHISPER_WINDOW_FRAMES / r->n_audio_ctx;   /* 2 */
    const double time_precision = (double)input_stride * HOP / ES_SAMPLE_RATE;
    const int prompt_max = r->n_text_ctx / 2 - 1;

    es_logmel *lm = NULL;
    float *mel = NULL, *last_logits = NULL;
    int32_t *initial = NULL;
    history hist = {0};
    es_whisper_result res;
    memset(&res, 0, sizeof res);
    es_status s = ES_OK;
    if (n_content == 0) goto done;

    s = es_logmel_create(r->n_mels, mel_filters, &lm, err);
    if (s) goto done;
    float gmax = 0.0f;
    s = es_whisper_mel_max(lm, samples, n, &gmax, err);
    if (s) goto done;
    const float floor_norm = gmax - 2.0f;

    mel = malloc((size_t)r->n_mels * ES_WHISPER_WINDOW_FRAMES * sizeof *mel);
    last_logits = malloc((size_t)r->n_vocab * sizeof *last_logits);
    initial = malloc((size_t)(prompt_max + 8) * sizeof *initial);
    hist.cap = prompt_max > 0 ? prompt_max : 0;
    hist.tok = malloc((size_t)(hist.cap + 1) * sizeof *hist.tok);
    if (!mel || !last_logits || !initial || !hist.tok) {
        s = es_fail(err, ES_ERR_NOMEM, "whisper: out of memory");
        goto done;
    }

    int max_init_index = -1;
    if (o->max_initial_timestamp >= 0.0f)
        max_init_index = (int)lround(o->max_initial_timestamp / time_precision);
    const int timestamps = p->timestamps != 0;
    const int cr_on = p->compression_ratio_threshold > 0.0f;
    const int lp_on = !isnan(p->logprob_threshold) && p->logprob_threshold > -1e30f;
    const int ns_on = p->no_speech_threshold > 0.0f;

    size_t seek = 0;
    while (seek < n_content) {
        int seg = (int)(n_content - seek < ES_WHISPER_WINDOW_FRAMES
                            ? n_content - seek : ES_WHISPER_WINDOW_FRAMES);
        double time_offset = (double)seek * HOP / ES_SAMPLE_RATE;
        double seg_dur = (double)seg * HOP / ES_SAMPLE_RATE;

        /* the window's mel: its frames, then zeros (openai's pad_or_trim) */
        int n_enc = ES_WHISPER_WINDOW_FRAMES;
        if (o->trim_short_windows && seg < ES_WHISPER_WINDOW_FRAMES) {
            n_enc = seg > o->min_window_frames ? seg : o->min_window_frames;
            n_enc += n_enc & 1;
            if (n_enc > ES_WHISPER_WINDOW_FRAMES) n_enc = ES_WHISPER_WINDOW_FRAMES;
        }
        {
            float *tmp = malloc((size_t)r->n_mels * (size_t)seg * sizeof *tmp);
            if (!tmp) {
                s = es_fail(err, ES_ERR_NOMEM, "whisper: out of memory");
                goto done;
            }
            s = es_whisper_window_mel(lm, samples, n, seek, seg, floor_norm, tmp, err);
            if (!s)
                for (int b = 0; b < r->n_mels; b++) {
                    float *dst = mel + (size_t)b * (size_t)n_enc;
                    memcpy(dst, tmp + (size_t)b * (size_t)seg, (size_t)seg * sizeof *dst);
                    for (int t = seg; t < n_enc; t++) dst[t] = 0.0f;
                }
            free(tmp);
            if (s) goto done;
        }
        s = r->encode(r->ctx, mel, n_enc, err);
        if (s) goto done;

        if (lang < 0) {   /* openai: detected once, on the first window */
            s = es_whisper_detect_language(r, v, &lang, NULL, err);
            if (s) goto done;
            snprintf(tr->language, sizeof tr->language, "%s", es_whisper_lang_code(lang));
        }

        /* initial tokens: [sot_prev, prompt...] sot [lang task] [notimestamps] */
        int ni = 0;
        if (hist.n > 0) {
            initial[ni++] = v->sot_prev;
            memcpy(initial + ni, hist.tok, (size_t)hist.n * sizeof *initial);
            ni += hist.n;
        }
        int sot_index = ni;
        initial[ni++] = v->sot;
        if (v->multilingual) {
            initial[ni++] = es_whisper_lang_token(v, lang);
            initial[ni++] = p->translate ? v->translate : v->transcribe;
        }
        if (!timestamps) initial[ni++] = v->no_timestamps;

        float nsp = 0.0f;
        s = es_whisper_decode_prompt(r, v, initial, ni, sot_index, last_logits, &nsp, err);
        if (s) goto done;

        /* temperature fallback */
        float inc = p->temperature_increment;
        int n_temps = inc > 0.0f ? (int)floor(1.0 / inc + 1e-6) + 1 : 1;
        for (int ti = 0; ti < n_temps; ti++) {
            float temp = (float)ti * (inc > 0.0f ? inc : 0.0f);
            es_whisper_decode_opts d = es_whisper_decode_default_opts();
            d.temperature = temp;
            d.beam_size = temp == 0.0f && p->beam_size > 1 ? p->beam_size : 1;
            d.patience = o->patience;
            d.best_of = temp > 0.0f && o->best_of > 1 ? o->best_of : 1;
            d.sample_len = o->sample_len;
            d.filter.suppress_blank = o->suppress_blank;
            d.filter.suppress_non_speech = o->suppress_non_speech;
            d.filter.timestamps = timestamps;
            d.filter.max_initial_timestamp_index = max_init_index;
            d.filter.max_timestamp_index =
                o->cap_timestamps_to_window && seg < ES_WHISPER_WINDOW_FRAMES
                    ? (seg + input_stride - 1) / input_stride : -1;
            d.seed = mix64(p->seed ^ mix64((uint64_t)seek * 1315423911ull + (uint64_t)ti));
            es_whisper_result_free(&res);
            s = es_whisper_decode_continue(r, v, ni, last_logits, nsp, &d, &res, err);
            if (s) goto done;
            int fallback = (cr_on && res.compression_ratio > p->compression_ratio_threshold) ||
                           (lp_on && res.avg_logprob < p->logprob_threshold);
            if (ns_on && lp_on && res.no_speech_prob > p->no_speech_threshold &&
                res.avg_logprob < p->logprob_threshold)
                fallback = 0;   /* silence */
            if (!fallback) break;
        }

        /* no-speech skip */
        if (ns_on) {
            int skip = res.no_speech_prob > p->no_speech_threshold;
            if (lp_on && res.avg_logprob > p->logprob_threshold) skip = 0;
            if (skip) {
                seek += (size_t)seg;
                continue;
            }
        }

        /* segments */
        const int32_t *tok = res.tokens;
        const int nt = res.n_tokens;
        const int32_t tb = v->timestamp_begin;
        size_t prev_seek = seek;
        int single_end = nt >= 2 && tok[nt - 2] < tb && tok[nt - 1] >= tb;
        int n_consec = 0;
        for (int i = 0; i + 1 < nt; i++)
            if (tok[i] >= tb && tok[i + 1] >= tb) n_consec++;
        int kept = 0;
        if (n_consec > 0) {
            int last = 0;
            for (int i = 0; i <= nt; i++) {
                int cut = (i > 0 && i < nt && tok[i - 1] >= tb && tok[i] >= tb) ||
                          (i == nt && single_end);
                if (!cut) continue;
                const int32_t *sl = tok + last;
                int sn = i - last;
                double st = time_offset + (sl[0] >= tb ? (sl[0] - tb) * time_precision : 0.0);
                double en = time_offset + (sl[sn - 1] >= tb ? (sl[sn - 1] - tb) * time_precision
                                                           : seg_dur);
                s = add_segment(v, tr, st, en, audio_dur, sl, sn, &res, &kept, err);
                if (s) goto done;
                if (kept) history_add(&hist, sl, sn);
                last = i;
            }
            if (single_end) {
                seek += (size_t)seg;
            } else {
                int32_t t_end = tok[last - 1];
                seek += (size_t)((t_end >= tb ? t_end - tb : 0) * input_stride);
            }
        } else {
            double dur = seg_dur;
            int32_t last_ts = -1;
            for (int i = nt - 1; i >= 0; i--)
                if (tok[i] >= tb) {
                    last_ts = tok[i];
                    break;
                }
            if (last_ts >= 0 && last_ts != tb) dur = (last_ts - tb) * time_precision;
            s = add_segment(v, tr, time_offset, time_offset + dur, audio_dur, tok, nt,
                            &res, &kept, err);
            if (s) goto done;
            if (kept) history_add(&hist, tok, nt);
            seek += (size_t)seg;
        }
        if (seek <= prev_seek) seek = prev_seek + (size_t)seg;   /* never stall */

        if (!o->condition_on_previous_text || res.temperature > o->prompt_reset_temperature)
            hist.n = 0;
    }

done:
    es_whisper_result_free(&res);
    es_logmel_free(lm);
    free(mel);
    free(last_logits);
    free(initial);
    free(hist.tok);
    if (s) {
        es_transcript_free(tr);
        return s;
    }
    *out = tr;
    return ES_OK;
}
