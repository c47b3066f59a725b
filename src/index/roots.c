/* roots.c — the folders an index covers (roots.h). */
#include "index/roots.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "index/walk.h"

void es_roots_free(char **roots, size_t n)
{
    for (size_t i = 0; i < n; i++) free(roots[i]);
    free(roots);
}

es_status es_roots_get(es_store *s, char ***roots, size_t *n, es_error *err)
{
    *roots = NULL;
    *n = 0;
    char *v = NULL;
    es_status st = es_store_meta_get(s, "roots", &v, err);
    if (st != ES_OK || !v) return st;
    cJSON *arr = cJSON_Parse(v);
    free(v);
    int len = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    char **r = len ? calloc((size_t)len, sizeof *r) : NULL;
    size_t k = 0;
    for (int i = 0; i < len && r; i++) {
        const cJSON *e = cJSON_GetArrayItem(arr, i);
        if (cJSON_IsString(e) && e->valuestring[0] == '/' &&
            !(r[k] = strdup(e->valuestring))) {
            es_roots_free(r, k);
            cJSON_Delete(arr);
            return es_fail(err, ES_ERR_NOMEM, "out of memory");
        }
        if (cJSON_IsString(e) && e->valuestring[0] == '/') k++;
    }
    cJSON_Delete(arr);
    if (len && !r) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    *roots = r;
    *n = k;
    return ES_OK;
}

/* a == b, or a lies under the folder b. */
static int within(const char *a, const char *b)
{
    size_t n = strlen(b);
    return !strncmp(a, b, n) && (a[n] == 0 || a[n] == '/' ||
                                 (n > 0 && b[n - 1] == '/'));
}

es_status es_roots_add(es_store *s, const char *const *paths, size_t n,
                       es_error *err)
{
    char **have = NULL;
    size_t nh = 0;
    es_status st = es_roots_get(s, &have, &nh, err);
    if (st != ES_OK) return st;
    cJSON *arr = cJSON_CreateArray();
    int changed = 0;
    for (size_t i = 0; i < nh; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(have[i]));
    for (size_t i = 0; i < n && st == ES_OK; i++) {
        char *abs = NULL;
        if ((st = es_path_absolute(paths[i], &abs, err)) != ES_OK) break;
        int covered = 0;
        for (int j = 0; j < cJSON_GetArraySize(arr) && !covered; j++)
            covered = within(abs, cJSON_GetArrayItem(arr, j)->valuestring);
        if (!covered) {   /* the new root replaces the roots inside it */
            for (int j = cJSON_GetArraySize(arr) - 1; j >= 0; j--)
                if (within(cJSON_GetArrayItem(arr, j)->valuestring, abs))
                    cJSON_DeleteItemFromArray(arr, j);
            cJSON_AddItemToArray(arr, cJSON_CreateString(abs));
            changed = 1;
        }
        free(abs);
    }
    es_roots_free(have, nh);
    char *text = st == ES_OK && changed ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    if (st != ES_OK || !changed) return st;
    if (!text) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    st = es_store_begin(s, err);
    if (st == ES_OK) st = es_store_meta_set(s, "roots", text, err);
    if (st == ES_OK) st = es_store_commit(s, err);
    else es_store_rollback(s);
    free(text);
    return st;
}
