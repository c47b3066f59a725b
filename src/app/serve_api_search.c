/* serve_api_search.c — GET /api/search and POST /api/search/like
 * (docs/API.md): parameters checked, then the search runs in a gate slot. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "app/search_json.h"
#include "app/serve.h"

#define QUERY_MAX 1000
#define NAME_MAX_LEN 200
#define GATE_WAIT_S 30.0

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int parse_num(const char *s, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* k, path, moments, min_score; 0 or an answered error (*ret). */
static int read_params(es_http_req *r, es_search_params *p, enum MHD_Result *ret)
{
    *p = es_search_default_params();
    p->threads = 1;   /* requests run side by side: one core each */
    const char *v;
    double x;
    if ((v = es_http_arg(r, "k")) && parse_int(v, 1, 100, &p->k)) {
        *ret = es_http_error(r, MHD_HTTP_BAD_REQUEST, "k must be 1..100, not '%.40s'", v);
        return -1;
    }
    if ((v = es_http_arg(r, "moments")) && parse_int(v, 1, 20, &p->moments_per_file)) {
        *ret = es_http_error(r, MHD_HTTP_BAD_REQUEST,
                             "moments must be 1..20, not '%.40s'", v);
        return -1;
    }
    if ((v = es_http_arg(r, "path"))) {
        if (!strcmp(v, "both")) p->paths = ES_PATH_SPEECH | ES_PATH_SOUND;
        else if (!strcmp(v, "speech")) p->paths = ES_PATH_SPEECH;
        else if (!strcmp(v, "sound")) p->paths = ES_PATH_SOUND;
        else {
            *ret = es_http_error(r, MHD_HTTP_BAD_REQUEST,
                                 "path must be both, speech or sound, not '%.40s'", v);
            return -1;
        }
    }
    if ((v = es_http_arg(r, "min_score"))) {
        if (parse_num(v, &x)) {
            *ret = es_http_error(r, MHD_HTTP_BAD_REQUEST,
                                 "min_score must be a number, not '%.40s'", v);
            return -1;
        }
        p->min_score = (float)x;
    }
    return 0;
}

static enum MHD_Result busy(es_http_req *r)
{
    return es_http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                         "the server is busy (%d searches waiting); try again "
                         "in a moment", r->srv->gate.queue_limit);
}

static enum MHD_Result answer(es_http_req *r, const char *query,
                              const char *like, es_engine_answer *a)
{
    cJSON *j = es_search_json(query, like, es_engine_index_path(r->srv->engine),
                              a->encoder, &a->results);
    if (!j) return es_http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
    cJSON_AddStringToObject(j, "mode", a->mode);
    if (a->empty)
        cJSON_AddStringToObject(j, "note", "the index holds nothing yet: index "
                                           "some audio first (the page's Indexing "
                                           "panel, or POST /api/index)");
    else if (a->note[0])
        cJSON_AddStringToObject(j, "note", a->note);
    return es_http_json(r, MHD_HTTP_OK, j);
}

enum MHD_Result es_api_search(es_http_req *r)
{
    const char *q = es_http_arg(r, "q");
    if (!q || !q[strspn(q, " \t\r\n")])
        return es_http_error(r, MHD_HTTP_BAD_REQUEST,
                             "give a query: /api/search?q=dog+barking");
    if (strlen(q) > QUERY_MAX)
        return es_http_error(r, MHD_HTTP_BAD_REQUEST,
                             "the query is %zu bytes; at most %d", strlen(q),
                             QUERY_MAX);
    es_search_params p;
    enum MHD_Result ret;
    if (read_params(r, &p, &ret)) return ret;
    if (es_gate_enter(&r->srv->gate, GATE_WAIT_S)) return busy(r);
    es_engine_answer a;
    es_error err;
    es_status st = es_engine_search_text(r->srv->engine, q, &p, &a, &err);
    es_gate_leave(&r->srv->gate);
    if (st != ES_OK)   /* the query was fine: a missing model is ours */
        return es_http_error(r, st == ES_ERR_NOMEM ? MHD_HTTP_SERVICE_UNAVAILABLE
                                                   : MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "%s", err.message);
    ret = answer(r, q, NULL, &a);
    es_engine_answer_clear(&a);
    return ret;
}

/* ------------------------------------------------------------ by example */
static int has_at(const char *b, size_t n, size_t at, const char *magic)
{
    size_t m = strlen(magic);
    return n >= at + m && !memcmp(b + at, magic, m);
}

