/* bert_model.c — loading BERT weights and running the encoder. */
#include "models/bert/bert_model.h"
#include "core/error.h"
#include "models/bert/safetensors.h"
#include "nn/ops.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- loading */

typedef struct loader {
    const es_safetensors *st;
    const char *prefix;     /* "" or "bert." */
} loader;

/* Finds name (trying the LayerNorm "gamma"/"beta" spellings of old
 * checkpoints too) and checks its shape is [d0] or [d0 × d1]. */
static es_status find(const loader *L, const char *name, int d0, int d1,
                      const es_st_tensor **out, es_error *err)
{
    char full[256];
    snprintf(full, sizeof full, "%s%s", L->prefix, name);
    const es_st_tensor *t = es_safetensors_find(L->st, full);
    if (!t) {
        const char *alt = NULL;
        size_t n = strlen(full);
        if (n > 7 && !strcmp(full + n - 7, ".weight")) alt = "gamma";
        if (n > 5 && !strcmp(full + n - 5, ".bias")) alt = "beta";
        if (alt && strstr(full, "LayerNorm")) {
            char old[256];
            snprintf(old, sizeof old, "%.*s.%s",
                     (int)(n - (alt[0] == 'g' ? 7 : 5)), full, alt);
            t = es_safetensors_find(L->st, old);
        }
    }
    if (!t)
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s' is missing (is this "
                       "a BERT model matching config.json?)",
                       es_safetensors_path(L->st), full);
    int ok = d1 ? (t->ndim == 2 && t->shape[0] == (uint64_t)d0 && t->shape[1] == (uint64_t)d1)
                : (t->ndim == 1 && t->shape[0] == (uint64_t)d0);
    if (!ok) {
        char got[96] = "";
        for (int i = 0; i < t->ndim && i < 4; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%llu",
                     i ? " × " : "", (unsigned long long)t->shape[i]);
        if (d1)
            return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s' has shape [%s] but "
                           "config.json implies [%d × %d]",
                           es_safetensors_path(L->st), full, got, d0, d1);
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s' has shape [%s] but "
                       "config.json implies [%d]", es_safetensors_path(L->st),
                       full, got, d0);
    }
    *out = t;
    return ES_OK;
}

static es_status load_vec(const loader *L, const char *name, int n, float **dst,
                          es_error *err)
{
    const es_st_tensor *t;
    es_status s = find(L, name, n, 0, &t, err);
    if (s) return s;
    *dst = malloc((size_t)n * sizeof(float));
    if (!*dst) return es_fail(err, ES_ERR_NOMEM, "out of memory loading '%s'", name);
    return es_st_to_f32(L->st, t, *dst, err);
}

static es_status load_mat(const loader *L, const char *name, int rows, int cols,
                          es_matrix *dst, es_error *err)
{
    const es_st_tensor *t;
    es_status s = find(L, name, rows, cols, &t, err);
    if (!s) s = es_matrix_alloc(dst, rows, cols, err);
    if (!s) s = es_st_to_f32(L->st, t, dst->f, err);
    return s;
}

/* Query, key and value stacked into one [3H × H] matrix so one GEMM makes
 * all three. */
static es_status load_qkv(const loader *L, int li, int H, es_linear *qkv,
                          es_error *err)
{
    static const char *part[3] = {"query", "key", "value"};
    es_status s = es_matrix_alloc(&qkv->w, 3 * H, H, err);
    if (s) return s;
    qkv->bias = malloc((size_t)3 * H * sizeof(float));
    if (!qkv->bias) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    for (int p = 0; p < 3; p++) {
        char name[128];
        const es_st_tensor *t;
        snprintf(name, sizeof name, "encoder.layer.%d.attention.self.%s.weight", li, part[p]);
        if ((s = find(L, name, H, H, &t, err)) ||
            (s = es_st_to_f32(L->st, t, qkv->w.f + (size_t)p * H * H, err)))
            return s;
        snprintf(name, sizeof name, "encoder.layer.%d.attention.self.%s.bias", li, part[p]);
        if ((s = find(L, name, H, 0, &t, err)) ||
            (s = es_st_to_f32(L->st, t, qkv->bias + (size_t)p * H, err)))
            return s;
    }
    return ES_OK;
}

