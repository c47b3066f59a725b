/* bridge_train.h — training a bridge in C: losses, Adam with decoupled
 * weight decay, cosine learning-rate schedule with warm-up, mini-batches,
 * early stopping on a validation split, fixed seeds.
 * Owned by bridge_loss.c (losses), bridge_adam.c (optimizer, bridge_adam.h) and
 * bridge_train.c (the loop). */
#ifndef ES_MODELS_BRIDGE_TRAIN_H
#define ES_MODELS_BRIDGE_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"
#include "models/bridge/bridge_net.h"

typedef enum es_bridge_loss {
    ES_LOSS_MSE = 0,      /* mean over rows of ‖y − t‖² / D                  */
    ES_LOSS_COSINE = 1,   /* mean over rows of 1 − cos(y, t)                 */
    ES_LOSS_INFONCE = 2   /* symmetric InfoNCE over the batch's distinct
                             targets (rows with equal keys share a target)   */
} es_bridge_loss;

es_status es_bridge_loss_parse(const char *name, es_bridge_loss *out,
                               es_error *err);
const char *es_bridge_loss_name(es_bridge_loss l);
es_status es_bridge_head_parse(const char *name, es_bridge_head *out,
                               es_error *err);
const char *es_bridge_head_name(es_bridge_head h);

/* Loss of a batch of head outputs y[n × d] against unit targets t[n × d];
 * key[n]: rows with the same key have the same target (InfoNCE counts such
 * rows as positives of each other's target, never as negatives). With dy,
 * writes dLoss/dy[n × d]. Returns the loss, or NAN on allocation failure. */
float es_bridge_loss_eval(es_bridge_loss loss, float temperature,
                          const float *y, const float *t, const int *key,
                          size_t n, int d, float *dy);

/* A set of examples: inputs, unit targets, target keys (see above). */
typedef struct es_bridge_examples {
    size_t n;
    int in_dim, out_dim;
    const float *x;       /* [n × in_dim] raw inputs                         */
    const float *t;       /* [n × out_dim] unit targets                      */
    const int *key;       /* [n]                                             */
} es_bridge_examples;

typedef struct es_bridge_epoch_report {
    int epoch, epochs;
    double train_loss;
    double val_loss;      /* NAN without a validation set                    */
    double val_map10;     /* text→audio mAP@10 on validation, NAN without    */
    int best_epoch;
    double seconds;       /* since training began                            */
} es_bridge_epoch_report;

typedef struct es_bridge_train_params {
    es_bridge_loss loss;  /* cosine (best in docs/RESULTS.md)               */
    float temperature;    /* InfoNCE: 0.07                                   */
    int epochs;           /* max epochs: 300                                 */
    int batch_size;       /* 64                                              */
    float lr;             /* peak learning rate: 1e-3                        */
    float lr_min;         /* end of the cosine schedule: 1e-5                */
    int warmup_epochs;    /* linear warm-up: 5                               */
    float weight_decay;   /* decoupled (AdamW): 1e-4                         */
    float beta1, beta2, eps;   /* 0.9, 0.999, 1e-8                           */
    int patience;         /* stop after this many epochs without a better
                             validation mAP@10 (0 = never); the best epoch's
                             weights are kept: 30                            */
    uint64_t seed;        /* init and shuffling: 1                           */
    void (*progress)(const es_bridge_epoch_report *r, void *user);
    void *user;
} es_bridge_train_params;

es_bridge_train_params es_bridge_train_default_params(void);

typedef struct es_bridge_train_report {
    int epochs_run, best_epoch;
    double best_val_map10, final_train_loss, seconds;
} es_bridge_train_report;

/* Fits net's standardisation on train, initialises it from the seed and
 * trains it. val may be NULL or empty (then the last epoch is kept). */
es_status es_bridge_train(es_bridge_net *net, const es_bridge_examples *train,
                          const es_bridge_examples *val,
                          const es_bridge_train_params *p,
                          es_bridge_train_report *rep, es_error *err);

#endif
