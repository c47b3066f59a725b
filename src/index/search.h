/* search.h — ranking the chunks of an index for a query and grouping the
 * best moments by file.
 *
 * Fusion (docs/SEARCH.md): for chunk c with speech score w ∈ [0, 1],
 * speech-path similarity s_sp (its transcript vs the query) and sound-path
 * similarity s_snd (its bridge vector vs the query),
 *
 *     w' = clamp(a·w + b, 0, 1)
 *     dense(c) = τ · log(w'·exp(s_sp/τ) + (1 − w')·exp(s_snd/τ))
 *
 * when the chunk has both vectors (a soft maximum that trusts each path by
 * its weight: a sound chunk whose noise was "transcribed" still matches by
 * its sound), s_sp or s_snd alone when it has one; then score(c) =
 * dense(c) + λ · lex(c), lex ∈ [0, 1] from FTS5 BM25 over the transcript
 * segments in the chunk (λ = 0 turns it off). */
#ifndef ES_SEARCH_H
#define ES_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"
#include "index/store.h"
#include "index/vec_cache.h"

typedef struct es_search_params {
    int k;                      /* files to return (default 10)            */
    int moments_per_file;       /* best moments per file (default 3)       */
    int paths;                  /* ES_PATH_* bits to use (default both)    */
    float min_score;            /* drop moments below (default -1 = none)  */
    float lexical_weight;       /* λ (default ES_SEARCH_LEXICAL_DEFAULT)   */
    float speech_a, speech_b;   /* w' = clamp(a·w + b): default 1, 0        */
    float temperature;          /* τ (default ES_SEARCH_TEMPERATURE_DEFAULT);
                                   0 = the weighted mean                   */
    int exact;                  /* f32 vectors instead of int8             */
    int threads;                /* ≤ 0: all cores                          */
    /* query by example: skip moments of this file overlapping the span   */
    int64_t exclude_file;       /* 0 = none                                */
    double exclude_start, exclude_end;
} es_search_params;

#define ES_SEARCH_LEXICAL_DEFAULT 0.15f
#define ES_SEARCH_TEMPERATURE_DEFAULT 0.1f

es_search_params es_search_default_params(void);

typedef struct es_search_moment {
    int64_t chunk_id;
    double start_s, end_s;
    float score;
    float speech_sim, sound_sim, lexical; /* NaN where the path is absent  */
    float speech_score;
    int matched;                /* ES_PATH_SPEECH or ES_PATH_SOUND         */
    char *snippet;              /* transcript in the moment, or NULL       */
} es_search_moment;

typedef struct es_search_hit {
    int64_t file_id;
    char *path;                 /* "(removed)" when the row is gone (the
                                   cache was older than the index)         */
    double duration_s;
    int removed;
    float score;                /* best moment's                           */
    es_search_moment *moments;
    size_t n_moments;
} es_search_hit;

typedef struct es_search_results {
    es_search_hit *hits;
    size_t n_hits;
    size_t n_chunks;            /* searched                                */
    double ms;                  /* time of the ranking (not the embedding) */
    char kernel[16];
} es_search_results;

void es_search_results_free(es_search_results *r);

/* Ranks with query vectors per path (either may be NULL: that path is not
 * used) and an optional text for the lexical term. */
es_status es_search_run(es_store *s, const es_vec_cache *cache,
                        const float *q_speech, const float *q_sound,
                        const char *lexical_text, const es_search_params *p,
                        es_search_results *out, es_error *err);

#endif
