/* engine.h — one index held open for a long-running process (`earshot
 * serve`): searches from many threads at once while one indexing run goes
 * on in the background.
 *
 * Every search takes a read connection from a small pool (SQLite WAL: a
 * reader sees the last commit and never waits for the writer) and a
 * reference to the current vector cache. While the index changes, the
 * cache is refreshed at most every ES_ENGINE_CACHE_CHECK_S (or 10× the
 * last rebuild's time, when that is longer: a big index is not rebuilt
 * continuously): one thread rebuilds it while the others keep searching the
 * previous one, which stays mapped until its last reader lets go. The text encoder and bridge are
 * the ones the index records, reopened when an indexing run changed them. */
#ifndef ES_ENGINE_H
#define ES_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"
#include "index/indexer.h"
#include "index/search.h"

#define ES_ENGINE_CACHE_CHECK_S 0.5

typedef struct es_engine es_engine;

typedef struct es_engine_config {
    const char *index_path;        /* created when missing                  */
    const char *models_dir;        /* NULL = es_models_dir()                */
    const char *const *roots;      /* folders a run indexes by default      */
    size_t n_roots;                /* (none: the roots the index records)   */
    int index_jobs;                /* indexing worker threads; ≤ 0 = cores  */
} es_engine_config;

es_status es_engine_open(const es_engine_config *cfg, es_engine **out,
                         es_error *err);
/* Stops a running indexing run (after the files in flight) and frees. */
void es_engine_close(es_engine *e);
const char *es_engine_index_path(const es_engine *e);

/* ---------------------------------------------------------------- search */
typedef struct es_engine_answer {
    es_search_results results;
    char encoder[512];             /* the text encoder's description        */
    char mode[32];                 /* the index's mode                      */
    int empty;                     /* the index holds no vectors yet        */
    char note[256];                /* why there are no results, or ""       */
} es_engine_answer;

void es_engine_answer_clear(es_engine_answer *a);

/* p->threads is taken as given (1 suits a server answering many at once). */
es_status es_engine_search_text(es_engine *e, const char *query,
                                const es_search_params *p,
                                es_engine_answer *out, es_error *err);
/* Query by example: file[start, end) (end 0 = to its end). */
es_status es_engine_search_like(es_engine *e, const char *file, double start,
                                double end, const es_search_params *p,
                                es_engine_answer *out, es_error *err);

/* The path of an indexed file (malloc'd); ES_ERR_NOT_FOUND for an unknown
 * id. */
es_status es_engine_file_path(es_engine *e, int64_t file_id, char **path,
                              es_error *err);

/* A read connection for other queries (status); give it back. */
es_status es_engine_store_take(es_engine *e, es_store **s, es_error *err);
void es_engine_store_give(es_engine *e, es_store *s);

/* -------------------------------------------------------------- indexing */
typedef enum es_engine_run_state {
    ES_RUN_IDLE,          /* no run since the engine opened                 */
    ES_RUN_RUNNING,
    ES_RUN_STOPPING,
    ES_RUN_DONE,
    ES_RUN_INTERRUPTED,
    ES_RUN_FAILED
} es_engine_run_state;

const char *es_engine_run_state_name(es_engine_run_state s);

typedef struct es_engine_run_request {
    const char *const *paths;      /* NULL/0: the configured roots, else the
                                      index's own                           */
    size_t n_paths;
    const char *mode;              /* NULL: the index's (else lightweight)  */
    int retry_failed;
} es_engine_run_request;

/* Starts a background run. ES_ERR_INVALID_ARG for a bad request (relative
 * or missing path, bad mode, nothing to index); *busy = 1 (and ES_OK) when
 * a run is already going on. */
es_status es_engine_index_start(es_engine *e, const es_engine_run_request *r,
                                int *busy, es_error *err);
/* Asks a running run to stop; returns 0 when none runs. */
int es_engine_index_stop(es_engine *e);

#define ES_ENGINE_MAX_RUN_ERRORS 100

typedef struct es_engine_run {
    es_engine_run_state state;
    char **paths;
    size_t n_paths;
    es_index_progress progress;    /* path/error/warning pointers cleared   */
    char last_file[4096];
    es_index_failure *errors;      /* this run's failed files (≤ the max)   */
    size_t n_errors;
    char error[ES_ERROR_MESSAGE_MAX]; /* the run failed as a whole         */
    double started_at, finished_at;   /* Unix time; 0 = not yet           */
} es_engine_run;

/* A copy of the current run's state; free with es_engine_run_clear. */
void es_engine_run_get(es_engine *e, es_engine_run *out);
void es_engine_run_clear(es_engine_run *r);

#endif
