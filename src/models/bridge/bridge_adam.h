/* bridge_adam.h — Adam with decoupled weight decay (AdamW, Loshchilov &
 * Hutter) over a bridge's weights and biases. Decay applies to weight
 * matrices only, never to biases. Owned by bridge_adam.c. */
#ifndef ES_MODELS_BRIDGE_ADAM_H
#define ES_MODELS_BRIDGE_ADAM_H

#include "earshot.h"
#include "models/bridge/bridge_net.h"

typedef struct es_adam {
    es_bridge_grads m, v;   /* first and second moments, shaped like grads */
    long step;
    float beta1, beta2, eps, weight_decay;
} es_adam;

es_status es_adam_init(es_adam *a, const es_bridge_net *net, float beta1,
                       float beta2, float eps, float weight_decay,
                       es_error *err);
/* One update of net with gradients g at learning rate lr. */
void es_adam_step(es_adam *a, es_bridge_net *net, const es_bridge_grads *g,
                  float lr);
void es_adam_free(es_adam *a, const es_bridge_net *net);

#endif
