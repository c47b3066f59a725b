/* whisper_encoder.c — the audio encoder of openai/whisper:
 *   x = GELU(conv1d(mel, k3, p1)); x = GELU(conv1d(x, k3, stride 2, p1))
 *   x += positional_embedding[0 .. n_ctx)
 *   each block: x += attn(ln(x)); x += mlp(ln(x))    (MLP d → 4d GELU → d)
 *   x = ln_post(x)
 * then, once per window, the cross-attention keys and values of every
 * decoder layer. The convolutions are im2col + GEMM. With fewer than
 * 2·n_audio_ctx frames only those frames are encoded (n_frames / 2
 * positions: whisper.cpp's audio_ctx), so a 10 s chunk costs a third of a
 * 30 s window. Activations are [time × channels], row-major. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "models/whisper/whisper_weights.h"
#include "nn/ops.h"

typedef struct enc_ws {
    float *cols;     /* im2col: [n_frames × 3·max(n_mels, d)] */
    float *conv;     /* conv1 output [n_frames × d] */
    float *h;        /* [n_ctx × d] */
    float *tmp;      /* [n_ctx × d] */
    float *qkv;      /* [n_ctx × 3d] */
    float *ffn;      /* [n_ctx × 4d] */
    float *scores;   /* [n_ctx × n_ctx] */
    float *scratch;
} enc_ws;

static void add_inplace(float *x, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

/* cols[t][c·3 + k] = in[stride·t + k − 1][c] for in [T_in × C] time-major,
 * or in[c][t + k − 1] for in [C × T_in] channel-major (the mel). */
static void im2col(const float *in, int T_in, int C, int channel_major,
                   int stride, int T_out, float *cols)
{
    for (int t = 0; t < T_out; t++) {
        float *row = cols + (size_t)t * 3 * C;
        for (int k = 0; k < 3; k++) {
            int src = stride * t + k - 1;
            int ok = src >= 0 && src < T_in;
            for (int c = 0; c < C; c++)
                row[c * 3 + k] = !ok ? 0.0f
                               : channel_major ? in[(size_t)c * T_in + src]
                                               : in[(size_t)src * C + c];
        }
    }
}

static es_status block(const es_whisper_model *m, const wh_block *b, float *x,
                       int T, enc_ws *w)
{
    const int d = m->hp.n_audio_state;
    const size_t Td = (size_t)T * d;
    es_status s;
    memcpy(w->h, x, Td * sizeof(float));
    es_layernorm(w->h, T, d, b->attn_ln_g, b->attn_ln_b, WH_LN_EPS);
    if ((s = es_linear_forward(&b->attn.qkv, w->h, T, w->qkv, w->scratch))) return s;
    wh_attention(w->qkv, 3 * d, w->qkv + d, 3 * d, w->qkv + 2 * d, 3 * d, w->h, d,
                 T, T, m->hp.n_audio_head, d, -1, w->scores);
    if ((s = es_linear_forward(&b->attn.out, w->h, T, w->tmp, w->scratch))) return s;
    add_inplace(x, w->tmp, Td);
    memcpy(w->h, x, Td * sizeof(float));
    es_layernorm(w->h, T, d, b->mlp_ln_g, b->mlp_ln_b, WH_LN_EPS);
    if ((s = es_linear_forward(&b->mlp0, w->h, T, w->ffn, w->scratch))) return s;
    es_gelu_erf(w->ffn, (size_t)T * 4 * d);
    if ((s = es_linear_forward(&b->mlp2, w->ffn, T, w->tmp, w->scratch))) return s;
    add_inplace(x, w->tmp, Td);
    return ES_OK;
}

static es_status run(es_whisper_session *s, const float *mel, int n_frames,
                     enc_ws *w)
{
    const es_whisper_model *m = s->m;
    const es_whisper_hparams *h = &m->hp;
    const int d = h->n_audio_state, T = n_frames / 2;
    float *x = s->enc_out;
    es_status st;
    im2col(mel, n_frames, h->n_mels, 1, 1, n_frames, w->cols);
    if ((st = es_linear_forward(&m->conv1, w->cols, n_frames, w->conv, w->scratch)))
        return st;
    es_gelu_erf(w->conv, (size_t)n_frames * d);
    im2col(w->conv, n_frames, d, 0, 2, T, w->cols);
    if ((st = es_linear_forward(&m->conv2, w->cols, T, x, w->scratch))) return st;
    es_gelu_erf(x, (size_t)T * d);
    add_inplace(x, m->enc_pos, (size_t)T * d);
    for (int l = 0; l < h->n_audio_layer; l++)
        if ((st = block(m, &m->enc[l], x, T, w))) return st;
    es_layernorm(x, T, d, m->ln_post_g, m->ln_post_b, WH_LN_EPS);
    for (int l = 0; l < h->n_text_layer; l++)
        if ((st = es_linear_forward(&m->dec[l].cross.kv, x, T, s->cross_kv[l],
                                    w->scratch)))
            return st;
    return ES_OK;
}

es_status wh_encode(es_whisper_session *s, const float *mel, int n_frames,
                    es_error *err)
{
    const es_whisper_hparams *h = &s->m->hp;
    const size_t d = (size_t)h->n_audio_state, F = (size_t)n_frames,
                 T = F / 2, C = (size_t)(h->n_mels > h->n_audio_state
                                         ? h->n_mels : h->n_audio_state);
    enc_ws w;
    w.cols = malloc(F * 3 * C * sizeof(float));
    w.conv = malloc(F * d * sizeof(float));
    w.h = malloc(T * d * sizeof(float));
    w.tmp = malloc(T * d * sizeof(float));
    w.qkv = malloc(T * 3 * d * sizeof(float));
    w.ffn = malloc(T * 4 * d * sizeof(float));
    w.scores = malloc(T * T * sizeof(float));
    size_t scr = wh_model_scratch(s->m);
    w.scratch = malloc((scr ? scr : 1) * sizeof(float));
    es_status st = ES_OK;
    if (!w.cols || !w.conv || !w.h || !w.tmp || !w.qkv || !w.ffn || !w.scores ||
        !w.scratch || (st = run(s, mel, n_frames, &w)))
        st = es_fail(err, ES_ERR_NOMEM, "whisper: out of memory encoding %d "
                     "mel frames", n_frames);
    free(w.cols);
    free(w.conv);
    free(w.h);
    free(w.tmp);
    free(w.qkv);
    free(w.ffn);
    free(w.scores);
    free(w.scratch);
    return st;
}
