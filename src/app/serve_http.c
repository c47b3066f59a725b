/* serve_http.c — libmicrohttpd glue for `earshot serve`: binding, the
 * checks every request passes (Host, token, method, body size), routing
 * to the handlers, and the reply helpers that log each request. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "app/serve.h"
#include "core/error.h"

#define MAX_CONNECTIONS 256
#define JSON_BODY_MAX (64 * 1024)

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

const char *es_http_arg(es_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *es_http_header(es_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

enum MHD_Result es_http_reply(es_http_req *r, unsigned status,
                              struct MHD_Response *resp)
{
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    r->status = (int)status;
    enum MHD_Result ok = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

enum MHD_Result es_http_json(es_http_req *r, unsigned status, cJSON *body)
{
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (!text) return MHD_NO;
    size_t n = strlen(text);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type",
                            "application/json; charset=utf-8");
    return es_http_reply(r, status, resp);
}

static enum MHD_Result error_v(es_http_req *r, unsigned status,
                               const char *hname, const char *hvalue,
                               const char *fmt, va_list ap)
{
    char msg[ES_ERROR_MESSAGE_MAX + 128];
    vsnprintf(msg, sizeof msg, fmt, ap);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    cJSON_AddNumberToObject(o, "status", status);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text) return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type",
                            "application/json; charset=utf-8");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(resp, "Retry-After", "1");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    if (hname) MHD_add_response_header(resp, hname, hvalue);
    return es_http_reply(r, status, resp);
}

enum MHD_Result es_http_error(es_http_req *r, unsigned status, const char *fmt,
                              ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum MHD_Result ret = error_v(r, status, NULL, NULL, fmt, ap);
    va_end(ap);
    return ret;
}

enum MHD_Result es_http_error_with(es_http_req *r, unsigned status,
                                   const char *hname, const char *hvalue,
                                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum MHD_Result ret = error_v(r, status, hname, hvalue, fmt, ap);
    va_end(ap);
    return ret;
}

unsigned es_http_status_of(es_status code)
{
    switch (code) {
    case ES_ERR_INVALID_ARG:
    case ES_ERR_NOT_AUDIO:
    case ES_ERR_UNSUPPORTED_CODEC:
    case ES_ERR_TRUNCATED:
    case ES_ERR_EMPTY:
    case ES_ERR_DECODE: return MHD_HTTP_BAD_REQUEST;
    case ES_ERR_NOT_FOUND: return MHD_HTTP_NOT_FOUND;
    case ES_ERR_NOMEM: return MHD_HTTP_SERVICE_UNAVAILABLE;
    default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* ---------------------------------------------------------------- checks */
/* Constant-time comparison, so the token cannot be guessed byte by byte. */
static int same_secret(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    unsigned char d = (unsigned char)(na != nb);
    for (size_t i = 0; i < na; i++)
        d |= (unsigned char)(a[i] ^ b[nb ? i % nb : 0]);
    return d == 0;
}

static int token_ok(es_http_req *r)
{
    const char *want = r->srv->token;
    if (!want) return 1;
    const char *auth = es_http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth && !strncasecmp(auth, "Bearer ", 7) && same_secret(auth + 7, want))
        return 1;
    const char *q = es_http_arg(r, "token");
    return q && same_secret(q, want);
}

/* While bound to loopback, only loopback names in Host: a page of another
 * site that rebinds its DNS name to 127.0.0.1 gets nothing. */
