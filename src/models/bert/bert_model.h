/* bert_model.h — a BERT encoder (post-LN transformer) with sentence pooling:
 * the weights, loaded from safetensors, and the forward pass.
 *
 * The forward pass runs on a *packed* batch: the token ids of several texts
 * laid end to end, with their offsets. Dense layers see all tokens of the
 * batch at once (one GEMM each, no padding rows); attention runs per text
 * and per head over that text's own tokens, which is exactly attention with
 * a padding mask, without computing the padded positions. */
#ifndef ES_MODELS_BERT_MODEL_H
#define ES_MODELS_BERT_MODEL_H

#include <stdint.h>

#include "models/bert/bert_config.h"
#include "nn/linear.h"

typedef struct es_bert_layer {
    es_linear qkv;         /* query, key, value fused: [3·hidden × hidden] */
    es_linear attn_out;    /* attention.output.dense */
    float *ln1_g, *ln1_b;  /* attention.output.LayerNorm */
    es_linear ffn_in;      /* intermediate.dense */
    es_linear ffn_out;     /* output.dense */
    float *ln2_g, *ln2_b;  /* output.LayerNorm */
} es_bert_layer;

typedef struct es_bert_model {
    es_bert_config cfg;
    es_matrix word_emb;     /* [vocab × hidden] */
    es_matrix pos_emb;      /* [max_positions × hidden] */
    float *type_emb0;       /* token type 0 row [hidden] (sentence models use only 0) */
    float *emb_ln_g, *emb_ln_b;
    es_bert_layer *layers;
    int int8;               /* weights quantized */
    uint64_t fingerprint;   /* of the safetensors file */
} es_bert_model;

/* Loads dir/model.safetensors according to cfg: tensor names with or
 * without a "bert." prefix; F32, F16 or BF16; shapes checked against the
 * config. With int8, matrices are quantized after loading. */
es_status es_bert_model_load(const char *dir, const es_bert_config *cfg,
                             int int8, es_bert_model *m, es_error *err);
void es_bert_model_free(es_bert_model *m);
/* Bytes the weights occupy in memory. */
size_t es_bert_model_bytes(const es_bert_model *m);

/* A packed batch: n texts; text i is ids[offsets[i] .. offsets[i+1]). */
typedef struct es_bert_batch {
    const int32_t *ids;
    const int *offsets;   /* n + 1 entries, offsets[0] = 0 */
    int n;
} es_bert_batch;

/* Embeds a batch: out[n × hidden], pooled and L2-normalised rows. ids must
 * be < vocab_size and each text at most max_positions tokens (the caller's
 * tokenizer guarantees both; they are checked). */
es_status es_bert_model_embed(const es_bert_model *m, const es_bert_batch *b,
                              float *out, es_error *err);

#endif
