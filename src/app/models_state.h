/* models_state.h — what is installed in the models directory, file by file:
 * present or not, size, sha256 against the catalog's pin (or a structural
 * check when there is no pin), an interrupted download (.part) waiting to
 * be resumed. `list`, `path` and `pull` all judge files the same way here.
 *
 * Each model directory holds a record, `.sha256sums` (the format of
 * `sha256sum`, so `cd DIR && sha256sum -c .sha256sums` works), written by
 * `pull` after it has verified every file. `list` trusts a recorded hash
 * while the file is no newer than the record and has the catalog's size,
 * and hashes the file again otherwise; `list --verify` always re-hashes.
 *
 * Downloads are staged in <models>/.partial/<dir>/ (FILE.part while it
 * arrives, FILE once verified) and moved into <models>/<dir>/ only when every
 * file of the model is verified: a model directory never holds a half file,
 * and a failed pull never creates one (the text encoder picks minilm as soon
 * as its directory exists). */
#ifndef ES_APP_MODELS_STATE_H
#define ES_APP_MODELS_STATE_H

#include <stdint.h>

#include "app/model_catalog.h"
#include "app/sha256_file.h"

#define ES_MODELS_RECORD ".sha256sums"
#define ES_MODELS_STAGING ".partial"

typedef enum es_file_state {
    ES_FILE_OK,             /* present, size and sha256 match the pin          */
    ES_FILE_UNPINNED,       /* present, no pin, structurally valid             */
    ES_FILE_MISSING,        /* absent                                          */
    ES_FILE_SIZE_MISMATCH,  /* present with another size than the catalog's    */
    ES_FILE_SHA_MISMATCH,   /* present, right size, wrong sha256               */
    ES_FILE_BAD_FORMAT,     /* unpinned and fails the structural check         */
    ES_FILE_ERROR           /* cannot be read                                  */
} es_file_state;

typedef enum es_hash_mode {
    ES_HASH_NONE,           /* presence and size only (fast: `path`)           */
    ES_HASH_RECORDED,       /* trust a fresh record entry, else hash           */
    ES_HASH_ALWAYS          /* hash every file (`list --verify`, `pull`)       */
} es_hash_mode;

typedef struct es_file_check {
    es_file_state state;
    int64_t size;                         /* on disk, -1 when missing     */
    char sha256[ES_SHA256_HEX_LEN + 1];   /* "" when not computed          */
    int from_record;                      /* sha256 taken from the record  */
    int64_t part_size;                    /* staged download bytes, -1 if none
                                             (set by the caller)          */
    char detail[ES_ERROR_MESSAGE_MAX];    /* reason for BAD_FORMAT/ERROR   */
} es_file_check;

/* The pull record of one model directory. */
typedef struct es_models_record {
    size_t n;
    char **paths;
    char (*sha256)[ES_SHA256_HEX_LEN + 1];
    int64_t mtime_ns;                     /* the record file's mtime, 0 if none */
} es_models_record;

void es_models_record_load(const char *model_dir, es_models_record *rec);
void es_models_record_free(es_models_record *rec);
/* Writes the record atomically (tmp + rename). */
es_status es_models_record_write(const char *model_dir, const char *const *paths,
                                 const char *const *sha256, size_t n, es_error *err);

/* Judges the file at path against f. rec may be NULL. */
void es_models_check_file(const char *path, const es_catalog_file *f,
                          const es_models_record *rec, es_hash_mode mode, es_file_check *out);

/* "ok", "unpinned", "missing", "size mismatch", ... */
const char *es_file_state_str(es_file_state s);
/* True for states that mean the file is wrong (not merely absent). */
int es_file_state_is_bad(es_file_state s);

#endif