static int host_ok(es_http_req *r)
{
    if (!r->srv->loopback) return 1;
    const char *h = es_http_header(r, MHD_HTTP_HEADER_HOST);
    if (!h) return 1;   /* HTTP/1.0 */
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t n = strlen(names[i]);
        if (!strncasecmp(h, names[i], n) && (h[n] == 0 || h[n] == ':'))
            return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- routing */
typedef enum route {
    R_NONE, R_ASSET, R_FAVICON, R_HEALTH, R_STATUS, R_SEARCH, R_LIKE, R_INDEX,
    R_AUDIO
} route;

typedef struct conn_state {
    es_http_req req;
    route rt;
    size_t limit;               /* body bytes allowed                      */
    int overflow;               /* the body went past the limit            */
    size_t reserved;            /* of the server's upload budget           */
    size_t cap;
} conn_state;

static route route_of(const char *url, const char **allow)
{
    *allow = "GET, HEAD";
    if (!strcmp(url, "/healthz")) return R_HEALTH;
    if (!strcmp(url, "/favicon.ico")) return R_FAVICON;
    if (!strcmp(url, "/api/status")) return R_STATUS;
    if (!strcmp(url, "/api/search")) return R_SEARCH;
    if (!strcmp(url, "/api/search/like")) {
        *allow = "POST";
        return R_LIKE;
    }
    if (!strcmp(url, "/api/index")) {
        *allow = "POST, DELETE";
        return R_INDEX;
    }
    if (!strncmp(url, "/api/audio/", 11)) return R_AUDIO;
    if (es_web_asset_find(url)) return R_ASSET;
    return R_NONE;
}

static int method_ok(route rt, const char *m)
{
    int get = !strcmp(m, "GET") || !strcmp(m, "HEAD");
    switch (rt) {
    case R_LIKE: return !strcmp(m, "POST");
    case R_INDEX: return !strcmp(m, "POST") || !strcmp(m, "DELETE");
    default: return get;
    }
}

static enum MHD_Result serve_asset(es_http_req *r)
{
    const es_web_asset *a = es_web_asset_find(r->url);
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        a->size, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", a->mime);
    /* the page may load nothing from elsewhere */
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; media-src 'self' blob:; "
                            "img-src 'self' data:; style-src 'self'; "
                            "script-src 'self'; connect-src 'self'; "
                            "frame-ancestors 'none'");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    return es_http_reply(r, MHD_HTTP_OK, resp);
}

static enum MHD_Result health(es_http_req *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddStringToObject(o, "version", es_version());
    return es_http_json(r, MHD_HTTP_OK, o);
}

static enum MHD_Result no_content(es_http_req *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    return es_http_reply(r, MHD_HTTP_NO_CONTENT, resp);
}

static enum MHD_Result dispatch(conn_state *c)
{
    es_http_req *r = &c->req;
    switch (c->rt) {
    case R_ASSET: return serve_asset(r);
    case R_FAVICON: return no_content(r);
    case R_HEALTH: return health(r);
    case R_STATUS: return es_api_status(r);
    case R_SEARCH: return es_api_search(r);
    case R_LIKE: return es_api_search_like(r);
    case R_INDEX:
        return !strcmp(r->method, "DELETE") ? es_api_index_stop(r)
                                             : es_api_index_start(r);
    case R_AUDIO: return es_api_audio(r, r->url + 11);
    default: return es_http_error(r, MHD_HTTP_NOT_FOUND, "no such page: %s", r->url);
    }
}

/* The checks of the first call, before any body is read: a request that
 * fails one is answered at once (and its body never read). Returns 1 when
 * an answer was queued. */
