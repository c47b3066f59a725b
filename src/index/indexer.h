/* indexer.h — `earshot index`: bring an index up to date with folders.
 *
 * Walk the folders; for each audio file decide: unchanged (same size and
 * mtime → skip), touched (same content hash → record the new mtime),
 * moved (a vanished file with the same hash → rename the row), changed or
 * new (→ analyse on a worker thread, embed its transcript, write it in one
 * transaction). Rows of files that disappeared from the folders are
 * removed. Files that fail are recorded with their error and reported; the
 * run goes on. Ctrl-C (cfg.stop) ends the run after committing what is
 * done; a kill loses at most the files in flight. */
#ifndef ES_INDEXER_H
#define ES_INDEXER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "earshot.h"
#include "index/store.h"

typedef enum es_index_mode {
    ES_MODE_LIGHTWEIGHT = 0,  /* features → bridge; ASR on speech only     */
    ES_MODE_HYBRID = 1        /* + Whisper states in the bridge; ASR always */
} es_index_mode;

es_status es_index_mode_parse(const char *name, es_index_mode *out,
                              es_error *err);
const char *es_index_mode_name(es_index_mode m);

typedef enum es_index_event {
    ES_INDEX_PLANNED,         /* totals known                               */
    ES_INDEX_FILE_DONE,       /* one file analysed and committed (or failed) */
    ES_INDEX_FINISHED
} es_index_event;

typedef struct es_index_progress {
    es_index_event event;
    size_t files_total;       /* files to analyse in this run               */
    size_t files_done;
    double seconds_total;     /* their audio (declared durations)           */
    double seconds_done;
    double elapsed_s;
    size_t unchanged, touched, moved, removed, failed, failed_before;
    /* FILE_DONE: */
    const char *path;
    int ok;
    const char *error;        /* when !ok                                   */
    double file_seconds;
    size_t file_chunks, file_speech_chunks;
    const char *warning;      /* e.g. no speech recogniser                  */
} es_index_progress;

typedef void (*es_index_progress_fn)(const es_index_progress *p, void *ctx);

typedef struct es_index_config {
    es_index_mode mode;
    int jobs;                     /* worker threads; ≤ 0 = cores            */
    const char *text_model;       /* es_text_encoder_open_named; NULL=auto  */
    const char *asr_model;        /* NULL = auto                            */
    const char *bridge_path;      /* NULL = the index's, else the models
                                     dir's bridge/default.esbridge, if any  */
    const char *models_dir;       /* NULL = es_models_dir()                 */
    int no_asr;
    int retry_failed;             /* re-analyse files that failed before    */
    es_chunk_params chunk;
    volatile sig_atomic_t *stop;
    es_index_progress_fn progress;
    void *progress_ctx;
} es_index_config;

es_index_config es_index_default_config(void);

/* Failed files of the run (path and error), for the final report. */
typedef struct es_index_failure {
    char *path;
    char *error;
} es_index_failure;

typedef struct es_index_report {
    es_index_progress totals;
    es_index_failure *failures;
    size_t n_failures;
    int interrupted;
    char models[1024];        /* one line per model in use                  */
    char warning[ES_ERROR_MESSAGE_MAX + 32]; /* FILE_DONE's warning text    */
} es_index_report;

void es_index_report_clear(es_index_report *r);

es_status es_index_update(es_store *s, const char *const *paths,
                          size_t n_paths, const es_index_config *cfg,
                          es_index_report *report, es_error *err);

#endif