static es_status load_linear(const loader *L, int li, const char *what,
                             int n_out, int n_in, es_linear *lin, es_error *err)
{
    char name[128];
    snprintf(name, sizeof name, "encoder.layer.%d.%s.weight", li, what);
    es_status s = load_mat(L, name, n_out, n_in, &lin->w, err);
    if (s) return s;
    snprintf(name, sizeof name, "encoder.layer.%d.%s.bias", li, what);
    return load_vec(L, name, n_out, &lin->bias, err);
}

static es_status load_layer(const loader *L, const es_bert_config *c, int li,
                            es_bert_layer *ly, es_error *err)
{
    const int H = c->hidden, n_ffn = c->intermediate;
    char g[128], b[128];
    es_status s = load_qkv(L, li, H, &ly->qkv, err);
    if (!s) s = load_linear(L, li, "attention.output.dense", H, H, &ly->attn_out, err);
    if (!s) s = load_linear(L, li, "intermediate.dense", n_ffn, H, &ly->ffn_in, err);
    if (!s) s = load_linear(L, li, "output.dense", H, n_ffn, &ly->ffn_out, err);
    snprintf(g, sizeof g, "encoder.layer.%d.attention.output.LayerNorm.weight", li);
    snprintf(b, sizeof b, "encoder.layer.%d.attention.output.LayerNorm.bias", li);
    if (!s) s = load_vec(L, g, H, &ly->ln1_g, err);
    if (!s) s = load_vec(L, b, H, &ly->ln1_b, err);
    snprintf(g, sizeof g, "encoder.layer.%d.output.LayerNorm.weight", li);
    snprintf(b, sizeof b, "encoder.layer.%d.output.LayerNorm.bias", li);
    if (!s) s = load_vec(L, g, H, &ly->ln2_g, err);
    if (!s) s = load_vec(L, b, H, &ly->ln2_b, err);
    return s;
}

static es_status load_embeddings(const loader *L, es_bert_model *m, es_error *err)
{
    const es_bert_config *c = &m->cfg;
    const int H = c->hidden;
    const es_st_tensor *t;
    es_status s = load_mat(L, "embeddings.word_embeddings.weight", c->vocab_size, H,
                           &m->word_emb, err);
    if (!s) s = load_mat(L, "embeddings.position_embeddings.weight",
                         c->max_positions, H, &m->pos_emb, err);
    if (!s) s = find(L, "embeddings.token_type_embeddings.weight",
                     c->type_vocab_size, H, &t, err);
    if (!s) {
        float *all = malloc((size_t)c->type_vocab_size * H * sizeof(float));
        m->type_emb0 = malloc((size_t)H * sizeof(float));
        if (!all || !m->type_emb0) s = es_fail(err, ES_ERR_NOMEM, "out of memory");
        if (!s) s = es_st_to_f32(L->st, t, all, err);
        if (!s) memcpy(m->type_emb0, all, (size_t)H * sizeof(float));
        free(all);
    }
    if (!s) s = load_vec(L, "embeddings.LayerNorm.weight", H, &m->emb_ln_g, err);
    if (!s) s = load_vec(L, "embeddings.LayerNorm.bias", H, &m->emb_ln_b, err);
    return s;
}

/* Packs (f32) or quantizes (int8) every dense layer once; with int8 the
 * word embeddings become int8 rows too. */
static es_status finalize(es_bert_model *m, int int8, es_error *err)
{
    es_status s = int8 ? es_matrix_quantize(&m->word_emb, err) : ES_OK;
    for (int i = 0; !s && i < m->cfg.layers; i++) {
        es_bert_layer *ly = &m->layers[i];
        if (!s) s = es_linear_finalize(&ly->qkv, int8, err);
        if (!s) s = es_linear_finalize(&ly->attn_out, int8, err);
        if (!s) s = es_linear_finalize(&ly->ffn_in, int8, err);
        if (!s) s = es_linear_finalize(&ly->ffn_out, int8, err);
    }
    return s;
}

es_status es_bert_model_load(const char *dir, const es_bert_config *cfg,
                             int int8, es_bert_model *m, es_error *err)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->int8 = int8;
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    es_safetensors *st;
    es_status s = es_safetensors_open(path, &st, err);
    if (s) {
        if (s == ES_ERR_NOT_FOUND)
            es_fail(err, s, "%s: missing (only the safetensors weight format is "
                    "read; pytorch_model.bin is not)", path);
        return s;
    }
    loader L = {st, ""};
    if (es_safetensors_find(st, "bert.embeddings.word_embeddings.weight"))
        L.prefix = "bert.";
    m->fingerprint = es_safetensors_fingerprint(st);
    m->layers = calloc((size_t)cfg->layers, sizeof *m->layers);
    s = m->layers ? load_embeddings(&L, m, err)
                  : es_fail(err, ES_ERR_NOMEM, "out of memory");
    for (int i = 0; !s && i < cfg->layers; i++)
        s = load_layer(&L, cfg, i, &m->layers[i], err);
    es_safetensors_close(st);
    if (!s) s = finalize(m, int8, err);
    if (s) es_bert_model_free(m);
    return s;
}

