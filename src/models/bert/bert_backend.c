/* bert_backend.c — the BERT sentence encoder behind es_text_encoder: reads a
 * sentence-transformers directory, tokenizes with WordPiece, and embeds texts
 * in packed batches of similar length. */
#include "core/error.h"
#include "models/bert/bert_config.h"
#include "models/bert/bert_model.h"
#include "models/bert/wordpiece.h"
#include "models/text/text_encoder_impl.h"

#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The texts, sorted by length, cut into batches of at most batch_tokens
 * tokens; worker threads take batches in turn. */
typedef struct plan {
    const bert_encoder *e;
    const tokenized *t;
    size_t *first;        /* batch b holds order[first[b] .. first[b + 1]) */
    size_t n_batches;
    size_t next;          /* next batch to take (under lock) */
    float *out;
    pthread_mutex_t lock;
    es_status status;
    es_error err;
} plan;

static void plan_batches(plan *p, size_t n, int batch_tokens)
{
    const tokenized *t = p->t;
    p->n_batches = 0;
    size_t i = 0;
    while (i < n) {
        p->first[p->n_batches++] = i;
        int tokens = 0;
        do {
            tokens += t->len[t->order[i]];
            i++;
        } while (i < n && tokens + t->len[t->order[i]] <= batch_tokens);
    }
    p->first[p->n_batches] = n;
}

static int take_batch(plan *p, size_t *b)
{
    pthread_mutex_lock(&p->lock);
    int ok = p->status == ES_OK && p->next < p->n_batches;
    if (ok) *b = p->next++;
    pthread_mutex_unlock(&p->lock);
    return ok;
}

static void *worker(void *arg)
{
    plan *p = arg;
    const tokenized *t = p->t;
    const int H = p->e->model.cfg.hidden;
    size_t max_texts = 0, max_tokens = 0;
    for (size_t b = 0; b < p->n_batches; b++) {
        size_t nt = p->first[b + 1] - p->first[b], tok = 0;
        for (size_t i = p->first[b]; i < p->first[b + 1]; i++)
            tok += (size_t)t->len[t->order[i]];
        max_texts = nt > max_texts ? nt : max_texts;
        max_tokens = tok > max_tokens ? tok : max_tokens;
    }
    int32_t *ids = malloc(max_tokens * sizeof(int32_t));
    int *offsets = malloc((max_texts + 1) * sizeof(int));
    float *pooled = malloc(max_texts * (size_t)H * sizeof(float));
    es_error err = {0};
    es_status s = ids && offsets && pooled
                      ? ES_OK
                      : es_fail(&err, ES_ERR_NOMEM, "bert: out of memory for a batch");
    size_t b;
    while (s == ES_OK && take_batch(p, &b)) {
        int nb = 0, tokens = 0;
        offsets[0] = 0;
        for (size_t i = p->first[b]; i < p->first[b + 1]; i++) {
            size_t k = t->order[i];
            memcpy(ids + tokens, t->ids + t->start[k], (size_t)t->len[k] * sizeof(int32_t));
            tokens += t->len[k];
            offsets[++nb] = tokens;
        }
        es_bert_batch batch = {ids, offsets, nb};
        s = es_bert_model_embed(&p->e->model, &batch, pooled, &err);
        for (int j = 0; s == ES_OK && j < nb; j++)   /* rows are disjoint */
            memcpy(p->out + t->order[p->first[b] + (size_t)j] * (size_t)H,
                   pooled + (size_t)j * H, (size_t)H * sizeof(float));
    }
    if (s != ES_OK) {
        pthread_mutex_lock(&p->lock);
        if (p->status == ES_OK) {
            p->status = s;
            p->err = err;
        }
        pthread_mutex_unlock(&p->lock);
    }
    free(ids);
    free(offsets);
    free(pooled);
    return NULL;
}

static int thread_count(const bert_encoder *e)
{
    if (e->threads > 0) return e->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static es_status bert_embed(void *impl, const char *const *texts, size_t n,
                            float *out, es_error *err)
{
    bert_encoder *e = impl;
    tokenized t;
    es_status s = tokenize_all(e, texts, n, &t, err);
    plan p;
    memset(&p, 0, sizeof p);
    p.e = e;
    p.t = &t;
    p.out = out;
    p.first = s ? NULL : malloc((n + 1) * sizeof(size_t));
    if (!s && !p.first) s = es_fail(err, ES_ERR_NOMEM, "bert: out of memory");
    if (s) {
        tokenized_free(&t);
        return s;
    }
    /* Many texts: one worker per thread, each with single-threaded BLAS, so
     * the layer norms, GELU and attention run in parallel too; batches are
     * made small enough that every worker gets some. A few texts: one
     * worker, and BLAS uses the threads inside each GEMM. */
    int threads = thread_count(e);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += (size_t)t.len[i];
    int batch_tokens = e->batch_tokens;
    int workers = 1;
    if (threads > 1 && n >= 2 * (size_t)threads && total >= 64 * (size_t)threads) {
        size_t share = (total + (size_t)threads - 1) / (size_t)threads;
        if (share < (size_t)batch_tokens) batch_tokens = (int)share;
        workers = threads;
    }
    plan_batches(&p, n, batch_tokens);
    if ((size_t)workers > p.n_batches) workers = (int)p.n_batches;
    openblas_set_num_threads(workers > 1 ? 1 : threads);
    pthread_mutex_init(&p.lock, NULL);
    pthread_t tid[64];
    int started = 0;
    for (int w = 1; w < workers && w < 64; w++)
        if (pthread_create(&tid[started], NULL, worker, &p) == 0) started++;
    worker(&p);   /* the calling thread works too */
    for (int w = 0; w < started; w++) pthread_join(tid[w], NULL);
    pthread_mutex_destroy(&p.lock);
    s = p.status;
    if (s && err) *err = p.err;
    free(p.first);
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
