/* whisper_model.c — the model's accessors and the session: the state of one
 * transcription (encoder output, cross-attention K/V of the current window,
 * a self-attention KV cache per sequence), with the argument checks of the
 * public forward functions. The loader is whisper_load.c; the passes are
 * whisper_encoder.c and whisper_decoder.c. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "models/whisper/ggml_types.h"
#include "models/whisper/whisper_weights.h"
#include "nn/ops.h"

#define MAX_SEQ 64

const es_whisper_hparams *es_whisper_model_hparams(const es_whisper_model *m)
{
    return &m->hp;
}

const es_whisper_file_vocab *es_whisper_model_vocab(const es_whisper_model *m)
{
    return &m->vocab;
}

const float *es_whisper_model_filters(const es_whisper_model *m)
{
    return m->filters;
}

const char *es_whisper_model_size_name(const es_whisper_model *m)
{
    return m->size_name;
}

const char *es_whisper_model_wtype(const es_whisper_model *m)
{
    const char *n = es_ggml_ftype_name(m->hp.ftype % 1000);
    return n ? n : "unknown";
}

size_t wh_model_scratch(const es_whisper_model *m)
{
    size_t s = es_linear_scratch(&m->conv1);
    size_t c = es_linear_scratch(&m->conv2);
    size_t l = es_linear_scratch(&m->logits);
    s = c > s ? c : s;
    s = l > s ? l : s;
    for (int i = 0; i < m->hp.n_audio_layer + m->hp.n_text_layer; i++) {
        const wh_block *b = i < m->hp.n_audio_layer ? &m->enc[i]
                                                    : &m->dec[i - m->hp.n_audio_layer];
        const es_linear *ls[] = {&b->attn.qkv, &b->attn.out, &b->mlp0, &b->mlp2,
                                 &b->cross.qkv, &b->cross.kv, &b->cross.out};
        for (int k = 0; k < 7; k++) {
            size_t x = ls[k]->w.rows || ls[k]->packed ? es_linear_scratch(ls[k]) : 0;
            s = x > s ? x : s;
        }
    }
    return s;
}

void wh_attention(const float *q, int qs, const float *k, int ks,
                  const float *v, int vs, float *out, int os, int T, int L,
                  int n_head, int d, int causal_from, float *scores)
{
    const int dh = d / n_head;
    const float scale = 1.0f / sqrtf((float)dh);
    for (int h = 0; h < n_head; h++) {
        const int o = h * dh;
        if (T == 1) {   /* one query (the decoding loop): sgemv is 2× sgemm */
            cblas_sgemv(CblasRowMajor, CblasNoTrans, L, dh, scale, k + o, ks,
                        q + o, 1, 0.0f, scores, 1);
            if (causal_from >= 0)
                for (int j = causal_from + 1; j < L; j++) scores[j] = -INFINITY;
            es_softmax_rows(scores, 1, L);
            cblas_sgemv(CblasRowMajor, CblasTrans, L, dh, 1.0f, v + o, vs, scores,
                        1, 0.0f, out + o, 1);
            continue;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, L, dh, scale,
                    q + o, qs, k + o, ks, 0.0f, scores, L);
        if (causal_from >= 0)
            for (int t = 0; t < T; t++)
                for (int j = causal_from + t + 1; j < L; j++)
                    scores[(size_t)t * L + j] = -INFINITY;
        es_softmax_rows(scores, T, L);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dh, L, 1.0f,
                    scores, L, v + o, vs, 0.0f, out + o, os);
    }
}

/* ------------------------------------------------------------ session */

void es_whisper_session_free(es_whisper_session *s)
{
    if (!s) return;
    const es_whisper_hparams *h = &s->m->hp;
    if (s->cross_kv)
        for (int i = 0; i < h->n_text_layer; i++) free(s->cross_kv[i]);
    if (s->self_k)
        for (int i = 0; i < h->n_text_layer * s->n_seq; i++) free(s->self_k[i]);
    if (s->self_v)
        for (int i = 0; i < h->n_text_layer * s->n_seq; i++) free(s->self_v[i]);
    free(s->cross_kv);
    free(s->self_k);
    free(s->self_v);
    free(s->enc_out);
    free(s->n_cached);
    free(s);
}