/* The first bytes of the containers FFmpeg reads for audio. */
static int looks_like_media(const char *b, size_t n)
{
    const unsigned char *u = (const unsigned char *)b;
    if (n < 12) return 0;
    return (has_at(b, n, 0, "RIFF") &&
            (has_at(b, n, 8, "WAVE") || has_at(b, n, 8, "AVI "))) ||
           has_at(b, n, 0, "ID3") || has_at(b, n, 0, "fLaC") ||
           has_at(b, n, 0, "OggS") || has_at(b, n, 4, "ftyp") ||
           (has_at(b, n, 0, "FORM") &&
            (has_at(b, n, 8, "AIFF") || has_at(b, n, 8, "AIFC"))) ||
           has_at(b, n, 0, "#!AMR") || has_at(b, n, 0, "caff") ||
           has_at(b, n, 0, ".snd") || has_at(b, n, 0, "wvpk") ||
           has_at(b, n, 0, "MAC ") || has_at(b, n, 0, "RF64") ||
           (u[0] == 0x1A && u[1] == 0x45 && u[2] == 0xDF && u[3] == 0xA3) ||
           (u[0] == 0x30 && u[1] == 0x26 && u[2] == 0xB2 && u[3] == 0x75) ||
           (u[0] == 0xFF && (u[1] & 0xE0) == 0xE0);   /* MPEG / ADTS sync */
}

static int audio_type(const char *ct)
{
    return ct && (!strncasecmp(ct, "audio/", 6) || !strncasecmp(ct, "video/", 6) ||
                  !strncasecmp(ct, "application/octet-stream", 24));
}

/* Writes the body to a private temporary file; returns its path or NULL. */
static char *save_upload(const es_http_req *r)
{
    const char *dir = getenv("TMPDIR");
    char *path = malloc(4200);
    if (!path) return NULL;
    snprintf(path, 4200, "%s/earshot-like-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        free(path);
        return NULL;
    }
    size_t at = 0;
    while (at < r->body_len) {
        ssize_t w = write(fd, r->body + at, r->body_len - at);
        if (w <= 0) break;
        at += (size_t)w;
    }
    close(fd);
    if (at != r->body_len) {
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

enum MHD_Result es_api_search_like(es_http_req *r)
{
    const char *ct = es_http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!audio_type(ct))
        return es_http_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                             "send the clip's bytes with an audio Content-Type "
                             "(audio/*, video/* or application/octet-stream), "
                             "not '%.60s'", ct ? ct : "(none)");
    if (r->body_len == 0)
        return es_http_error(r, MHD_HTTP_BAD_REQUEST, "the clip is empty");
    if (!looks_like_media(r->body, r->body_len))
        return es_http_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                             "this is not an audio file earshot knows (wav, "
                             "mp3, flac, ogg, opus, m4a, webm, aiff, …)");
    es_search_params p;
    enum MHD_Result ret;
    if (read_params(r, &p, &ret)) return ret;
    double start = 0, end = 0;
    const char *v;
    if ((v = es_http_arg(r, "start")) && (parse_num(v, &start) || start < 0))
        return es_http_error(r, MHD_HTTP_BAD_REQUEST, "start must be seconds ≥ 0");
    if ((v = es_http_arg(r, "end")) && (parse_num(v, &end) || end <= start))
        return es_http_error(r, MHD_HTTP_BAD_REQUEST,
                             "end must be seconds after start");
    const char *name = es_http_arg(r, "name");
    if (!name || !*name) name = "upload";
    if (strlen(name) > NAME_MAX_LEN)
        return es_http_error(r, MHD_HTTP_BAD_REQUEST, "name is too long");
    char *file = save_upload(r);
    if (!file)
        return es_http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "cannot write the clip to a temporary file");
    if (es_gate_enter(&r->srv->gate, GATE_WAIT_S)) {
        unlink(file);
        free(file);
        return busy(r);
    }
    es_engine_answer a;
    es_error err;
    es_status st = es_engine_search_like(r->srv->engine, file, start, end, &p,
                                         &a, &err);
    es_gate_leave(&r->srv->gate);
    unlink(file);
    if (st != ES_OK) {
        /* the message names the temporary file: name the upload instead */
        char msg[ES_ERROR_MESSAGE_MAX];
        const char *at = strstr(err.message, file);
        if (at)
            snprintf(msg, sizeof msg, "%.*s%s%s", (int)(at - err.message),
                     err.message, name, at + strlen(file));
        else
            snprintf(msg, sizeof msg, "%s", err.message);
        free(file);
        /* a clip that decodes to nothing usable is the client's problem */
        unsigned code = st == ES_ERR_NOT_FOUND ? MHD_HTTP_BAD_REQUEST
                                               : es_http_status_of(st);
        return es_http_error(r, code, "%s", msg);
    }
    free(file);
    ret = answer(r, NULL, name, &a);
    es_engine_answer_clear(&a);
    return ret;
}
