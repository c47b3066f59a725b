/* search_json.c — search results as JSON (search_json.h). */
#include "app/search_json.h"

#include <math.h>
#include <string.h>

static const char *path_name(int p)
{
    return p == ES_PATH_SPEECH ? "speech" : "sound";
}

static cJSON *num_or_null(float v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

cJSON *es_search_json(const char *query, const char *like, const char *index,
                      const char *encoder, const es_search_results *r)
{
    cJSON *root = cJSON_CreateObject();
    if (query) cJSON_AddStringToObject(root, "query", query);
    if (like) cJSON_AddStringToObject(root, "like", like);
    cJSON_AddStringToObject(root, "index", index);
    cJSON_AddStringToObject(root, "encoder", encoder ? encoder : "");
    cJSON_AddNumberToObject(root, "chunks_searched", (double)r->n_chunks);
    cJSON_AddNumberToObject(root, "took_ms", r->ms);
    cJSON_AddStringToObject(root, "kernel", r->kernel);
    cJSON *arr = cJSON_AddArrayToObject(root, "results");
    for (size_t i = 0; i < r->n_hits; i++) {
        const es_search_hit *h = &r->hits[i];
        if (h->removed) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "file_id", (double)h->file_id);
        cJSON_AddStringToObject(o, "path", h->path);
        const char *slash = strrchr(h->path, '/');
        cJSON_AddStringToObject(o, "name", slash ? slash + 1 : h->path);
        cJSON_AddNumberToObject(o, "duration", h->duration_s);
        cJSON_AddNumberToObject(o, "score", h->score);
        cJSON *ms = cJSON_AddArrayToObject(o, "moments");
        for (size_t j = 0; j < h->n_moments; j++) {
            const es_search_moment *mo = &h->moments[j];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "start", mo->start_s);
            cJSON_AddNumberToObject(x, "end", mo->end_s);
            cJSON_AddNumberToObject(x, "score", mo->score);
            cJSON_AddStringToObject(x, "matched", path_name(mo->matched));
            cJSON_AddItemToObject(x, "speech_sim", num_or_null(mo->speech_sim));
            cJSON_AddItemToObject(x, "sound_sim", num_or_null(mo->sound_sim));
            cJSON_AddItemToObject(x, "lexical", num_or_null(mo->lexical));
            cJSON_AddNumberToObject(x, "speech_score", mo->speech_score);
            if (mo->snippet) cJSON_AddStringToObject(x, "snippet", mo->snippet);
            else cJSON_AddNullToObject(x, "snippet");
            cJSON_AddItemToArray(ms, x);
        }
        cJSON_AddItemToArray(arr, o);
    }
    return root;
}
