/* whisper_backend.c — Whisper behind es_asr: loads a ggml file
 * (whisper_model.h), builds the vocabulary (whisper_vocab.h) and runs the
 * long-form loop (whisper_transcribe.h) over a runner that wraps one
 * es_whisper_session per transcription. */
#include "core/error.h"
#include "models/asr/asr_impl.h"
#include "models/whisper/whisper_model.h"
#include "models/whisper/whisper_runner.h"
#include "models/whisper/whisper_transcribe.h"
#include "models/whisper/whisper_vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct whisper_asr {
    es_whisper_model *model;
    es_whisper_vocab *vocab;
    es_asr_params params;
    char language[16];   /* params.language is the caller's: keep a copy */
    int threads;
} whisper_asr;

static es_status run_encode(void *ctx, const float *mel, int n_frames, es_error *err)
{
    return es_whisper_encode(ctx, mel, n_frames, err);
}

static es_status run_decode(void *ctx, int seq, const int32_t *tokens, int n_tokens,
                            int n_past, float *logits, es_error *err)
{
    return es_whisper_decode(ctx, seq, tokens, n_tokens, n_past, logits, err);
}

static es_status run_seq_copy(void *ctx, int dst, int src, int n_past, es_error *err)
{
    return es_whisper_seq_copy(ctx, dst, src, n_past, err);
}

static es_status whisper_transcribe(void *impl, const float *samples, size_t n,
                                    es_transcript **out, es_error *err)
{
    whisper_asr *w = impl;
    const es_whisper_hparams *hp = es_whisper_model_hparams(w->model);
    int n_seq = w->params.beam_size > 1 ? w->params.beam_size : 1;
    es_whisper_session *s;
    es_status st = es_whisper_session_new(w->model, n_seq, w->threads, &s, err);
    if (st) return st;
    es_whisper_runner r = {
        .ctx = s,
        .n_vocab = hp->n_vocab,
        .n_text_ctx = hp->n_text_ctx,
        .n_audio_ctx = hp->n_audio_ctx,
        .n_mels = hp->n_mels,
        .encode = run_encode,
        .decode = run_decode,
        .seq_copy = run_seq_copy,
    };
    es_asr_params p = w->params;
    p.language = w->language[0] ? w->language : NULL;
    st = es_whisper_transcribe(&r, w->vocab, es_whisper_model_filters(w->model), &p,
                               NULL, samples, n, out, err);
    es_whisper_session_free(s);
    return st;
}

static void whisper_free(void *impl)
{
    whisper_asr *w = impl;
    if (!w) return;
    es_whisper_vocab_free(w->vocab);
    es_whisper_model_free(w->model);
    free(w);
}

es_status es_whisper_backend_open(const char *path, const es_asr_params *params,
                                  es_asr_backend *out, es_error *err)
{
    whisper_asr *w = calloc(1, sizeof *w);
    if (!w) return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    w->params = *params;
    if (params->language && strcmp(params->language, "auto") != 0)
        snprintf(w->language, sizeof w->language, "%s", params->language);
    w->threads = params->threads;
    if (w->threads <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        w->threads = nc > 0 ? (int)nc : 1;
    }
    es_whisper_load_params lp = {0};
    es_status s = es_whisper_model_load(path, &lp, &w->model, err);
    if (!s) {
        const es_whisper_file_vocab *fv = es_whisper_model_vocab(w->model);
        s = es_whisper_vocab_new(es_whisper_model_hparams(w->model)->n_vocab, fv->n,
                                 fv->bytes, fv->len, &w->vocab, err);
    }
    if (!s && w->language[0] && es_whisper_lang_index(w->vocab, w->language) < 0)
        s = es_fail(err, ES_ERR_INVALID_ARG, "unknown language '%s' (use a code such "
                    "as en, de, fr, or auto)", w->language);
    if (!s && w->language[0] && !w->vocab->multilingual &&
        strcmp(w->language, "en") != 0)
        s = es_fail(err, ES_ERR_INVALID_ARG, "%s is an English-only model: it "
                    "cannot transcribe language '%s'", path, w->language);
    if (s) {
        whisper_free(w);
        return s;
    }
    memset(out, 0, sizeof *out);
    out->kind = ES_ASR_WHISPER;
    snprintf(out->describe, sizeof out->describe, "whisper %s (ggml %s)",
             es_whisper_model_size_name(w->model), es_whisper_model_wtype(w->model));
    out->impl = w;
    out->transcribe = whisper_transcribe;
    out->free = whisper_free;
    return ES_OK;
}
