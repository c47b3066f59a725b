/* whisper_decoder.c — the text decoder of openai/whisper, one call per
 * batch of tokens of one sequence:
 *   x = token_embedding[tokens] + positional_embedding[n_past + t]
 *   each block: x += causal self-attn(ln(x)) over the KV cache + the new
 *               tokens; x += cross-attn(ln(x)) over the encoder output
 *               (K/V made once per window by the encoder); x += mlp(ln(x))
 *   logits = ln(x) · token_embeddingᵀ
 * The keys and values of the fed tokens are written into the sequence's
 * cache at n_past.., so feeding tokens one at a time or all at once gives
 * the same logits. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "models/whisper/whisper_weights.h"
#include "nn/ops.h"

typedef struct dec_ws {
    float *x, *h, *tmp;   /* [T × d] */
    float *qkv;           /* [T × 3d] */
    float *ffn;           /* [T × 4d] */
    float *scores;        /* [T × max(n_past + T, n_ctx)] */
    float *scratch;
} dec_ws;

static void add_inplace(float *x, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

static es_status block(es_whisper_session *s, int l, int seq, int T, int P,
                       dec_ws *w)
{
    const es_whisper_model *m = s->m;
    const wh_block *b = &m->dec[l];
    const int d = m->hp.n_text_state, nh = m->hp.n_text_head;
    const size_t Td = (size_t)T * d;
    float *K = s->self_k[l * s->n_seq + seq], *V = s->self_v[l * s->n_seq + seq];
    es_status st;

    memcpy(w->h, w->x, Td * sizeof(float));
    es_layernorm(w->h, T, d, b->attn_ln_g, b->attn_ln_b, WH_LN_EPS);
    if ((st = es_linear_forward(&b->attn.qkv, w->h, T, w->qkv, w->scratch))) return st;
    for (int t = 0; t < T; t++) {
        memcpy(K + (size_t)(P + t) * d, w->qkv + (size_t)t * 3 * d + d, (size_t)d * sizeof(float));
        memcpy(V + (size_t)(P + t) * d, w->qkv + (size_t)t * 3 * d + 2 * d, (size_t)d * sizeof(float));
    }
    wh_attention(w->qkv, 3 * d, K, d, V, d, w->h, d, T, P + T, nh, d, P, w->scores);
    if ((st = es_linear_forward(&b->attn.out, w->h, T, w->tmp, w->scratch))) return st;
    add_inplace(w->x, w->tmp, Td);

    memcpy(w->h, w->x, Td * sizeof(float));
    es_layernorm(w->h, T, d, b->cross_ln_g, b->cross_ln_b, WH_LN_EPS);
    if ((st = es_linear_forward(&b->cross.qkv, w->h, T, w->qkv, w->scratch))) return st;
    const float *kv = s->cross_kv[l];
    wh_attention(w->qkv, d, kv, 2 * d, kv + d, 2 * d, w->h, d, T, s->n_ctx, nh, d,
                 -1, w->scores);
    if ((st = es_linear_forward(&b->cross.out, w->h, T, w->tmp, w->scratch))) return st;
    add_inplace(w->x, w->tmp, Td);

    memcpy(w->h, w->x, Td * sizeof(float));
    es_layernorm(w->h, T, d, b->mlp_ln_g, b->mlp_ln_b, WH_LN_EPS);
    if ((st = es_linear_forward(&b->mlp0, w->h, T, w->ffn, w->scratch))) return st;
    es_gelu_erf(w->ffn, (size_t)T * 4 * d);
    if ((st = es_linear_forward(&b->mlp2, w->ffn, T, w->tmp, w->scratch))) return st;
    add_inplace(w->x, w->tmp, Td);
    return ES_OK;
}

static es_status run(es_whisper_session *s, int seq, const int32_t *tokens,
                     int T, int P, float *logits, dec_ws *w)
{
    const es_whisper_model *m = s->m;
    const int d = m->hp.n_text_state;
    const es_matrix *emb = m->tok_rows.rows ? &m->tok_rows : &m->logits.w;
    for (int t = 0; t < T; t++) {
        float *xt = w->x + (size_t)t * d;
        const float *pos = m->dec_pos + (size_t)(P + t) * d;
        es_matrix_row(emb, tokens[t], xt);
        for (int j = 0; j < d; j++) xt[j] += pos[j];
    }
    es_status st;
    for (int l = 0; l < m->hp.n_text_layer; l++)
        if ((st = block(s, l, seq, T, P, w))) return st;
    es_layernorm(w->x, T, d, m->ln_g, m->ln_b, WH_LN_EPS);
    return es_linear_forward(&m->logits, w->x, T, logits, w->scratch);
}

es_status wh_decode(es_whisper_session *s, int seq, const int32_t *tokens,
                    int n_tokens, int n_past, float *logits, es_error *err)
{
    const size_t d = (size_t)s->m->hp.n_text_state, T = (size_t)n_tokens;
    const size_t L = (size_t)(n_past + n_tokens > s->n_ctx ? n_past + n_tokens
                                                           : s->n_ctx);
    dec_ws w;
    w.x = malloc(T * d * sizeof(float));
    w.h = malloc(T * d * sizeof(float));
    w.tmp = malloc(T * d * sizeof(float));
    w.qkv = malloc(T * 3 * d * sizeof(float));
    w.ffn = malloc(T * 4 * d * sizeof(float));
    w.scores = malloc(T * L * sizeof(float));
    size_t scr = wh_model_scratch(s->m);
    w.scratch = malloc((scr ? scr : 1) * sizeof(float));
    es_status st = ES_OK;
    if (!w.x || !w.h || !w.tmp || !w.qkv || !w.ffn || !w.scores || !w.scratch ||
        (st = run(s, seq, tokens, n_tokens, n_past, logits, &w)))
        st = es_fail(err, ES_ERR_NOMEM, "whisper: out of memory decoding %d "
                     "tokens", n_tokens);
    free(w.x);
    free(w.h);
    free(w.tmp);
    free(w.qkv);
    free(w.ffn);
    free(w.scores);
    free(w.scratch);
    return st;
}