static int early_answer(conn_state *c, enum MHD_Result *ret)
{
    es_http_req *r = &c->req;
    const char *allow;
    c->rt = route_of(r->url, &allow);
    if (!host_ok(r)) {
        *ret = es_http_error(r, MHD_HTTP_BAD_REQUEST,
                             "unexpected Host header: this server answers "
                             "only to 127.0.0.1, localhost and [::1]");
        return 1;
    }
    if (c->rt == R_NONE) {
        *ret = es_http_error(r, MHD_HTTP_NOT_FOUND, "no such page: %s", r->url);
        return 1;
    }
    if (!method_ok(c->rt, r->method)) {
        *ret = es_http_error_with(r, MHD_HTTP_METHOD_NOT_ALLOWED, "Allow", allow,
                                  "method %s not allowed here", r->method);
        return 1;
    }
    if (!strncmp(r->url, "/api/", 5) && !token_ok(r)) {
        *ret = es_http_error(r, MHD_HTTP_UNAUTHORIZED,
                             "this server needs a token: send "
                             "'Authorization: Bearer TOKEN' (earshot serve "
                             "--token)");
        return 1;
    }
    c->limit = c->rt == R_LIKE ? r->srv->max_upload
               : c->rt == R_INDEX ? JSON_BODY_MAX : 0;
    if (c->rt != R_LIKE) return 0;
    /* uploads: the size is known before a byte is read, and all uploads in
     * memory at once stay within a budget */
    const char *len = es_http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    char *end = NULL;
    unsigned long long n = len ? strtoull(len, &end, 10) : 0;
    if (!len || end == len || *end) {
        *ret = es_http_error(r, MHD_HTTP_LENGTH_REQUIRED,
                             "send the clip with a Content-Length");
        return 1;
    }
    if (n > c->limit) {
        *ret = es_http_error(r, 413,
                             "the clip is %.1f MB; the limit is %.1f MB "
                             "(earshot serve --max-upload)",
                             (double)n / 1e6, (double)c->limit / 1e6);
        return 1;
    }
    pthread_mutex_lock(&r->srv->upload_mu);
    int fits = r->srv->upload_held + n <= r->srv->upload_budget;
    if (fits) r->srv->upload_held += n;
    pthread_mutex_unlock(&r->srv->upload_mu);
    if (!fits) {
        *ret = es_http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                             "too many uploads at once; try again in a moment");
        return 1;
    }
    c->reserved = (size_t)n;
    c->limit = (size_t)n;
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    conn_state *c = *con_cls;
    if (!c) {
        if (!(c = calloc(1, sizeof *c))) return MHD_NO;
        *con_cls = c;
        c->req.srv = cls;
        c->req.conn = conn;
        c->req.method = method;
        c->req.url = url;
        c->req.head = !strcmp(method, "HEAD");
        c->req.t0 = mono_s();
        enum MHD_Result ret;
        if (early_answer(c, &ret)) return ret;
        return MHD_YES;   /* the body (if any) comes in the next calls */
    }
    if (c->req.status) {   /* answered already: drop any body */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (c->overflow) return MHD_YES;
        if (c->req.body_len + n > c->limit) {
            /* a body without (or lying about) its length: stop reading */
            c->overflow = 1;
            free(c->req.body);
            c->req.body = NULL;
            c->req.body_len = 0;
            return MHD_NO;
        }
        if (c->req.body_len + n + 1 > c->cap) {
            size_t cap = c->cap ? c->cap : 64 * 1024;
            while (cap < c->req.body_len + n + 1) cap *= 2;
            if (cap > c->limit + 1) cap = c->limit + 1;
            char *b = realloc(c->req.body, cap);
            if (!b) return MHD_NO;
            c->req.body = b;
            c->cap = cap;
        }
        memcpy(c->req.body + c->req.body_len, upload, n);
        c->req.body_len += n;
        c->req.body[c->req.body_len] = 0;
        return MHD_YES;
    }
    return dispatch(c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)conn;
    (void)why;
    es_serve *srv = cls;
    conn_state *c = *con_cls;
    if (!c) return;
    if (c->reserved) {
        pthread_mutex_lock(&srv->upload_mu);
        srv->upload_held -= c->reserved;
        pthread_mutex_unlock(&srv->upload_mu);
    }
    if (!srv->quiet)
        fprintf(stderr, "%s %s %d %.1f ms\n", c->req.method, c->req.url,
                c->req.status ? c->req.status : 0,
                1e3 * (mono_s() - c->req.t0));
    free(c->req.body);
    free(c);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    es_serve *srv = cls;
    if (srv->quiet) return;
    fprintf(stderr, "earshot serve: ");
    vfprintf(stderr, fmt, ap);
}

es_status es_http_start(es_serve *srv, const char *host, int port,
                        struct MHD_Daemon **out, int *bound, es_error *err)
{
    *out = NULL;
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    int rc = getaddrinfo(host, ports, &hints, &ai);
    if (rc != 0)
        return es_fail(err, ES_ERR_INVALID_ARG, "--host %s: %s", host,
                       gai_strerror(rc));
    srv->loopback = 0;
    if (ai->ai_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ai->ai_addr;
        srv->loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    } else if (ai->ai_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ai->ai_addr;
        srv->loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!d)
        return es_fail(err, ES_ERR_IO,
                       "cannot listen on %s port %d (in use, or not an "
                       "address of this machine?)", host, port);
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *bound = info ? (int)info->port : port;
    *out = d;
    return ES_OK;
}
