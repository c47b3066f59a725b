/* status_json.c — an index's summary as JSON (status_json.h). */
#include "app/status_json.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "core/error.h"
#include "index/roots.h"
#include "index/vec_cache.h"

/* Metadata keys shown under "models". */
static const char *const MODEL_KEYS[] = {
    "mode", "text_describe", "bridge_describe", "bridge_path", "asr",
    "feature_layout"};

static int add_failed(const es_store_file *f, void *ctx)
{
    if (f->status == ES_FILE_OK) return 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", f->path);
    cJSON_AddStringToObject(o, "error", f->error ? f->error : "");
    cJSON_AddItemToArray((cJSON *)ctx, o);
    return 0;
}

es_status es_status_json(es_store *s, cJSON **out, es_error *err)
{
    *out = NULL;
    es_store_counts n;
    es_status st = es_store_counts_get(s, &n, err);
    if (st != ES_OK) return st;
    const char *path = es_store_path(s);
    char cache[4300];
    es_vec_cache_path(path, cache, sizeof cache);
    struct stat sb;
    long long cache_bytes = stat(cache, &sb) == 0 ? (long long)sb.st_size : 0;
    cJSON *root = cJSON_CreateObject();
    if (!root) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    cJSON_AddStringToObject(root, "index", path);
    cJSON_AddNumberToObject(root, "schema_version", ES_STORE_SCHEMA_VERSION);
    cJSON_AddNumberToObject(root, "files", (double)n.files);
    cJSON_AddNumberToObject(root, "files_failed", (double)n.files_failed);
    cJSON_AddNumberToObject(root, "chunks", (double)n.chunks);
    cJSON_AddNumberToObject(root, "segments", (double)n.segments);
    cJSON_AddNumberToObject(root, "vectors_speech", (double)n.vectors_speech);
    cJSON_AddNumberToObject(root, "vectors_sound", (double)n.vectors_sound);
    cJSON_AddNumberToObject(root, "hours", n.hours);
    cJSON_AddNumberToObject(root, "index_bytes", (double)n.bytes);
    cJSON_AddNumberToObject(root, "cache_bytes", (double)cache_bytes);
    cJSON *models = cJSON_AddObjectToObject(root, "models");
    for (size_t i = 0; i < sizeof MODEL_KEYS / sizeof *MODEL_KEYS && st == ES_OK;
         i++) {
        char *v = NULL;
        st = es_store_meta_get(s, MODEL_KEYS[i], &v, err);
        if (st == ES_OK) cJSON_AddStringToObject(models, MODEL_KEYS[i], v ? v : "");
        free(v);
    }
    cJSON *roots = cJSON_AddArrayToObject(root, "roots");
    char **r = NULL;
    size_t nr = 0;
    if (st == ES_OK) st = es_roots_get(s, &r, &nr, err);
    for (size_t i = 0; i < nr; i++) {
        cJSON_AddItemToArray(roots, cJSON_CreateString(r[i]));
        free(r[i]);
    }
    free(r);
    cJSON *failed = cJSON_AddArrayToObject(root, "failed");
    if (st == ES_OK) st = es_store_files_each(s, add_failed, failed, err);
    if (st != ES_OK) {
        cJSON_Delete(root);
        return st;
    }
    *out = root;
    return ES_OK;
}
