/* bridge_pipeline.h — what `earshot train` and `earshot eval` share: the
 * options that describe a bridge experiment (manifest, text space, inputs,
 * augmentation, architecture, optimiser), and the steps from a manifest to
 * a trained net and to retrieval metrics. */
#ifndef ES_APP_BRIDGE_PIPELINE_H
#define ES_APP_BRIDGE_PIPELINE_H

#include <stdio.h>

#include "data/dataset.h"
#include "data/manifest.h"
#include "eval/retrieval.h"
#include "models/bridge/bridge_model.h"
#include "models/bridge/bridge_train.h"
#include "models/whisper/whisper_pool.h"

#define ES_BP_MAX_TEMPLATES 16

typedef struct es_bp_options {
    const char *manifest;
    es_manifest_columns cols;
    int kfold;                 /* > 0: reassign folds 1..kfold (by group)    */
    const char *text_encoder;  /* NULL = auto                                */
    const char *templates[ES_BP_MAX_TEMPLATES];
    int n_templates;           /* 0 = ES_PROMPT_DEFAULT                      */
    es_bridge_input input;
    const char *whisper;       /* hybrid: Whisper model name or path         */
    double chunk_s;
    es_augment_params augment;
    int hidden[ES_BRIDGE_MAX_LAYERS - 1];
    int n_hidden;
    es_bridge_head head;
    es_bridge_train_params train;
    double val_fraction;       /* of the training rows, by group: 0.15       */
    const char *asr;           /* rows with no label: target text from ASR   */
    int threads;
    int quiet;                 /* no per-epoch lines                         */
} es_bp_options;

void es_bp_default_options(es_bp_options *o);
/* Tries argv[*i] as a shared option; returns 1 if consumed (advancing *i
 * past its value), 0 if not an option of ours, −1 after printing a usage
 * error for cmd. */
int es_bp_parse_option(es_bp_options *o, const char *cmd, int argc,
                       char **argv, int *i);
void es_bp_options_help(FILE *out);

/* The opened pieces of an experiment. */
typedef struct es_bp {
    const es_bp_options *o;
    es_text_encoder *enc;
    es_manifest *m;
    es_whisper_pool *whisper;  /* hybrid only                                */
    float *label_vecs;         /* [m->n_labels × dim] prompt embeddings      */
    int dim;                   /* text space                                 */
} es_bp;

/* Opens the text encoder (the one `space` names when not NULL: a bridge's
 * identity must match), the manifest (folds reassigned if asked), Whisper
 * for hybrid inputs, and embeds every label's prompt. */
es_status es_bp_open(es_bp *bp, const es_bp_options *o, es_error *err);
void es_bp_close(es_bp *bp);

/* Replaces the text of every row with no label by its transcript from the
 * speech recogniser asr_name (bridge_asr.c). */
es_status es_bp_transcribe_rows(es_bp *bp, const char *asr_name, es_error *err);

/* Decodes and featurises rows (augmented copies when augment is set),
 * with a progress line on stderr. */
es_status es_bp_dataset(es_bp *bp, const int *rows, size_t n, int augment,
                        const char *what, es_dataset **out, es_error *err);

/* Unit target vectors and keys of every example of d: a label's prompt
 * vector, a text's embedding, or the normalised blend of a mixed pair. */
es_status es_bp_targets(es_bp *bp, const es_dataset *d, float **t, int **key,
                        es_error *err);

/* Splits rows into training and validation (by group, per label, seeded). */
es_status es_bp_split_validation(const es_bp *bp, const int *rows, size_t n,
                                 int **tr, size_t *ntr, int **va, size_t *nva,
                                 es_error *err);

/* Trains a net on rows (validation split carved out of them). */
es_status es_bp_train(es_bp *bp, const int *rows, size_t n,
                      es_bridge_net **out, es_bridge_train_report *rep,
                      es_error *err);

/* Metrics of embeddings e[d->n × dim] of dataset d (label queries are the
 * label prompts; text rows, if any, are scored separately; query_* are the
 * optional free-form queries with the label each should find). */
typedef struct es_bp_metrics {
    es_retrieval_scores t2a, a2t;      /* label prompts ↔ clips             */
    es_retrieval_scores text_t2a;      /* texts (transcripts) → their clips  */
    es_retrieval_scores queries_t2a;   /* --queries                          */
} es_bp_metrics;

typedef struct es_bp_queries {
    int n;
    char **text;
    int *label_id;             /* index in the manifest's labels             */
    float *vecs;               /* [n × dim]                                  */
} es_bp_queries;

/* Reads a CSV `query,label` file and embeds the queries as typed. A label
 * not in the manifest is an error. */
es_status es_bp_queries_load(es_bp *bp, const char *path, es_bp_queries *q,
                             es_error *err);
void es_bp_queries_free(es_bp_queries *q);

es_status es_bp_evaluate(es_bp *bp, const es_dataset *d, const float *e,
                         const es_bp_queries *q, es_bp_metrics *out,
                         es_error *err);

/* The metadata a trained net is saved with. notes is malloc'ed JSON. */
es_status es_bp_meta(const es_bp *bp, const es_bridge_train_report *rep,
                     es_bridge_meta *meta, es_error *err);

#endif
