/* bridge_adam.c — AdamW for the bridge (see bridge_adam.h). */
#include "models/bridge/bridge_adam.h"

#include <math.h>
#include <string.h>

es_status es_adam_init(es_adam *a, const es_bridge_net *net, float beta1,
                       float beta2, float eps, float weight_decay,
                       es_error *err)
{
    memset(a, 0, sizeof *a);
    es_status st = es_bridge_grads_init(&a->m, net, err);
    if (st == ES_OK)
        st = es_bridge_grads_init(&a->v, net, err);
    if (st != ES_OK) {
        es_adam_free(a, net);
        return st;
    }
    a->beta1 = beta1;
    a->beta2 = beta2;
    a->eps = eps;
    a->weight_decay = weight_decay;
    return ES_OK;
}

static void update(float *p, const float *g, float *m, float *v, size_t n,
                   float lr, float b1, float b2, float c1, float c2, float eps,
                   float decay)
{
    for (size_t k = 0; k < n; k++) {
        m[k] = b1 * m[k] + (1.0f - b1) * g[k];
        v[k] = b2 * v[k] + (1.0f - b2) * g[k] * g[k];
        float mh = m[k] / c1, vh = v[k] / c2;
        p[k] -= lr * (mh / (sqrtf(vh) + eps) + decay * p[k]);
    }
}

void es_adam_step(es_adam *a, es_bridge_net *net, const es_bridge_grads *g,
                  float lr)
{
    a->step++;
    float c1 = 1.0f - powf(a->beta1, (float)a->step);
    float c2 = 1.0f - powf(a->beta2, (float)a->step);
    for (int l = 0; l < net->n_layers; l++) {
        size_t o = (size_t)net->dims[l + 1], in = (size_t)net->dims[l];
        update(net->w[l], g->w[l], a->m.w[l], a->v.w[l], o * in, lr, a->beta1,
               a->beta2, c1, c2, a->eps, a->weight_decay);
        update(net->b[l], g->b[l], a->m.b[l], a->v.b[l], o, lr, a->beta1,
               a->beta2, c1, c2, a->eps, 0.0f);
    }
}

void es_adam_free(es_adam *a, const es_bridge_net *net)
{
    es_bridge_grads_free(&a->m, net);
    es_bridge_grads_free(&a->v, net);
}
