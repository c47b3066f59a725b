/* bert_backend.c — the BERT sentence encoder behind es_text_encoder: reads a
 * sentence-transformers directory, tokenizes with WordPiece, and embeds texts
 * in packed batches of similar length. */
#include "core/error.h"
#include "models/bert/bert_config.h"
#include "models/bert/bert_model.h"
#include "models/bert/wordpiece.h"
#include "models/text/text_encoder_impl.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tokens per packed batch when the caller does not say: 4096 tokens of a
 * 384-d model need about 60 MB of activations. */
#define ES_BERT_DEFAULT_BATCH_TOKENS 4096

typedef struct bert_encoder {
    es_bert_model model;
    es_wordpiece *wp;
    int threads;
    int batch_tokens;
} bert_encoder;

static void bert_free(void *impl)
{
    bert_encoder *e = impl;
    if (!e) return;
    es_bert_model_free(&e->model);
    es_wordpiece_free(e->wp);
    free(e);
}

typedef struct tokenized {
    int32_t *ids;   /* text i: ids[start[i] .. start[i] + len[i]) */
    size_t *start;
    int *len;
    size_t *order;  /* texts sorted by length, longest first */
} tokenized;

static void tokenized_free(tokenized *t)
{
    free(t->ids);
    free(t->start);
    free(t->len);
    free(t->order);
}

/* Sort key: longest texts first, then input order (deterministic). */
typedef struct len_index {
    int len;
    size_t index;
} len_index;

static int by_length_desc(const void *a, const void *b)
{
    const len_index *x = a, *y = b;
    if (x->len != y->len) return y->len - x->len;
    return x->index < y->index ? -1 : x->index > y->index;
}

static es_status tokenize_all(const bert_encoder *e, const char *const *texts,
                              size_t n, tokenized *t, es_error *err)
{
    const int max_len = e->model.cfg.max_seq_length;
    memset(t, 0, sizeof *t);
    t->ids = malloc(n * (size_t)max_len * sizeof(int32_t));
    t->start = malloc(n * sizeof(size_t));
    t->len = malloc(n * sizeof(int));
    t->order = malloc(n * sizeof(size_t));
    if (!t->ids || !t->start || !t->len || !t->order)
        return es_fail(err, ES_ERR_NOMEM, "bert: out of memory tokenizing %zu "
                       "texts", n);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        es_status s = es_wordpiece_encode(e->wp, texts[i], max_len, t->ids + pos,
                                          &t->len[i], err);
        if (s) return s;
        t->start[i] = pos;
        pos += (size_t)t->len[i];
        t->order[i] = i;
    }
    len_index *keys = malloc(n * sizeof *keys);
    if (!keys) return es_fail(err, ES_ERR_NOMEM, "bert: out of memory");
    for (size_t i = 0; i < n; i++) keys[i] = (len_index){t->len[i], i};
    qsort(keys, n, sizeof *keys, by_length_desc);
    for (size_t i = 0; i < n; i++) t->order[i] = keys[i].index;
    free(keys);
    return ES_OK;
}

static es_status bert_embed(void *impl, const char *const *texts, size_t n,
                            float *out, es_error *err)
{
    bert_encoder *e = impl;
    const int H = e->model.cfg.hidden;
    tokenized t;
    es_status s = tokenize_all(e, texts, n, &t, err);
    int32_t *ids = NULL;
    int *offsets = NULL;
    float *pooled = NULL;
    size_t cap_texts = 0;
    if (!s) {
        /* A batch never holds more than batch_tokens tokens (one long text
         * alone may exceed it only when it is longer than the limit). */
        cap_texts = (size_t)e->batch_tokens;
        if (cap_texts > n) cap_texts = n;
        ids = malloc(((size_t)e->batch_tokens + (size_t)e->model.cfg.max_seq_length) *
                     sizeof(int32_t));
        offsets = malloc((cap_texts + 1) * sizeof(int));
        pooled = malloc(cap_texts * (size_t)H * sizeof(float));
        if (!ids || !offsets || !pooled)
            s = es_fail(err, ES_ERR_NOMEM, "bert: out of memory for a batch");
    }
    if (!s && e->threads > 0) openblas_set_num_threads(e->threads);
    size_t i = 0;
    while (!s && i < n) {
        int nb = 0, tokens = 0;
        offsets[0] = 0;
        while (i < n && (size_t)nb < cap_texts &&
               (nb == 0 || tokens + t.len[t.order[i]] <= e->batch_tokens)) {
            size_t k = t.order[i];
            memcpy(ids + tokens, t.ids + t.start[k], (size_t)t.len[k] * sizeof(int32_t));
            tokens += t.len[k];
            offsets[++nb] = tokens;
            i++;
        }
        es_bert_batch b = {ids, offsets, nb};
        s = es_bert_model_embed(&e->model, &b, pooled, err);
        for (int j = 0; !s && j < nb; j++)
            memcpy(out + t.order[i - (size_t)nb + (size_t)j] * (size_t)H,
                   pooled + (size_t)j * H, (size_t)H * sizeof(float));
    }
    free(ids);
    free(offsets);
    free(pooled);
    tokenized_free(&t);
    return s;
}

es_status es_bert_backend_open(const char *dir,
                               const es_text_encoder_params *params,
                               es_text_encoder_backend *out, es_error *err)
{
    bert_encoder *e = calloc(1, sizeof *e);
    if (!e) return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", dir);
    es_bert_config cfg;
    char vocab[4200];
    snprintf(vocab, sizeof vocab, "%s/vocab.txt", dir);
    es_status s = es_bert_config_load(dir, &cfg, err);
    if (!s) s = es_wordpiece_load(vocab, cfg.lower_case, &e->wp, err);
    if (!s && es_wordpiece_vocab_size(e->wp) > cfg.vocab_size)
        s = es_fail(err, ES_ERR_FORMAT, "%s: holds %d tokens but config.json says "
                    "vocab_size is %d: the vocabulary does not belong to this "
                    "model", vocab, es_wordpiece_vocab_size(e->wp), cfg.vocab_size);
    if (!s) s = es_bert_model_load(dir, &cfg, params->int8, &e->model, err);
    if (s) {
        bert_free(e);
        return s;
    }
    e->threads = params->threads;
    e->batch_tokens = params->max_batch_tokens > 0 ? params->max_batch_tokens
                                                   : ES_BERT_DEFAULT_BATCH_TOKENS;
    memset(out, 0, sizeof *out);
    out->kind = ES_TEXT_BERT;
    out->dim = cfg.hidden;
    snprintf(out->describe, sizeof out->describe,
             "bert %s (%d-d, %d layers, max %d tokens, %s)", cfg.name, cfg.hidden,
             cfg.layers, cfg.max_seq_length, params->int8 ? "int8" : "f32");
    snprintf(out->identity, sizeof out->identity, "bert:%s:%d:%016llx", cfg.name,
             cfg.hidden, (unsigned long long)e->model.fingerprint);
    out->impl = e;
    out->embed = bert_embed;
    out->free = bert_free;
    return ES_OK;
}
