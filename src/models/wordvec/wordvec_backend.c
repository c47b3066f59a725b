/* wordvec_backend.c — plugs the word vectors (wordvec.h) into the public
 * es_text_encoder handle: kind, dimension, describe/identity strings and a
 * thread-safe embed over the read-only mapping.
 *
 * Identity: "wordvec:<name>:<dim>:<fingerprint>", where the fingerprint is
 * the CRC-32 of the source vectors (docs/FORMATS.md), not of the payload:
 * the f16 and int8 forms and every --top N of one source are one space
 * (a word has the same vector up to rounding; a smaller N only knows fewer
 * words), like the int8 and f32 forms of a BERT model. */
#include "core/error.h"
#include "models/text/text_encoder_impl.h"
#include "models/wordvec/wordvec.h"

#include <stdio.h>
#include <string.h>

static es_status wv_embed(void *impl, const char *const *texts, size_t n,
                          float *out, es_error *err)
{
    const es_wordvec *wv = impl;
    size_t dim = (size_t)es_wordvec_get_info(wv)->dim;
    for (size_t i = 0; i < n; i++) {
        if (!texts[i])
            return es_fail(err, ES_ERR_INVALID_ARG, "word vectors: text %zu is NULL", i);
        es_wordvec_embed(wv, texts[i], strlen(texts[i]), out + i * dim);
    }
    return ES_OK;
}

static void wv_free(void *impl) { es_wordvec_close(impl); }

es_status es_wordvec_backend_open(const char *path,
                                  const es_text_encoder_params *params,
                                  es_text_encoder_backend *out, es_error *err)
{
    (void)params; /* one thread, no batching, no quantisation choice */
    if (!path || !out)
        return es_fail(err, ES_ERR_INVALID_ARG, "word vectors: NULL argument");
    es_wordvec *wv = NULL;
    es_status s = es_wordvec_open(path, &wv, err);
    if (s != ES_OK) return s;
    const es_wordvec_info *in = es_wordvec_get_info(wv);
    memset(out, 0, sizeof *out);
    out->kind = ES_TEXT_WORDVEC;
    out->dim = in->dim;
    snprintf(out->describe, sizeof out->describe,
             "word vectors %s (%d-d, %u words, %s, SIF a=%g)", in->name, in->dim,
             in->n_words, in->dtype == ES_WORDVEC_F16 ? "f16" : "int8", in->sif_a);
    snprintf(out->identity, sizeof out->identity, "wordvec:%s:%d:%08x", in->name,
             in->dim, in->fingerprint);
    out->impl = wv;
    out->embed = wv_embed;
    out->free = wv_free;
    return ES_OK;
}