void es_bert_model_free(es_bert_model *m)
{
    if (!m) return;
    es_matrix_free(&m->word_emb);
    es_matrix_free(&m->pos_emb);
    free(m->type_emb0);
    free(m->emb_ln_g);
    free(m->emb_ln_b);
    if (m->layers)
        for (int i = 0; i < m->cfg.layers; i++) {
            es_bert_layer *ly = &m->layers[i];
            es_linear_free(&ly->qkv);
            es_linear_free(&ly->attn_out);
            es_linear_free(&ly->ffn_in);
            es_linear_free(&ly->ffn_out);
            free(ly->ln1_g);
            free(ly->ln1_b);
            free(ly->ln2_g);
            free(ly->ln2_b);
        }
    free(m->layers);
    memset(m, 0, sizeof *m);
}

size_t es_bert_model_bytes(const es_bert_model *m)
{
    size_t b = es_matrix_bytes(&m->word_emb) + es_matrix_bytes(&m->pos_emb);
    for (int i = 0; i < m->cfg.layers; i++) {
        const es_bert_layer *ly = &m->layers[i];
        b += es_linear_bytes(&ly->qkv) + es_linear_bytes(&ly->attn_out) +
             es_linear_bytes(&ly->ffn_in) + es_linear_bytes(&ly->ffn_out);
    }
    return b;
}

/* ------------------------------------------------------------- forward */

typedef struct workspace {
    float *x, *qkv, *ctx, *tmp, *ffn, *scores, *scratch;
} workspace;

static void attention(const es_bert_model *m, const es_bert_batch *b,
                      const float *qkv, float *ctx, float *scores)
{
    const int H = m->cfg.hidden, nh = m->cfg.heads, dh = H / nh;
    const float scale = 1.0f / sqrtf((float)dh);
    for (int i = 0; i < b->n; i++) {
        const int o = b->offsets[i], L = b->offsets[i + 1] - o;
        for (int h = 0; h < nh; h++) {
            const float *q = qkv + (size_t)o * 3 * H + (size_t)h * dh;
            const float *k = q + H, *v = q + 2 * H;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, dh, scale,
                        q, 3 * H, k, 3 * H, 0.0f, scores, L);
            es_softmax_rows(scores, L, L);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, dh, L, 1.0f,
                        scores, L, v, 3 * H, 0.0f,
                        ctx + (size_t)o * H + (size_t)h * dh, H);
        }
    }
}

