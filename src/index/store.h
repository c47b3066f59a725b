/* store.h — the index on disk: one SQLite file (WAL mode) per index.
 *
 * It holds the indexed files (path, size, mtime, content hash, duration,
 * status and error), their chunks (time span, speech score, which paths
 * ran, the chunk's sound features), the transcript segments (with an FTS5
 * table over their text), one vector per chunk and path (f32 and int8 with
 * its scale), and key/value metadata: the schema version, the mode, and the
 * identities of the models that made the vectors. The schema is versioned;
 * es_store_open migrates older files forward (docs/INDEX.md).
 *
 * Every change to one file happens in one transaction (es_store_begin /
 * es_store_commit), so an interrupted run loses at most the file in flight.
 * Each committed change bumps the "generation" counter, which tells the
 * vector cache (vec_cache.h) when it is stale. */
#ifndef ES_STORE_H
#define ES_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"

#define ES_STORE_SCHEMA_VERSION 1

/* Which path produced a vector (also bits of es_store_chunk.paths). */
enum { ES_PATH_SPEECH = 1, ES_PATH_SOUND = 2 };

typedef enum es_file_status {
    ES_FILE_OK = 0,
    ES_FILE_FAILED = 1
} es_file_status;

typedef struct es_store es_store;

/* Opens (creating when create != 0) the index at path; readonly opens it
 * for searching without taking the write lock. */
es_status es_store_open(const char *path, int create, int readonly,
                        es_store **out, es_error *err);
void es_store_close(es_store *s);
const char *es_store_path(const es_store *s);

es_status es_store_begin(es_store *s, es_error *err);
/* Commits and bumps the generation. */
es_status es_store_commit(es_store *s, es_error *err);
void es_store_rollback(es_store *s);

/* Metadata. *value is malloc'd (NULL when the key is absent). */
es_status es_store_meta_get(es_store *s, const char *key, char **value,
                            es_error *err);
es_status es_store_meta_set(es_store *s, const char *key, const char *value,
                            es_error *err);
int64_t es_store_generation(es_store *s);

/* ------------------------------------------------------------------ files */
typedef struct es_store_file {
    int64_t id;
    char *path;              /* absolute                                   */
    int64_t size;
    int64_t mtime_ns;
    char hash[17];           /* 64-bit content hash, hex                   */
    double duration_s;
    es_file_status status;
    char *error;             /* NULL when ok                               */
    char *models_key;        /* the models and mode that indexed it        */
} es_store_file;

void es_store_file_clear(es_store_file *f);

/* *found = 0 when the path is not in the index. */
es_status es_store_file_get(es_store *s, const char *path, es_store_file *out,
                            int *found, es_error *err);
es_status es_store_file_get_id(es_store *s, int64_t id, es_store_file *out,
                               int *found, es_error *err);
/* Replaces any row of f->path (and all its chunks) by a new one; f->id is
 * set. Call inside a transaction. */
es_status es_store_file_put(es_store *s, es_store_file *f, es_error *err);
/* Updates size and mtime only (the content hash matched). */
es_status es_store_file_touch(es_store *s, int64_t id, int64_t size,
                              int64_t mtime_ns, es_error *err);
es_status es_store_file_rename(es_store *s, int64_t id, const char *path,
                               int64_t size, int64_t mtime_ns, es_error *err);
es_status es_store_file_delete(es_store *s, int64_t id, es_error *err);

/* Calls fn for every file row (in id order); fn returns nonzero to stop. */
typedef int (*es_store_file_fn)(const es_store_file *f, void *ctx);
es_status es_store_files_each(es_store *s, es_store_file_fn fn, void *ctx,
                              es_error *err);

/* ----------------------------------------------------------------- chunks */
typedef struct es_store_chunk {
    int64_t id;
    int64_t file_id;
    int index;
    double start_s, end_s;
    float speech_score;
    int paths;               /* ES_PATH_* bits that produced a vector      */
    const float *features;   /* feature vector (may be NULL)               */
    int n_features;
} es_store_chunk;

es_status es_store_chunk_add(es_store *s, es_store_chunk *c, es_error *err);
/* Stores a unit vector of one path for a chunk, as f32 and int8. */
es_status es_store_vector_add(es_store *s, int64_t chunk_id, int path,
                              const float *v, int dim, es_error *err);
es_status es_store_segment_add(es_store *s, int64_t file_id, double start_s,
                               double end_s, const char *text, es_error *err);

/* ---------------------------------------------------------------- summary */
typedef struct es_store_counts {
    int64_t files, files_failed, chunks, segments;
    int64_t vectors_speech, vectors_sound;
    double hours;            /* audio indexed (ok files)                   */
    int64_t bytes;           /* the SQLite file + its WAL                  */
} es_store_counts;

es_status es_store_counts_get(es_store *s, es_store_counts *c, es_error *err);

/* The first column of the first row of sql as an integer (0 when no row);
 * *ok is cleared on an error and left alone otherwise. */
int64_t es_store_query_int(es_store *s, const char *sql, int *ok);

/* The SQLite handle, for the query modules of src/index/. */
struct sqlite3 *es_store_db(es_store *s);
/* Fills err from the last SQLite error ("index.db: <what>: <sqlite msg>"). */
es_status es_store_fail(es_store *s, const char *what, es_error *err);

#endif
