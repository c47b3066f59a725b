/* analyze.h — everything the index computes from one audio file, run on a
 * worker thread: chunks, their sound features, speech scores and sound
 * vectors (through the bridge), and the transcript of the speech-like
 * parts. The text embedding and the database writes happen afterwards on
 * the indexer's main thread (analysis → indexer.c).
 *
 * The speech recogniser is loaded the first time a chunk scores as speech
 * ("progressive loading"), once per analyser; a folder of pure sound never
 * loads it. */
#ifndef ES_ANALYZE_H
#define ES_ANALYZE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "earshot.h"

/* Settings shared (read-only) by the analysers of one run. */
typedef struct es_analyze_config {
    es_chunk_params chunk;
    const es_bridge *bridge;     /* NULL: no sound path                      */
    int hybrid;                  /* bridge reads Whisper states; ASR always  */
    const char *asr_name;        /* es_asr_open_named name; NULL = auto      */
    const char *whisper_name;    /* hybrid: es_whisper_pool_open name        */
    const char *models_dir;      /* NULL = es_models_dir()                   */
    int asr_threads;             /* per analyser                             */
    int no_asr;                  /* never transcribe                         */
    volatile sig_atomic_t *stop; /* set → the analysis ends with ES_DONE     */
    double range_start_s;        /* only chunks overlapping [start, end);    */
    double range_end_s;          /* end ≤ 0 = to the end (query by example)  */
} es_analyze_config;

typedef struct es_analysis_chunk {
    double start_s, end_s;
    float speech_score;
    float *features;             /* n_features                               */
    float *sound;                /* bridge output (dim) or NULL              */
    char *text;                  /* transcript words in the chunk, or NULL   */
} es_analysis_chunk;

typedef struct es_analysis_segment {
    double start_s, end_s;
    char *text;
    float no_speech_prob;
} es_analysis_segment;

typedef struct es_analysis {
    double duration_s;
    int n_features, sound_dim;
    es_analysis_chunk *chunks;
    size_t n_chunks;
    es_analysis_segment *segments;
    size_t n_segments;
    double asr_seconds;          /* audio sent to the recogniser             */
    char warning[ES_ERROR_MESSAGE_MAX + 32]; /* e.g. no recogniser could be loaded */
} es_analysis;

typedef struct es_analyzer es_analyzer;

es_status es_analyzer_create(const es_analyze_config *cfg, es_analyzer **out,
                             es_error *err);
/* The recogniser's description once loaded, else "". */
const char *es_analyzer_asr_describe(const es_analyzer *a);
/* Analyses one file. On error, out is cleared and err says why; ES_DONE
 * when cfg->stop was raised. */
es_status es_analyzer_run(es_analyzer *a, const char *path, es_analysis *out,
                          es_error *err);
void es_analysis_clear(es_analysis *r);
void es_analyzer_free(es_analyzer *a);

/* The transcript text of [start, end): segments whose middle falls in it,
 * joined by spaces; NULL when none (malloc'd). */
char *es_segments_text_in(const es_analysis_segment *segs, size_t n,
                          double start_s, double end_s);

#endif
