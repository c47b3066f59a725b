/* serve.h — `earshot serve`: the HTTP API and web page over one index
 * (docs/API.md). libmicrohttpd runs one thread per connection; the handlers
 * (serve_api_*.c) answer through the helpers here, which also log. Heavy
 * work (searches) passes a gate of a few worker slots and a bounded queue
 * (serve_gate.c): beyond the queue the answer is 503. */
#ifndef ES_APP_SERVE_H
#define ES_APP_SERVE_H

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stddef.h>

#include "earshot.h"
#include "index/engine.h"

/* ------------------------------------------------------------------ gate */
typedef struct es_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int slots, busy, queued, queue_limit;
} es_gate;

void es_gate_init(es_gate *g, int slots, int queue_limit);
void es_gate_destroy(es_gate *g);
/* 0: a slot is held (after waiting at most wait_s); -1: the queue is full
 * or the wait timed out. */
int es_gate_enter(es_gate *g, double wait_s);
void es_gate_leave(es_gate *g);
void es_gate_counts(es_gate *g, int *busy, int *queued);

/* ---------------------------------------------------------------- server */
typedef struct es_serve {
    es_engine *engine;
    es_gate gate;
    const char *token;          /* NULL: no token needed                   */
    size_t max_upload;          /* bytes                                   */
    pthread_mutex_t upload_mu;
    size_t upload_budget;       /* bytes of uploads held at once           */
    size_t upload_held;
    int loopback;               /* bound to loopback: check Host           */
    int quiet;
    double started;             /* monotonic                               */
} es_serve;

typedef struct es_http_req {
    es_serve *srv;
    struct MHD_Connection *conn;
    const char *method, *url;
    int head;                   /* HEAD: headers only                      */
    char *body;                 /* POST body (NUL-terminated), or NULL     */
    size_t body_len;
    int status;                 /* the status answered, for the log        */
    double t0;
} es_http_req;

/* Queries: the decoded value of a query parameter or header, or NULL. */
const char *es_http_arg(es_http_req *r, const char *name);
const char *es_http_header(es_http_req *r, const char *name);

/* Answers (each returns what the access handler returns). */
enum MHD_Result es_http_reply(es_http_req *r, unsigned status,
                              struct MHD_Response *resp);
/* Takes ownership of body. */
enum MHD_Result es_http_json(es_http_req *r, unsigned status, cJSON *body);
enum MHD_Result es_http_error(es_http_req *r, unsigned status, const char *fmt,
                              ...) __attribute__((format(printf, 3, 4)));
/* The same with one more header (Allow, Content-Range, …). */
enum MHD_Result es_http_error_with(es_http_req *r, unsigned status,
                                   const char *hname, const char *hvalue,
                                   const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The HTTP status that fits a library error. */
unsigned es_http_status_of(es_status code);

/* Handlers (serve_api_*.c). */
enum MHD_Result es_api_search(es_http_req *r);
enum MHD_Result es_api_search_like(es_http_req *r);
enum MHD_Result es_api_status(es_http_req *r);
enum MHD_Result es_api_index_start(es_http_req *r);
enum MHD_Result es_api_index_stop(es_http_req *r);
enum MHD_Result es_api_audio(es_http_req *r, const char *id);
/* The page's embedded files; NULL data when name is unknown. */
typedef struct es_web_asset {
    const char *name;           /* "/", "/static/app.js", …                */
    const char *mime;
    const unsigned char *data;
    size_t size;
} es_web_asset;
const es_web_asset *es_web_asset_find(const char *url);

/* Starts the daemon on host:port (port 0: any; *bound gets the port). */
es_status es_http_start(es_serve *srv, const char *host, int port,
                        struct MHD_Daemon **out, int *bound, es_error *err);

#endif
