/* serve_api_index.c — GET /api/status, POST and DELETE /api/index
 * (docs/API.md): the index's summary with the background run's progress,
 * and starting or stopping that run. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app/serve.h"
#include "app/status_json.h"

static double unix_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static cJSON *num_or_null(int ok, double v)
{
    return ok ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* The run's progress: see docs/API.md § GET /api/status. */
static cJSON *run_json(es_engine *e)
{
    es_engine_run run;
    es_engine_run_get(e, &run);
    const es_index_progress *p = &run.progress;
    int live = run.state == ES_RUN_RUNNING || run.state == ES_RUN_STOPPING;
    double elapsed = live ? unix_s() - run.started_at
                          : run.finished_at > 0 ? run.finished_at - run.started_at
                                                : 0;
    double frac = p->seconds_total > 0 ? p->seconds_done / p->seconds_total
                  : p->files_total ? (double)p->files_done / (double)p->files_total
                                   : 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "state", es_engine_run_state_name(run.state));
    cJSON *paths = cJSON_AddArrayToObject(o, "paths");
    for (size_t i = 0; i < run.n_paths; i++)
        if (run.paths[i]) cJSON_AddItemToArray(paths, cJSON_CreateString(run.paths[i]));
    cJSON_AddNumberToObject(o, "files_total", (double)p->files_total);
    cJSON_AddNumberToObject(o, "files_done", (double)p->files_done);
    cJSON_AddNumberToObject(o, "failed", (double)p->failed);
    cJSON_AddNumberToObject(o, "seconds_total", p->seconds_total);
    cJSON_AddNumberToObject(o, "seconds_done", p->seconds_done);
    cJSON_AddNumberToObject(o, "elapsed_s", elapsed);
    cJSON_AddItemToObject(o, "eta_s",
                          num_or_null(live && p->files_done > 0 && frac > 0,
                                      frac > 0 ? elapsed * (1 - frac) / frac : 0));
    cJSON_AddNumberToObject(o, "unchanged", (double)p->unchanged);
    cJSON_AddNumberToObject(o, "touched", (double)p->touched);
    cJSON_AddNumberToObject(o, "moved", (double)p->moved);
    cJSON_AddNumberToObject(o, "removed", (double)p->removed);
    if (run.last_file[0]) cJSON_AddStringToObject(o, "last_file", run.last_file);
    else cJSON_AddNullToObject(o, "last_file");
    cJSON *errs = cJSON_AddArrayToObject(o, "errors");
    for (size_t i = 0; i < run.n_errors; i++) {
        if (!run.errors[i].path || !run.errors[i].error) continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "path", run.errors[i].path);
        cJSON_AddStringToObject(x, "error", run.errors[i].error);
        cJSON_AddItemToArray(errs, x);
    }
    if (run.error[0]) cJSON_AddStringToObject(o, "error", run.error);
    else cJSON_AddNullToObject(o, "error");
    cJSON_AddItemToObject(o, "started_at", num_or_null(run.started_at > 0, run.started_at));
    cJSON_AddItemToObject(o, "finished_at",
                          num_or_null(run.finished_at > 0, run.finished_at));
    es_engine_run_clear(&run);
    return o;
}

enum MHD_Result es_api_status(es_http_req *r)
{
    es_engine *e = r->srv->engine;
    es_store *s = NULL;
    es_error err;
    cJSON *j = NULL;
    es_status st = es_engine_store_take(e, &s, &err);
    if (st == ES_OK) st = es_status_json(s, &j, &err);
    es_engine_store_give(e, s);
    if (st != ES_OK)
        return es_http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err.message);
    cJSON_AddStringToObject(j, "version", es_version());
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "models"), "mode");
    cJSON_AddStringToObject(j, "mode", cJSON_IsString(mode) && mode->valuestring[0]
                                           ? mode->valuestring : "lightweight");
    cJSON_AddItemToObject(j, "indexing", run_json(e));
    int busy, queued;
    es_gate_counts(&r->srv->gate, &busy, &queued);
    cJSON *srv = cJSON_AddObjectToObject(j, "server");
    cJSON_AddNumberToObject(srv, "workers", r->srv->gate.slots);
    cJSON_AddNumberToObject(srv, "busy", busy);
    cJSON_AddNumberToObject(srv, "queued", queued);
    cJSON_AddNumberToObject(srv, "queue_limit", r->srv->gate.queue_limit);
    cJSON_AddNumberToObject(srv, "max_upload_bytes", (double)r->srv->max_upload);
    cJSON_AddBoolToObject(srv, "token", r->srv->token != NULL);
    return es_http_json(r, MHD_HTTP_OK, j);
}

