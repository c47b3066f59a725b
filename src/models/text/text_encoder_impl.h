/* text_encoder_impl.h — how a text-encoder backend plugs into the public
 * es_text_encoder handle. Each backend (bert/, wordvec/) provides one
 * constructor that fills an es_text_encoder_backend; text_encoder.c does the
 * dispatch, so callers only ever see es_text_encoder_*. */
#ifndef ES_MODELS_TEXT_ENCODER_IMPL_H
#define ES_MODELS_TEXT_ENCODER_IMPL_H

#include "earshot.h"

typedef struct es_text_encoder_backend {
    es_text_encoder_kind kind;
    int dim;
    char describe[256];   /* see es_text_encoder_describe */
    char identity[256];   /* see es_text_encoder_identity */
    void *impl;
    /* Embeds n texts into out[n * dim], rows L2-normalised. */
    es_status (*embed)(void *impl, const char *const *texts, size_t n,
                       float *out, es_error *err);
    void (*free)(void *impl);
} es_text_encoder_backend;

/* Backend constructors: each validates its files fully and fails with a
 * message naming the file and the problem. */
es_status es_bert_backend_open(const char *dir,
                               const es_text_encoder_params *params,
                               es_text_encoder_backend *out, es_error *err);
es_status es_wordvec_backend_open(const char *path,
                                  const es_text_encoder_params *params,
                                  es_text_encoder_backend *out, es_error *err);

#endif
