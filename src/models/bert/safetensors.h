/* safetensors.h — reading Hugging Face .safetensors files, as users download
 * them next to a sentence-transformers model.
 *
 * Layout: u64 little-endian N, then N bytes of JSON header
 *   {"name": {"dtype": "F32", "shape": [r, c], "data_offsets": [b, e]}, ...,
 *    "__metadata__": {...}}
 * then the data region; offsets are relative to its start (8 + N).
 *
 * The file is memory-mapped read-only. Every header field is validated at
 * open: dtype known, shape product × element size == e − b (overflow-checked),
 * b ≤ e ≤ data length. A hostile or truncated file therefore fails at open
 * with ES_ERR_FORMAT / ES_ERR_TRUNCATED and a message naming the file and the
 * tensor, and no later access can leave the mapping. */
#ifndef ES_MODELS_BERT_SAFETENSORS_H
#define ES_MODELS_BERT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"

#define ES_ST_MAX_DIMS 8

typedef enum es_st_dtype {
    ES_ST_F32, ES_ST_F16, ES_ST_BF16, ES_ST_F64,
    ES_ST_I64, ES_ST_I32, ES_ST_I16, ES_ST_I8, ES_ST_U8, ES_ST_BOOL,
    ES_ST_OTHER
} es_st_dtype;

typedef struct es_st_tensor {
    char *name;
    es_st_dtype dtype;
    const char *dtype_name;  /* as written in the file, e.g. "F16" */
    int ndim;
    uint64_t shape[ES_ST_MAX_DIMS];
    uint64_t numel;
    const void *data;        /* inside the mapping; may be unaligned */
    uint64_t nbytes;
} es_st_tensor;

typedef struct es_safetensors es_safetensors;

es_status es_safetensors_open(const char *path, es_safetensors **out,
                              es_error *err);
void es_safetensors_close(es_safetensors *st);

const char *es_safetensors_path(const es_safetensors *st);
size_t es_safetensors_count(const es_safetensors *st);
const es_st_tensor *es_safetensors_at(const es_safetensors *st, size_t i);
/* The tensor called name, or NULL. */
const es_st_tensor *es_safetensors_find(const es_safetensors *st,
                                        const char *name);
/* A fingerprint of the header and of samples of the data (FNV-1a 64): cheap
 * to compute at every open, different for different weights. */
uint64_t es_safetensors_fingerprint(const es_safetensors *st);

/* Converts a floating tensor (F32, F16, BF16) to float32 into dst[numel].
 * Other dtypes give ES_ERR_FORMAT naming the tensor. */
es_status es_st_to_f32(const es_safetensors *st, const es_st_tensor *t,
                       float *dst, es_error *err);

#endif
