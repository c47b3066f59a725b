/* bridge_net.h — the bridge: a small MLP from a chunk's audio features to
 * the text-embedding space, with its input standardisation, forward and
 * backward passes.
 *
 *   x_raw ─► (x − mean) / std ─► [Linear ─► ReLU] × (L−1) ─► Linear ─► head
 *
 * head TANH: y = tanh(z) (the seed's recipe; MSE is taken on y);
 * head L2:   y = z / ‖z‖ (matches a unit-norm text space).
 * Retrieval always compares L2-normalised outputs (es_bridge_net_embed).
 *
 * Weights use PyTorch's layout: w[l] is [dims[l+1] × dims[l]] row-major.
 * Owned by bridge_net.c; training (bridge_train.h), the file format
 * (bridge_file.h) and the ONNX export (bridge_onnx.h) build on it. */
#ifndef ES_MODELS_BRIDGE_NET_H
#define ES_MODELS_BRIDGE_NET_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"

#define ES_BRIDGE_MAX_LAYERS 8

typedef enum es_bridge_head {
    ES_BRIDGE_HEAD_TANH = 0,
    ES_BRIDGE_HEAD_L2 = 1
} es_bridge_head;

typedef struct es_bridge_net {
    int n_layers;                        /* Linear layers, 1..MAX          */
    int dims[ES_BRIDGE_MAX_LAYERS + 1];  /* dims[0] = in, dims[L] = out     */
    es_bridge_head head;
    float *in_mean;                      /* [dims[0]]                       */
    float *in_std;                       /* [dims[0]], every value > 0      */
    float *w[ES_BRIDGE_MAX_LAYERS];      /* [dims[l+1] × dims[l]]           */
    float *b[ES_BRIDGE_MAX_LAYERS];      /* [dims[l+1]]                     */
    /* int8 form: when quantized, w[l] holds exactly q·scale[l][row] with
     * q an integer in [−127, 127], so saving as int8 is lossless. */
    int quantized;
    float *scale[ES_BRIDGE_MAX_LAYERS];  /* [dims[l+1]] when quantized      */
} es_bridge_net;

/* A net with dims[0..n_layers]; mean 0, std 1, weights zero. */
es_status es_bridge_net_new(const int *dims, int n_layers, es_bridge_head head,
                            es_bridge_net **out, es_error *err);
void es_bridge_net_free(es_bridge_net *net);
es_status es_bridge_net_clone(const es_bridge_net *src, es_bridge_net **out,
                              es_error *err);
size_t es_bridge_net_n_params(const es_bridge_net *net);

/* He-uniform weights, zero biases, from a seeded generator (reproducible). */
void es_bridge_net_init(es_bridge_net *net, uint64_t seed);

/* Sets in_mean/in_std from n rows of raw features (population std; a std
 * below 1e-6·(1 + |mean|) is set to 1 so constant features pass as 0). */
void es_bridge_net_fit_standardisation(es_bridge_net *net, const float *x,
                                       size_t n);

/* Activations kept for backward. Sized for up to `cap` rows. */
typedef struct es_bridge_cache {
    size_t cap;
    float *a[ES_BRIDGE_MAX_LAYERS + 1];  /* a[0] = standardised input,
                                            a[l] = ReLU output of layer l,
                                            a[L] = head output y            */
    float *z_out;                        /* pre-head output [cap × out]     */
    float *scratch[2];                   /* backward: [cap × max width]     */
} es_bridge_cache;

es_status es_bridge_cache_init(es_bridge_cache *c, const es_bridge_net *net,
                               size_t cap, es_error *err);
void es_bridge_cache_free(es_bridge_cache *c);

/* y[n × out] = head output for x_raw[n × in]. With cache (cap ≥ n) the
 * activations are kept for es_bridge_net_backward; without, scratch is
 * allocated. Fails only with ES_ERR_NOMEM / ES_ERR_INVALID_ARG. */
es_status es_bridge_net_forward(const es_bridge_net *net, const float *x_raw,
                                size_t n, float *y, es_bridge_cache *cache,
                                es_error *err);
/* As forward, then each row L2-normalised (a zero row stays zero): the
 * vector that is stored in an index and compared by cosine. */
es_status es_bridge_net_embed(const es_bridge_net *net, const float *x_raw,
                              size_t n, float *y, es_error *err);

/* Gradients, same shapes as the net's weights. */
typedef struct es_bridge_grads {
    float *w[ES_BRIDGE_MAX_LAYERS];
    float *b[ES_BRIDGE_MAX_LAYERS];
} es_bridge_grads;

es_status es_bridge_grads_init(es_bridge_grads *g, const es_bridge_net *net,
                               es_error *err);
void es_bridge_grads_zero(es_bridge_grads *g, const es_bridge_net *net);
void es_bridge_grads_free(es_bridge_grads *g, const es_bridge_net *net);

/* Given dL/dy[n × out] for the rows of the last forward (kept in cache),
 * sets g to dL/dθ (overwrites). dy is clobbered. */
es_status es_bridge_net_backward(const es_bridge_net *net,
                                 es_bridge_cache *cache, size_t n, float *dy,
                                 es_bridge_grads *g, es_error *err);

/* Rounds every weight matrix to int8 with one symmetric scale per row
 * (max |w| / 127); biases, normalisation stay f32. Idempotent. */
void es_bridge_net_quantize(es_bridge_net *net);
/* Bytes of the weights as stored: f32, or int8 + per-row f32 scales. */
size_t es_bridge_net_weight_bytes(const es_bridge_net *net);

#endif
