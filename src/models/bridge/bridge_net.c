/* bridge_net.c — the bridge MLP: allocation, init, standardisation, the
 * batched forward pass, the backward pass and int8 rounding.
 *
 * Batches are small (tens of rows at training, one chunk at indexing), so
 * every matrix product is one cblas_sgemm on row-major buffers. */
#include "models/bridge/bridge_net.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "util/rng.h"

static int max_width(const es_bridge_net *net)
{
    int m = 0;
    for (int l = 0; l <= net->n_layers; l++)
        if (net->dims[l] > m)
            m = net->dims[l];
    return m;
}

void es_bridge_net_free(es_bridge_net *net)
{
    if (!net)
        return;
    free(net->in_mean);
    free(net->in_std);
    for (int l = 0; l < ES_BRIDGE_MAX_LAYERS; l++) {
        free(net->w[l]);
        free(net->b[l]);
        free(net->scale[l]);
    }
    free(net);
}

es_status es_bridge_net_new(const int *dims, int n_layers, es_bridge_head head,
                            es_bridge_net **out, es_error *err)
{
    *out = NULL;
    if (n_layers < 1 || n_layers > ES_BRIDGE_MAX_LAYERS)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "bridge: %d layers (1..%d allowed)", n_layers,
                       ES_BRIDGE_MAX_LAYERS);
    if (head != ES_BRIDGE_HEAD_TANH && head != ES_BRIDGE_HEAD_L2)
        return es_fail(err, ES_ERR_INVALID_ARG, "bridge: unknown head %d",
                       (int)head);
    for (int l = 0; l <= n_layers; l++)
        if (dims[l] < 1 || dims[l] > 65536)
            return es_fail(err, ES_ERR_INVALID_ARG,
                           "bridge: width %d of layer %d is out of range "
                           "(1..65536)", dims[l], l);
    es_bridge_net *net = calloc(1, sizeof *net);
    if (!net)
        return es_fail(err, ES_ERR_NOMEM, "bridge: out of memory");
    net->n_layers = n_layers;
    net->head = head;
    memcpy(net->dims, dims, (size_t)(n_layers + 1) * sizeof *dims);
    net->in_mean = calloc((size_t)dims[0], sizeof(float));
    net->in_std = malloc((size_t)dims[0] * sizeof(float));
    int ok = net->in_mean && net->in_std;
    for (int l = 0; ok && l < n_layers; l++) {
        net->w[l] = calloc((size_t)dims[l + 1] * (size_t)dims[l], sizeof(float));
        net->b[l] = calloc((size_t)dims[l + 1], sizeof(float));
        ok = net->w[l] && net->b[l];
    }
    if (!ok) {
        es_bridge_net_free(net);
        return es_fail(err, ES_ERR_NOMEM, "bridge: out of memory");
    }
    for (int i = 0; i < dims[0]; i++)
        net->in_std[i] = 1.0f;
    *out = net;
    return ES_OK;
}

es_status es_bridge_net_clone(const es_bridge_net *src, es_bridge_net **out,
                              es_error *err)
{
    es_status st = es_bridge_net_new(src->dims, src->n_layers, src->head, out,
                                     err);
    if (st != ES_OK)
        return st;
    es_bridge_net *d = *out;
    size_t in = (size_t)src->dims[0];
    memcpy(d->in_mean, src->in_mean, in * sizeof(float));
    memcpy(d->in_std, src->in_std, in * sizeof(float));
    for (int l = 0; l < src->n_layers; l++) {
        size_t o = (size_t)src->dims[l + 1], i = (size_t)src->dims[l];
        memcpy(d->w[l], src->w[l], o * i * sizeof(float));
        memcpy(d->b[l], src->b[l], o * sizeof(float));
        if (src->quantized) {
            d->scale[l] = malloc(o * sizeof(float));
            if (!d->scale[l]) {
                es_bridge_net_free(d);
                *out = NULL;
                return es_fail(err, ES_ERR_NOMEM, "bridge: out of memory");
            }
            memcpy(d->scale[l], src->scale[l], o * sizeof(float));
        }
    }
    d->quantized = src->quantized;
    return ES_OK;
}

