/* whisper_pool.h — Whisper encoder states of a chunk, pooled over time into
 * one vector (mean ‖ max, 2 · n_audio_state floats): the extra bridge input
 * of Hybrid mode. Encodes only the chunk's frames (audio_ctx trimming).
 * Owned by whisper_pool.c. */
#ifndef ES_MODELS_WHISPER_POOL_H
#define ES_MODELS_WHISPER_POOL_H

#include <stddef.h>

#include "earshot.h"

typedef struct es_whisper_pool es_whisper_pool;

/* name: NULL/"auto" (whisper-tiny, else whisper-tiny.en, from models_dir),
 * "whisper-tiny", "whisper-tiny.en", or a path to a ggml file. No Whisper
 * installed is ES_ERR_NOT_FOUND naming `earshot models pull`. */
es_status es_whisper_pool_open(const char *name, const char *models_dir,
                               int threads, es_whisper_pool **out,
                               es_error *err);
int es_whisper_pool_dim(const es_whisper_pool *p);
/* "whisper:<size>:<wtype>:<fingerprint of the weights>" */
const char *es_whisper_pool_identity(const es_whisper_pool *p);
/* samples: 16 kHz mono, 1 ≤ n ≤ 30 s (longer is ES_ERR_INVALID_ARG).
 * out: es_whisper_pool_dim floats (mean over positions, then max). */
es_status es_whisper_pool_compute(es_whisper_pool *p, const float *samples,
                                  size_t n, float *out, es_error *err);
void es_whisper_pool_free(es_whisper_pool *p);

#endif