static void add_inplace(float *x, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

static es_status run_layer(const es_bert_model *m, const es_bert_layer *ly,
                           const es_bert_batch *b, int T, workspace *w)
{
    const int H = m->cfg.hidden;
    const size_t TH = (size_t)T * H;
    es_status s = es_linear_forward(&ly->qkv, w->x, T, w->qkv, w->scratch);
    if (s) return s;
    attention(m, b, w->qkv, w->ctx, w->scores);
    if ((s = es_linear_forward(&ly->attn_out, w->ctx, T, w->tmp, w->scratch)))
        return s;
    add_inplace(w->x, w->tmp, TH);
    es_layernorm(w->x, T, H, ly->ln1_g, ly->ln1_b, m->cfg.ln_eps);
    if ((s = es_linear_forward(&ly->ffn_in, w->x, T, w->ffn, w->scratch)))
        return s;
    es_gelu_erf(w->ffn, (size_t)T * m->cfg.intermediate);
    if ((s = es_linear_forward(&ly->ffn_out, w->ffn, T, w->tmp, w->scratch)))
        return s;
    add_inplace(w->x, w->tmp, TH);
    es_layernorm(w->x, T, H, ly->ln2_g, ly->ln2_b, m->cfg.ln_eps);
    return ES_OK;
}

static void embed_tokens(const es_bert_model *m, const es_bert_batch *b, float *x,
                         float *row)
{
    const int H = m->cfg.hidden;
    for (int i = 0; i < b->n; i++)
        for (int t = b->offsets[i]; t < b->offsets[i + 1]; t++) {
            float *xt = x + (size_t)t * H;
            es_matrix_row(&m->word_emb, b->ids[t], xt);
            es_matrix_row(&m->pos_emb, t - b->offsets[i], row);
            for (int j = 0; j < H; j++) xt[j] += row[j] + m->type_emb0[j];
        }
    es_layernorm(x, b->offsets[b->n], H, m->emb_ln_g, m->emb_ln_b, m->cfg.ln_eps);
}

static void pool(const es_bert_model *m, const es_bert_batch *b, const float *x,
                 float *out)
{
    const int H = m->cfg.hidden;
    for (int i = 0; i < b->n; i++) {
        const int o = b->offsets[i], L = b->offsets[i + 1] - o;
        float *dst = out + (size_t)i * H;
        const float *first = x + (size_t)o * H;
        if (m->cfg.pooling == ES_POOL_CLS) {
            memcpy(dst, first, (size_t)H * sizeof(float));
        } else if (m->cfg.pooling == ES_POOL_MAX) {
            memcpy(dst, first, (size_t)H * sizeof(float));
            for (int t = 1; t < L; t++)
                for (int j = 0; j < H; j++)
                    dst[j] = fmaxf(dst[j], first[(size_t)t * H + j]);
        } else {
            for (int j = 0; j < H; j++) {
                double s = 0;
                for (int t = 0; t < L; t++) s += first[(size_t)t * H + j];
                dst[j] = (float)(s / L);
            }
        }
        es_l2_normalize(dst, H);
    }
}

static size_t max_scratch(const es_bert_model *m)
{
    size_t s = 0;
    for (int i = 0; i < m->cfg.layers; i++) {
        const es_bert_layer *ly = &m->layers[i];
        size_t a = es_linear_scratch(&ly->qkv), c = es_linear_scratch(&ly->ffn_in),
               d = es_linear_scratch(&ly->ffn_out);
        s = a > s ? a : s;
        s = c > s ? c : s;
        s = d > s ? d : s;
    }
    return s;
}

es_status es_bert_model_embed(const es_bert_model *m, const es_bert_batch *b,
                              float *out, es_error *err)
{
    const es_bert_config *c = &m->cfg;
    if (b->n <= 0) return ES_OK;
    int T = b->offsets[b->n], maxL = 0;
    for (int i = 0; i < b->n; i++) {
        int L = b->offsets[i + 1] - b->offsets[i];
        if (L < 1 || L > c->max_positions)
            return es_fail(err, ES_ERR_INVALID_ARG, "bert: text %d has %d tokens "
                           "(must be 1..%d)", i, L, c->max_positions);
        maxL = L > maxL ? L : maxL;
    }
    for (int t = 0; t < T; t++)
        if (b->ids[t] < 0 || b->ids[t] >= c->vocab_size)
            return es_fail(err, ES_ERR_INVALID_ARG, "bert: token id %d is outside "
                           "the vocabulary of %d", b->ids[t], c->vocab_size);
    const size_t TH = (size_t)T * c->hidden;
    workspace w;
    w.x = malloc(TH * sizeof(float));
    w.qkv = malloc(3 * TH * sizeof(float));
    w.ctx = malloc(TH * sizeof(float));
    w.tmp = malloc(TH * sizeof(float));
    w.ffn = malloc((size_t)T * c->intermediate * sizeof(float));
    w.scores = malloc((size_t)maxL * maxL * sizeof(float));
    size_t scr = max_scratch(m);
    size_t row = (size_t)c->hidden;
    w.scratch = malloc((scr > row ? scr : row) * sizeof(float));
    es_status s = ES_OK;
    if (!w.x || !w.qkv || !w.ctx || !w.tmp || !w.ffn || !w.scores || !w.scratch) {
        s = es_fail(err, ES_ERR_NOMEM, "bert: out of memory for a batch of %d "
                    "tokens", T);
    } else {
        embed_tokens(m, b, w.x, w.scratch);
        for (int l = 0; !s && l < c->layers; l++)
            s = run_layer(m, &m->layers[l], b, T, &w);
        if (s) es_fail(err, s, "bert: out of memory for a batch of %d tokens", T);
        else pool(m, b, w.x, out);
    }
    free(w.x);
    free(w.qkv);
    free(w.ctx);
    free(w.tmp);
    free(w.ffn);
    free(w.scores);
    free(w.scratch);
    return s;
}