size_t es_bridge_net_n_params(const es_bridge_net *net)
{
    size_t n = 0;
    for (int l = 0; l < net->n_layers; l++)
        n += (size_t)net->dims[l + 1] * ((size_t)net->dims[l] + 1);
    return n;
}

void es_bridge_net_init(es_bridge_net *net, uint64_t seed)
{
    uint64_t rng = seed ^ 0x62726964676532ULL;  /* "bridge2" */
    for (int l = 0; l < net->n_layers; l++) {
        int in = net->dims[l], o = net->dims[l + 1];
        /* He-uniform before a ReLU, Glorot-uniform for the output layer. */
        double bound = (l + 1 < net->n_layers) ? sqrt(6.0 / in)
                                                : sqrt(6.0 / (in + o));
        size_t n = (size_t)in * (size_t)o;
        for (size_t k = 0; k < n; k++)
            net->w[l][k] = (float)((2.0 * es_rng_uniform(&rng) - 1.0) * bound);
        memset(net->b[l], 0, (size_t)o * sizeof(float));
        free(net->scale[l]);
        net->scale[l] = NULL;
    }
    net->quantized = 0;
}

void es_bridge_net_fit_standardisation(es_bridge_net *net, const float *x,
                                       size_t n)
{
    int d = net->dims[0];
    for (int j = 0; j < d; j++) {
        double s = 0, s2 = 0;
        for (size_t i = 0; i < n; i++)
            s += x[i * (size_t)d + (size_t)j];
        double mean = n ? s / (double)n : 0.0;
        for (size_t i = 0; i < n; i++) {
            double v = x[i * (size_t)d + (size_t)j] - mean;
            s2 += v * v;
        }
        double sd = n ? sqrt(s2 / (double)n) : 0.0;
        net->in_mean[j] = (float)mean;
        net->in_std[j] = (sd < 1e-6 * (1.0 + fabs(mean))) ? 1.0f : (float)sd;
    }
}

void es_bridge_cache_free(es_bridge_cache *c)
{
    for (int l = 0; l <= ES_BRIDGE_MAX_LAYERS; l++)
        free(c->a[l]);
    free(c->z_out);
    free(c->scratch[0]);
    free(c->scratch[1]);
    memset(c, 0, sizeof *c);
}

es_status es_bridge_cache_init(es_bridge_cache *c, const es_bridge_net *net,
                               size_t cap, es_error *err)
{
    memset(c, 0, sizeof *c);
    c->cap = cap;
    int ok = 1;
    for (int l = 0; ok && l <= net->n_layers; l++) {
        c->a[l] = malloc(cap * (size_t)net->dims[l] * sizeof(float));
        ok = c->a[l] != NULL;
    }
    size_t mw = cap * (size_t)max_width(net);
    if (ok) {
        c->z_out = malloc(cap * (size_t)net->dims[net->n_layers] * sizeof(float));
        c->scratch[0] = malloc(mw * sizeof(float));
        c->scratch[1] = malloc(mw * sizeof(float));
        ok = c->z_out && c->scratch[0] && c->scratch[1];
    }
    if (!ok) {
        es_bridge_cache_free(c);
        return es_fail(err, ES_ERR_NOMEM, "bridge: out of memory");
    }
    return ES_OK;
}

/* y[n × o] = x[n × i] · Wᵀ + b */
static void dense(const float *x, size_t n, int in, int o, const float *w,
                  const float *b, float *y)
{
    for (size_t r = 0; r < n; r++)
        memcpy(y + r * (size_t)o, b, (size_t)o * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, o, in, 1.0f,
                x, in, w, in, 1.0f, y, o);
}

static void apply_head(es_bridge_head head, const float *z, size_t n, int d,
                       float *y)
{
    for (size_t r = 0; r < n; r++) {
        const float *zr = z + r * (size_t)d;
        float *yr = y + r * (size_t)d;
        if (head == ES_BRIDGE_HEAD_TANH) {
            for (int j = 0; j < d; j++)
                yr[j] = tanhf(zr[j]);
        } else {
            double s = 0;
            for (int j = 0; j < d; j++)
                s += (double)zr[j] * zr[j];
            float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
            for (int j = 0; j < d; j++)
                yr[j] = zr[j] * inv;
        }
    }
}