enum MHD_Result es_api_index_start(es_http_req *r)
{
    const char *ct = es_http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (r->body_len && (!ct || strncasecmp(ct, "application/json", 16)))
        return es_http_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                             "send the request as application/json");
    cJSON *body = r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    if (r->body_len && !cJSON_IsObject(body)) {
        cJSON_Delete(body);
        return es_http_error(r, MHD_HTTP_BAD_REQUEST,
                             "the body must be a JSON object like "
                             "{\"paths\": [\"/home/me/Audio\"]}");
    }
    es_engine_run_request req;
    memset(&req, 0, sizeof req);
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(body, "paths");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(body, "mode");
    const cJSON *retry = cJSON_GetObjectItemCaseSensitive(body, "retry_failed");
    const char *bad = NULL;
    if (paths && !cJSON_IsArray(paths)) bad = "\"paths\" must be an array of strings";
    if (mode && !cJSON_IsString(mode)) bad = "\"mode\" must be a string";
    if (retry && !cJSON_IsBool(retry)) bad = "\"retry_failed\" must be true or false";
    int n = cJSON_IsArray(paths) ? cJSON_GetArraySize(paths) : 0;
    if (n > 1000) bad = "at most 1000 paths";
    const char **v = n ? calloc((size_t)n, sizeof *v) : NULL;
    for (int i = 0; i < n && v && !bad; i++) {
        const cJSON *x = cJSON_GetArrayItem(paths, i);
        if (!cJSON_IsString(x) || !x->valuestring[0]) bad = "\"paths\" must be an array of strings";
        else v[i] = x->valuestring;
    }
    if (bad || (n && !v)) {
        free(v);
        cJSON_Delete(body);
        return es_http_error(r, MHD_HTTP_BAD_REQUEST, "%s", bad ? bad : "out of memory");
    }
    req.paths = v;
    req.n_paths = (size_t)n;
    req.mode = cJSON_IsString(mode) ? mode->valuestring : NULL;
    req.retry_failed = cJSON_IsTrue(retry);
    int busy = 0;
    es_error err;
    es_status st = es_engine_index_start(r->srv->engine, &req, &busy, &err);
    free(v);
    cJSON_Delete(body);
    if (st != ES_OK) return es_http_error(r, es_http_status_of(st) == MHD_HTTP_NOT_FOUND
                                                 ? MHD_HTTP_BAD_REQUEST
                                                 : es_http_status_of(st),
                                          "%s", err.message);
    if (busy)
        return es_http_error(r, MHD_HTTP_CONFLICT,
                             "an indexing run is going on; wait for it or stop "
                             "it (DELETE /api/index)");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "started", 1);
    cJSON_AddItemToObject(o, "indexing", run_json(r->srv->engine));
    return es_http_json(r, MHD_HTTP_ACCEPTED, o);
}

enum MHD_Result es_api_index_stop(es_http_req *r)
{
    if (!es_engine_index_stop(r->srv->engine))
        return es_http_error(r, MHD_HTTP_CONFLICT, "no indexing run is going on");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "stopping", 1);
    cJSON_AddItemToObject(o, "indexing", run_json(r->srv->engine));
    return es_http_json(r, MHD_HTTP_ACCEPTED, o);
}
