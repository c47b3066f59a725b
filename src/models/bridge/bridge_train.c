/* bridge_train.c — the training loop: shuffled mini-batches, AdamW, warm-up
 * then cosine learning-rate decay, and early stopping on the validation
 * split's text→audio mAP@10 (the metric retrieval cares about; validation
 * loss breaks ties). Everything random derives from params.seed, so a run
 * is reproducible bit for bit on one machine. */
#include "models/bridge/bridge_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "eval/retrieval.h"
#include "models/bridge/bridge_adam.h"
#include "util/rng.h"

es_bridge_train_params es_bridge_train_default_params(void)
{
    es_bridge_train_params p;
    memset(&p, 0, sizeof p);
    p.loss = ES_LOSS_COSINE;
    p.temperature = 0.07f;
    p.epochs = 300;
    p.batch_size = 64;
    p.lr = 1e-3f;
    p.lr_min = 1e-5f;
    p.warmup_epochs = 5;
    p.weight_decay = 1e-4f;
    p.beta1 = 0.9f;
    p.beta2 = 0.999f;
    p.eps = 1e-8f;
    p.patience = 30;
    p.seed = 1;
    return p;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Learning rate at step s of S: linear warm-up over W steps, then cosine
 * from lr to lr_min. */
static float lr_at(const es_bridge_train_params *p, long s, long W, long S)
{
    if (W > 0 && s < W)
        return p->lr * (float)(s + 1) / (float)W;
    double t = S > W ? (double)(s - W) / (double)(S - W) : 1.0;
    return p->lr_min +
           (p->lr - p->lr_min) * 0.5f * (float)(1.0 + cos(M_PI * fmin(t, 1.0)));
}

/* Validation: loss over the whole set, and text→audio mAP@10 with one
 * query per distinct target. */
static es_status validate(const es_bridge_net *net, const es_bridge_examples *val,
                          const es_bridge_train_params *p, double *loss,
                          double *map10, es_error *err)
{
    size_t n = val->n;
    int d = val->out_dim;
    float *y = malloc(n * (size_t)d * sizeof *y);
    float *q = malloc(n * (size_t)d * sizeof *q);
    int *qid = malloc(n * sizeof *qid);
    if (!y || !q || !qid) {
        free(y);
        free(q);
        free(qid);
        return es_fail(err, ES_ERR_NOMEM, "bridge training: out of memory");
    }
    es_status st = es_bridge_net_forward(net, val->x, n, y, NULL, err);
    if (st == ES_OK) {
        *loss = es_bridge_loss_eval(p->loss, p->temperature, y, val->t,
                                    val->key, n, d, NULL);
        /* Embeddings for retrieval are unit rows. */
        for (size_t i = 0; i < n; i++) {
            float *r = y + i * (size_t)d;
            double s = 0;
            for (int k = 0; k < d; k++)
                s += (double)r[k] * r[k];
            if (s > 0)
                for (int k = 0; k < d; k++)
                    r[k] = (float)(r[k] / sqrt(s));
        }
        int nq = 0;
        for (size_t i = 0; i < n; i++) {
            int seen = 0;
            for (int j = 0; j < nq && !seen; j++)
                seen = qid[j] == val->key[i];
            if (seen)
                continue;
            memcpy(q + (size_t)nq * (size_t)d, val->t + i * (size_t)d,
                   (size_t)d * sizeof(float));
            qid[nq++] = val->key[i];
        }
        es_retrieval_scores sc;
        st = es_retrieval_text_to_audio(q, qid, nq, y, val->key, n, d, &sc,
                                        err);
        if (st == ES_OK)
            *map10 = sc.map10;
    }
    free(y);
    free(q);
    free(qid);
    return st;
}

static es_status check_examples(const es_bridge_net *net,
                                const es_bridge_examples *e, const char *what,
                                es_error *err)
{
    if (e->in_dim != net->dims[0] || e->out_dim != net->dims[net->n_layers])
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "bridge training: %s examples are %d→%d but the net "
                       "is %d→%d", what, e->in_dim, e->out_dim, net->dims[0],
                       net->dims[net->n_layers]);
    if (e->n && (!e->x || !e->t || !e->key))
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "bridge training: %s examples have NULL arrays", what);
    return ES_OK;
}

/* Copies the weights of src into dst (same shape). */
static void copy_weights(es_bridge_net *dst, const es_bridge_net *src)
{
    for (int l = 0; l < src->n_layers; l++) {
        size_t o = (size_t)src->dims[l + 1], in = (size_t)src->dims[l];
        memcpy(dst->w[l], src->w[l], o * in * sizeof(float));
        memcpy(dst->b[l], src->b[l], o * sizeof(float));
    }
}