es_status es_bridge_net_forward(const es_bridge_net *net, const float *x_raw,
                                size_t n, float *y, es_bridge_cache *cache,
                                es_error *err)
{
    if (!net || (!x_raw && n) || (!y && n))
        return es_fail(err, ES_ERR_INVALID_ARG, "bridge forward: NULL argument");
    if (n == 0)
        return ES_OK;
    if (cache && cache->cap < n)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "bridge forward: %zu rows exceed the cache (%zu)", n,
                       cache->cap);
    es_bridge_cache local;
    es_bridge_cache *c = cache;
    if (!c) {
        es_status st = es_bridge_cache_init(&local, net, n, err);
        if (st != ES_OK)
            return st;
        c = &local;
    }
    int L = net->n_layers, d0 = net->dims[0];
    for (size_t r = 0; r < n; r++)
        for (int j = 0; j < d0; j++)
            c->a[0][r * (size_t)d0 + (size_t)j] =
                (x_raw[r * (size_t)d0 + (size_t)j] - net->in_mean[j]) /
                net->in_std[j];
    for (int l = 0; l < L; l++) {
        int in = net->dims[l], o = net->dims[l + 1];
        float *dst = (l + 1 < L) ? c->a[l + 1] : c->z_out;
        dense(c->a[l], n, in, o, net->w[l], net->b[l], dst);
        if (l + 1 < L)
            for (size_t k = 0; k < n * (size_t)o; k++)
                dst[k] = dst[k] > 0.0f ? dst[k] : 0.0f;
    }
    int dout = net->dims[L];
    apply_head(net->head, c->z_out, n, dout, c->a[L]);
    memcpy(y, c->a[L], n * (size_t)dout * sizeof(float));
    if (!cache)
        es_bridge_cache_free(&local);
    return ES_OK;
}

es_status es_bridge_net_embed(const es_bridge_net *net, const float *x_raw,
                              size_t n, float *y, es_error *err)
{
    es_status st = es_bridge_net_forward(net, x_raw, n, y, NULL, err);
    if (st != ES_OK)
        return st;
    int d = net->dims[net->n_layers];
    for (size_t r = 0; r < n; r++) {
        float *yr = y + r * (size_t)d;
        double s = 0;
        for (int j = 0; j < d; j++)
            s += (double)yr[j] * yr[j];
        if (s > 0) {
            float inv = (float)(1.0 / sqrt(s));
            for (int j = 0; j < d; j++)
                yr[j] *= inv;
        }
    }
    return ES_OK;
}

es_status es_bridge_grads_init(es_bridge_grads *g, const es_bridge_net *net,
                               es_error *err)
{
    memset(g, 0, sizeof *g);
    for (int l = 0; l < net->n_layers; l++) {
        size_t o = (size_t)net->dims[l + 1], i = (size_t)net->dims[l];
        g->w[l] = calloc(o * i, sizeof(float));
        g->b[l] = calloc(o, sizeof(float));
        if (!g->w[l] || !g->b[l]) {
            es_bridge_grads_free(g, net);
            return es_fail(err, ES_ERR_NOMEM, "bridge: out of memory");
        }
    }
    return ES_OK;
}

void es_bridge_grads_zero(es_bridge_grads *g, const es_bridge_net *net)
{
    for (int l = 0; l < net->n_layers; l++) {
        size_t o = (size_t)net->dims[l + 1], i = (size_t)net->dims[l];
        memset(g->w[l], 0, o * i * sizeof(float));
        memset(g->b[l], 0, o * sizeof(float));
    }
}

void es_bridge_grads_free(es_bridge_grads *g, const es_bridge_net *net)
{
    (void)net;
    for (int l = 0; l < ES_BRIDGE_MAX_LAYERS; l++) {
        free(g->w[l]);
        free(g->b[l]);
    }
    memset(g, 0, sizeof *g);
}

