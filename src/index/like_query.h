/* like_query.h — query by example: an audio clip turned into query vectors
 * through the same analysis as the index (sound features → the index's
 * bridge; speech → the index's recogniser → the text encoder). */
#ifndef ES_LIKE_QUERY_H
#define ES_LIKE_QUERY_H

#include <pthread.h>

#include "earshot.h"
#include "index/index_models.h"
#include "index/store.h"

typedef struct es_like_query {
    float *speech;   /* the transcript's vector, or NULL                   */
    float *sound;    /* the mean of the clip's bridge vectors, or NULL     */
    char *text;      /* the transcript (for the lexical term), or NULL     */
} es_like_query;

/* Analyses file[start, end) (end 0: to its end) with the index's mode and
 * recogniser and m's bridge and text encoder. Fails with ES_ERR_EMPTY when
 * the span holds no audio, ES_ERR_NOT_FOUND when there is nothing to search
 * with (no bridge and no speech). */
es_status es_like_query_embed(es_store *s, const es_index_models *m,
                              const char *file, double start, double end,
                              es_like_query *q, es_error *err);
/* The same, holding enc_lock (when not NULL) while the text encoder runs:
 * an encoder serves one call at a time. */
es_status es_like_query_embed_locked(es_store *s, const es_index_models *m,
                                     pthread_mutex_t *enc_lock,
                                     const char *file, double start, double end,
                                     es_like_query *q, es_error *err);
void es_like_query_free(es_like_query *q);

#endif