es_status es_whisper_session_new(const es_whisper_model *m, int n_seq,
                                 int threads, es_whisper_session **out,
                                 es_error *err)
{
    *out = NULL;
    if (!m || m->vocab_only || !m->enc)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: the model was loaded "
                       "vocabulary-only and cannot run", m ? m->path : "(null)");
    if (n_seq < 1 || n_seq > MAX_SEQ)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper: %d sequences asked "
                       "(must be 1..%d)", n_seq, MAX_SEQ);
    const es_whisper_hparams *h = &m->hp;
    const size_t d = (size_t)h->n_text_state;
    es_whisper_session *s = calloc(1, sizeof *s);
    if (!s) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    s->m = m;
    s->n_seq = n_seq;
    s->threads = threads > 0 ? threads : openblas_get_num_procs();
    const int nl = h->n_text_layer, nkv = nl * n_seq;
    s->enc_out = malloc((size_t)h->n_audio_ctx * d * sizeof(float));
    s->cross_kv = calloc((size_t)nl, sizeof *s->cross_kv);
    s->self_k = calloc((size_t)nkv, sizeof *s->self_k);
    s->self_v = calloc((size_t)nkv, sizeof *s->self_v);
    s->n_cached = calloc((size_t)n_seq, sizeof *s->n_cached);
    int ok = s->enc_out && s->cross_kv && s->self_k && s->self_v && s->n_cached;
    for (int i = 0; ok && i < nl; i++)
        ok = !!(s->cross_kv[i] = malloc((size_t)h->n_audio_ctx * 2 * d * sizeof(float)));
    for (int i = 0; ok && i < nkv; i++) {
        s->self_k[i] = malloc((size_t)h->n_text_ctx * d * sizeof(float));
        s->self_v[i] = malloc((size_t)h->n_text_ctx * d * sizeof(float));
        ok = s->self_k[i] && s->self_v[i];
    }
    if (!ok) {
        es_whisper_session_free(s);
        return es_fail(err, ES_ERR_NOMEM, "whisper: out of memory for a session "
                       "of %d sequences", n_seq);
    }
    *out = s;
    return ES_OK;
}

es_status es_whisper_encode(es_whisper_session *s, const float *mel,
                            int n_frames, es_error *err)
{
    const es_whisper_hparams *h = &s->m->hp;
    if (!mel || n_frames < 2 || n_frames % 2 || n_frames > 2 * h->n_audio_ctx)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper: cannot encode %d mel "
                       "frames (must be even, 2..%d)", n_frames,
                       2 * h->n_audio_ctx);
    openblas_set_num_threads(s->threads);
    s->n_ctx = 0;
    for (int i = 0; i < s->n_seq; i++) s->n_cached[i] = 0;
    es_status st = wh_encode(s, mel, n_frames, err);
    if (!st) s->n_ctx = n_frames / 2;
    return st;
}

const float *es_whisper_encoder_output(const es_whisper_session *s, int *n_ctx)
{
    if (n_ctx) *n_ctx = s->n_ctx;
    return s->n_ctx ? s->enc_out : NULL;
}

es_status es_whisper_decode(es_whisper_session *s, int seq,
                            const int32_t *tokens, int n_tokens, int n_past,
                            float *logits, es_error *err)
{
    const es_whisper_hparams *h = &s->m->hp;
    if (!s->n_ctx)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper: decode before any "
                       "successful encode");
    if (seq < 0 || seq >= s->n_seq)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper: sequence %d does not "
                       "exist (session has %d)", seq, s->n_seq);
    if (!tokens || !logits || n_tokens < 1 || n_past < 0 ||
        n_past > s->n_cached[seq] || n_tokens > h->n_text_ctx - n_past)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper: cannot feed %d tokens "
                       "after %d (sequence %d caches %d; the text context is %d)",
                       n_tokens, n_past, seq, s->n_cached[seq], (int)h->n_text_ctx);
    for (int i = 0; i < n_tokens; i++)
        if (tokens[i] < 0 || tokens[i] >= h->n_vocab)
            return es_fail(err, ES_ERR_INVALID_ARG, "whisper: token %d is outside "
                           "the vocabulary of %d", (int)tokens[i], (int)h->n_vocab);
    openblas_set_num_threads(s->threads);
    es_status st = wh_decode(s, seq, tokens, n_tokens, n_past, logits, err);
    s->n_cached[seq] = st ? n_past : n_past + n_tokens;
    return st;
}

es_status es_whisper_seq_copy(es_whisper_session *s, int dst, int src,
                              int n_past, es_error *err)
{
    if (dst < 0 || dst >= s->n_seq || src < 0 || src >= s->n_seq ||
        n_past < 0 || n_past > s->n_cached[src])
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper: cannot copy %d cached "
                       "positions from sequence %d to %d (session has %d "
                       "sequences)", n_past, src, dst, s->n_seq);
    if (dst == src) return ES_OK;
    const size_t bytes = (size_t)n_past * s->m->hp.n_text_state * sizeof(float);
    for (int l = 0; l < s->m->hp.n_text_layer; l++) {
        memcpy(s->self_k[l * s->n_seq + dst], s->self_k[l * s->n_seq + src], bytes);
        memcpy(s->self_v[l * s->n_seq + dst], s->self_v[l * s->n_seq + src], bytes);
    }
    s->n_cached[dst] = n_past;
    return ES_OK;
}