es_status es_bridge_net_backward(const es_bridge_net *net,
                                 es_bridge_cache *cache, size_t n, float *dy,
                                 es_bridge_grads *g, es_error *err)
{
    if (!net || !cache || !dy || !g || n == 0 || n > cache->cap)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "bridge backward: bad arguments (n = %zu)", n);
    int L = net->n_layers, dout = net->dims[L];
    float *dz = cache->scratch[0], *dprev = cache->scratch[1];
    /* Through the head. */
    for (size_t r = 0; r < n; r++) {
        const float *yr = cache->a[L] + r * (size_t)dout;
        const float *zr = cache->z_out + r * (size_t)dout;
        float *gr = dy + r * (size_t)dout, *dzr = dz + r * (size_t)dout;
        if (net->head == ES_BRIDGE_HEAD_TANH) {
            for (int j = 0; j < dout; j++)
                dzr[j] = gr[j] * (1.0f - yr[j] * yr[j]);
        } else {
            double nz = 0, dot = 0;
            for (int j = 0; j < dout; j++) {
                nz += (double)zr[j] * zr[j];
                dot += (double)yr[j] * gr[j];
            }
            nz = sqrt(nz);
            float inv = nz > 0 ? (float)(1.0 / nz) : 0.0f;
            for (int j = 0; j < dout; j++)
                dzr[j] = (gr[j] - yr[j] * (float)dot) * inv;
        }
    }
    for (int l = L - 1; l >= 0; l--) {
        int in = net->dims[l], o = net->dims[l + 1];
        /* gW[o × in] = dzᵀ · a_l ; gb = Σ_rows dz */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o, in, (int)n,
                    1.0f, dz, o, cache->a[l], in, 0.0f, g->w[l], in);
        for (int j = 0; j < o; j++) {
            float s = 0;
            for (size_t r = 0; r < n; r++)
                s += dz[r * (size_t)o + (size_t)j];
            g->b[l][j] = s;
        }
        if (l == 0)
            break;
        /* da[n × in] = dz · W, then through the ReLU that made a_l. */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, in, o,
                    1.0f, dz, o, net->w[l], in, 0.0f, dprev, in);
        const float *al = cache->a[l];
        for (size_t k = 0; k < n * (size_t)in; k++)
            if (al[k] <= 0.0f)
                dprev[k] = 0.0f;
        float *t = dz;
        dz = dprev;
        dprev = t;
    }
    return ES_OK;
}

void es_bridge_net_quantize(es_bridge_net *net)
{
    if (net->quantized)
        return;
    for (int l = 0; l < net->n_layers; l++) {
        int o = net->dims[l + 1];
        net->scale[l] = malloc((size_t)o * sizeof(float));
        if (!net->scale[l]) {
            /* Leave the net in f32; callers check ->quantized. */
            for (int k = 0; k < l; k++) {
                free(net->scale[k]);
                net->scale[k] = NULL;
            }
            return;
        }
    }
    for (int l = 0; l < net->n_layers; l++) {
        int o = net->dims[l + 1], in = net->dims[l];
        for (int r = 0; r < o; r++) {
            float *w = net->w[l] + (size_t)r * (size_t)in;
            float m = 0;
            for (int j = 0; j < in; j++)
                m = fmaxf(m, fabsf(w[j]));
            float s = m / 127.0f;
            net->scale[l][r] = s;
            for (int j = 0; j < in; j++) {
                float q = s > 0 ? rintf(w[j] / s) : 0.0f;
                q = fminf(127.0f, fmaxf(-127.0f, q));
                w[j] = q * s + 0.0f;  /* no −0: the file stores +0 */
            }
        }
    }
    net->quantized = 1;
}

size_t es_bridge_net_weight_bytes(const es_bridge_net *net)
{
    size_t bytes = 0;
    for (int l = 0; l < net->n_layers; l++) {
        size_t o = (size_t)net->dims[l + 1], in = (size_t)net->dims[l];
        bytes += net->quantized ? o * in + o * sizeof(float)
                                : o * in * sizeof(float);
        bytes += o * sizeof(float);  /* bias */
    }
    return bytes;
}
