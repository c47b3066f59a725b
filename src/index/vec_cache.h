/* vec_cache.h — every chunk vector of an index in one memory-mapped file.
 *
 * Searching reads each vector once per query, so they must not come from
 * SQLite row by row: the cache <index>.vcache lays out, for all chunks in id
 * order, the chunk and file ids, times, speech scores, which paths have a
 * vector, and the speech and sound matrices (int8 + per-row scale, and
 * f32). It is rebuilt (to a temporary file, then renamed, so readers that
 * hold the old one keep a valid mapping) when the index's generation
 * counter moved on. Layout: docs/INDEX.md. */
#ifndef ES_VEC_CACHE_H
#define ES_VEC_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "index/store.h"
#include "index/vec_search.h"

typedef struct es_vec_cache {
    int64_t generation;
    int dim;                  /* 0 when no chunk has a vector              */
    size_t n;                 /* chunks                                    */
    const int64_t *chunk_id;  /* ascending                                 */
    const int64_t *file_id;
    const float *start_s, *end_s, *speech_score;
    const uint8_t *has;       /* ES_PATH_* bits: which vectors exist       */
    es_vec_matrix speech_i8, sound_i8, speech_f32, sound_f32;
    void *map;                /* private                                   */
    size_t map_size;
} es_vec_cache;

/* Maps the cache of the store, rebuilding it first when it is missing,
 * stale or damaged. */
es_status es_vec_cache_load(es_store *s, es_vec_cache **out, es_error *err);
void es_vec_cache_free(es_vec_cache *c);

/* Row of a chunk id, or -1. */
int64_t es_vec_cache_row(const es_vec_cache *c, int64_t chunk_id);

/* Path of the cache file of an index (buf of size ≥ strlen(index) + 8). */
void es_vec_cache_path(const char *index_path, char *buf, size_t size);

#endif
