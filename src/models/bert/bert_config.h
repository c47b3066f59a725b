/* bert_config.h — what a sentence-transformers directory says about its
 * model: config.json (architecture), 1_Pooling/config.json (pooling),
 * sentence_bert_config.json (max_seq_length) and tokenizer_config.json
 * (do_lower_case). Every number is range-checked so that later code can
 * trust it. */
#ifndef ES_MODELS_BERT_CONFIG_H
#define ES_MODELS_BERT_CONFIG_H

#include "earshot.h"

typedef enum es_bert_pooling { ES_POOL_MEAN, ES_POOL_CLS, ES_POOL_MAX } es_bert_pooling;

typedef struct es_bert_config {
    int hidden;          /* hidden_size */
    int layers;          /* num_hidden_layers */
    int heads;           /* num_attention_heads */
    int intermediate;    /* intermediate_size */
    int max_positions;   /* max_position_embeddings */
    int vocab_size;
    int type_vocab_size;
    float ln_eps;        /* layer_norm_eps */
    int max_seq_length;  /* tokens per text incl. [CLS]/[SEP] */
    int lower_case;      /* tokenizer do_lower_case */
    es_bert_pooling pooling;
    char name[128];      /* model name: _name_or_path's last part, else the dir */
} es_bert_config;

/* Reads the configuration files of the model directory dir. config.json is
 * required; the others have documented defaults (mean pooling, max length
 * min(512, max_position_embeddings), lower case) when absent. */
es_status es_bert_config_load(const char *dir, es_bert_config *cfg,
                              es_error *err);

#endif