es_status es_bridge_train(es_bridge_net *net, const es_bridge_examples *train,
                          const es_bridge_examples *val,
                          const es_bridge_train_params *params,
                          es_bridge_train_report *rep, es_error *err)
{
    es_bridge_train_params p =
        params ? *params : es_bridge_train_default_params();
    memset(rep, 0, sizeof *rep);
    if (!net || !train || train->n == 0)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "bridge training: no training examples");
    if (p.epochs < 1 || p.batch_size < 1 || !(p.lr > 0) || p.lr_min < 0 ||
        p.weight_decay < 0 || p.patience < 0 ||
        (p.loss == ES_LOSS_INFONCE && !(p.temperature > 0)))
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "bridge training: bad parameters (epochs %d, batch %d, "
                       "lr %g, weight decay %g, temperature %g)", p.epochs,
                       p.batch_size, (double)p.lr, (double)p.weight_decay,
                       (double)p.temperature);
    es_status st = check_examples(net, train, "training", err);
    if (st == ES_OK && val && val->n)
        st = check_examples(net, val, "validation", err);
    if (st != ES_OK)
        return st;
    int has_val = val && val->n > 0;
    size_t n = train->n, bs = (size_t)p.batch_size < n ? (size_t)p.batch_size : n;
    int din = train->in_dim, dout = train->out_dim;

    es_bridge_net_fit_standardisation(net, train->x, n);
    es_bridge_net_init(net, p.seed);

    es_bridge_cache cache;
    es_bridge_grads g;
    es_adam adam;
    es_bridge_net *best = NULL;
    size_t *order = malloc(n * sizeof *order);
    float *xb = malloc(bs * (size_t)din * sizeof *xb);
    float *tb = malloc(bs * (size_t)dout * sizeof *tb);
    float *yb = malloc(bs * (size_t)dout * sizeof *yb);
    float *dy = malloc(bs * (size_t)dout * sizeof *dy);
    int *kb = malloc(bs * sizeof *kb);
    memset(&cache, 0, sizeof cache);
    memset(&g, 0, sizeof g);
    memset(&adam, 0, sizeof adam);
    if (!order || !xb || !tb || !yb || !dy || !kb) {
        st = es_fail(err, ES_ERR_NOMEM, "bridge training: out of memory");
        goto out;
    }
    if ((st = es_bridge_cache_init(&cache, net, bs, err)) != ES_OK ||
        (st = es_bridge_grads_init(&g, net, err)) != ES_OK ||
        (st = es_adam_init(&adam, net, p.beta1, p.beta2, p.eps,
                           p.weight_decay, err)) != ES_OK ||
        (st = es_bridge_net_clone(net, &best, err)) != ES_OK)
        goto out;

    uint64_t rng = p.seed * 0x9e3779b97f4a7c15ULL + 17;
    long steps_per_epoch = (long)((n + bs - 1) / bs);
    long total = steps_per_epoch * p.epochs,
         warm = steps_per_epoch * p.warmup_epochs, step = 0;
    double t0 = now_s(), best_map = -1, best_loss = INFINITY, last_loss = 0;
    int best_epoch = 0, since_best = 0;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    int epoch;
    for (epoch = 1; epoch <= p.epochs; epoch++) {
        for (size_t i = n; i > 1; i--) {
            size_t j = es_rng_below(&rng, (uint32_t)i);
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        double sum = 0;
        for (size_t s = 0; s < n; s += bs) {
            size_t m = n - s < bs ? n - s : bs;
            for (size_t r = 0; r < m; r++) {
                size_t k = order[s + r];
                memcpy(xb + r * (size_t)din, train->x + k * (size_t)din,
                       (size_t)din * sizeof(float));
                memcpy(tb + r * (size_t)dout, train->t + k * (size_t)dout,
                       (size_t)dout * sizeof(float));
                kb[r] = train->key[k];
            }
            if ((st = es_bridge_net_forward(net, xb, m, yb, &cache, err)) != ES_OK)
                goto out;
            float l = es_bridge_loss_eval(p.loss, p.temperature, yb, tb, kb, m,
                                          dout, dy);
            if (!isfinite(l)) {
                st = es_fail(err, isnan(l) ? ES_ERR_NOMEM : ES_ERR_INTERNAL,
                             "bridge training: the loss became %g at epoch %d "
                             "(try a lower --lr)", (double)l, epoch);
                goto out;
            }
            sum += (double)l * (double)m;
            if ((st = es_bridge_net_backward(net, &cache, m, dy, &g, err)) != ES_OK)
                goto out;
            es_adam_step(&adam, net, &g, lr_at(&p, step++, warm, total));
        }
        last_loss = sum / (double)n;
        es_bridge_epoch_report r = {epoch, p.epochs, last_loss, NAN, NAN, 0, 0};
        if (has_val) {
            if ((st = validate(net, val, &p, &r.val_loss, &r.val_map10, err)) != ES_OK)
                goto out;
            int better = r.val_map10 > best_map + 1e-12 ||
                         (r.val_map10 > best_map - 1e-12 &&
                          r.val_loss < best_loss);
            if (better) {
                best_map = r.val_map10;
                best_loss = r.val_loss;
                best_epoch = epoch;
                since_best = 0;
                copy_weights(best, net);
            } else {
                since_best++;
            }
        } else {
            best_epoch = epoch;
        }
        r.best_epoch = best_epoch;
        r.seconds = now_s() - t0;
        if (p.progress)
            p.progress(&r, p.user);
        if (has_val && p.patience > 0 && since_best >= p.patience) {
            epoch++;
            break;
        }
    }
    if (has_val)
        copy_weights(net, best);
    rep->epochs_run = epoch - 1;
    rep->best_epoch = best_epoch;
    rep->best_val_map10 = has_val ? best_map : NAN;
    rep->final_train_loss = last_loss;
    rep->seconds = now_s() - t0;
out:
    es_bridge_net_free(best);
    es_adam_free(&adam, net);
    es_bridge_grads_free(&g, net);
    es_bridge_cache_free(&cache);
    free(order);
    free(xb);
    free(tb);
    free(yb);
    free(dy);
    free(kb);
    return st;
}
