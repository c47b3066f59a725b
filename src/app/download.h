/* download.h — fetching one file over HTTP(S) with libcurl into a `.part`
 * file that survives interruptions: a second call resumes it with a Range
 * request from the .part's size (and starts over cleanly when the server
 * ignores the Range), dropped connections are resumed automatically a few
 * times, and progress is drawn as a bar on a terminal or as plain lines in a
 * log. Verifying the bytes and renaming the .part is the caller's job. */
#ifndef ES_APP_DOWNLOAD_H
#define ES_APP_DOWNLOAD_H

#include <stdint.h>
#include <stdio.h>

#include "earshot.h"

typedef enum es_progress_style {
    ES_PROGRESS_NONE,
    ES_PROGRESS_LINES,   /* a line every 10 %: logs, pipes, CI */
    ES_PROGRESS_BAR      /* one redrawn line: a terminal        */
} es_progress_style;

typedef struct es_download_opts {
    long connect_timeout_s;   /* give up connecting (DNS + TCP + TLS) after this */
    long stall_timeout_s;     /* abort a transfer that moves no byte for this long */
    int retries;              /* automatic resumes after a dropped connection   */
    es_progress_style progress;
    const char *label;        /* what progress lines call the file              */
    int64_t expected_size;    /* bytes, -1 when unknown                         */
    FILE *log;                /* progress and notes; NULL = stderr              */
    int restart;              /* discard what the .part holds (once its lock is
                                 held, so another process's .part is safe)      */
} es_download_opts;

typedef struct es_download_result {
    long http_status;         /* status of the last response, 0 if none         */
    int unreachable;          /* could not resolve or connect to the host       */
    char host[256];           /* host part of the URL                           */
    int64_t resumed_from;     /* first Range offset requested, -1 if none       */
    int restarted;            /* the server ignored Range: the file started over */
    int range_not_satisfiable;/* 416: the .part already holds all there is      */
    int interrupted;          /* failed mid-transfer; the .part is kept         */
    int64_t bytes;            /* size of the .part at the end                   */
} es_download_result;

/* connect 10 s (or $EARSHOT_CONNECT_TIMEOUT), stall 60 s, 3 retries, no
 * progress, size unknown. */
es_download_opts es_download_default_opts(void);

/* Once per process, before the first download. */
es_status es_download_global_init(es_error *err);
void es_download_global_cleanup(void);

/* Downloads url into part_path. A .part that already exists is resumed from
 * its size (Range: bytes=N-); when it already has expected_size bytes no
 * request is made. On failure the .part is kept (unless the failure proves
 * its bytes useless), res says why, and err holds a message naming the URL. */
es_status es_download_to_part(const char *url, const char *part_path,
                              const es_download_opts *opts, es_download_result *res,
                              es_error *err);

/* Copies the host part of url ("huggingface.co") into out. */
void es_download_url_host(const char *url, char *out, size_t size);

#endif
