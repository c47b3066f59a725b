/* serve_api_audio.c — GET /api/audio/{file_id}: an indexed file's bytes,
 * with HTTP Range, for the page's player (docs/API.md). The id is looked up
 * in the index; no part of the URL is ever used as a path. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/serve.h"

/* Decoding for ?format=wav stops here (16 kHz × 2 bytes: 230 MB). */
#define WAV_MAX_SECONDS (2.0 * 3600)

static const char *mime_of(const char *path)
{
    static const char *const table[][2] = {
        {".wav", "audio/wav"},   {".mp3", "audio/mpeg"}, {".ogg", "audio/ogg"},
        {".oga", "audio/ogg"},   {".opus", "audio/ogg"}, {".flac", "audio/flac"},
        {".m4a", "audio/mp4"},   {".mp4", "video/mp4"},  {".aac", "audio/aac"},
        {".webm", "audio/webm"}, {".mkv", "video/x-matroska"},
        {".aif", "audio/aiff"},  {".aiff", "audio/aiff"}, {".wma", "audio/x-ms-wma"},
        {".mov", "video/quicktime"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof table / sizeof *table; i++)
        if (!strcasecmp(dot, table[i][0])) return table[i][1];
    return "application/octet-stream";
}

/* Parses "bytes=A-B", "bytes=A-", "bytes=-N" against size. Returns 0 and
 * the inclusive span, 1 when the header is absent or not one byte range
 * (serve the whole file), -1 when it cannot be satisfied. */
static int parse_range(const char *h, uint64_t size, uint64_t *a, uint64_t *b)
{
    if (!h || strncmp(h, "bytes=", 6) || strchr(h, ',')) return 1;
    const char *p = h + 6;
    char *end = NULL;
    if (*p == '-') {
        errno = 0;
        unsigned long long n = strtoull(p + 1, &end, 10);
        if (end == p + 1 || *end || errno) return 1;
        if (n == 0 || size == 0) return -1;
        *a = n >= size ? 0 : size - n;
        *b = size - 1;
        return 0;
    }
    if (*p < '0' || *p > '9') return 1;
    errno = 0;
    unsigned long long x = strtoull(p, &end, 10);
    if (*end != '-' || errno) return 1;
    const char *q = end + 1;
    unsigned long long y = size ? size - 1 : 0;
    if (*q) {
        y = strtoull(q, &end, 10);
        if (end == q || *end || errno) return 1;
        if (y < x) return 1;   /* invalid: ignore it, as RFC 9110 allows */
        if (y >= size) y = size ? size - 1 : 0;
    }
    if (x >= size) return -1;
    *a = x;
    *b = y;
    return 0;
}

static enum MHD_Result not_satisfiable(es_http_req *r, uint64_t size)
{
    char cr[64];
    snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
    return es_http_error_with(r, MHD_HTTP_RANGE_NOT_SATISFIABLE, "Content-Range",
                              cr, "the range is outside the file (%llu bytes)",
                              (unsigned long long)size);
}

/* ------------------------------------------------------- decoded as WAV */
typedef struct wav_body {
    unsigned char *data;
    uint64_t size;
    uint64_t base;   /* first byte served */
} wav_body;

static ssize_t wav_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    wav_body *w = cls;
    uint64_t at = w->base + pos;
    if (at >= w->size) return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = (size_t)(w->size - at < max ? w->size - at : max);
    memcpy(buf, w->data + at, n);
    return (ssize_t)n;
}

static void wav_free(void *cls)
{
    wav_body *w = cls;
    free(w->data);
    free(w);
}

static void put_le(unsigned char *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* 16 kHz mono 16-bit PCM WAV of the whole file, in memory. */
static es_status decode_wav(const char *path, wav_body **out, es_error *err)
{
    float *x = NULL;
    size_t n = 0;
    es_status st = es_decode_file(path, WAV_MAX_SECONDS, &x, &n, err);
    if (st != ES_OK) return st;
    wav_body *w = calloc(1, sizeof *w);
    uint64_t bytes = 44 + 2 * (uint64_t)n;
    if (w) w->data = malloc((size_t)bytes);
    if (!w || !w->data) {
        free(w);
        es_free(x);
        err->code = ES_ERR_NOMEM;
        snprintf(err->message, sizeof err->message, "out of memory");
        return ES_ERR_NOMEM;
    }
    unsigned char *h = w->data;
    memcpy(h, "RIFF", 4);
    put_le(h + 4, (uint32_t)(bytes - 8), 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    put_le(h + 16, 16, 4);
    put_le(h + 20, 1, 2);          /* PCM */
    put_le(h + 22, 1, 2);          /* mono */
    put_le(h + 24, 16000, 4);
    put_le(h + 28, 32000, 4);      /* bytes per second */
    put_le(h + 32, 2, 2);
    put_le(h + 34, 16, 2);
    memcpy(h + 36, "data", 4);
    put_le(h + 40, (uint32_t)(2 * n), 4);
    for (size_t i = 0; i < n; i++) {
        float v = x[i] * 32767.0f;
        v = v > 32767.0f ? 32767.0f : v < -32768.0f ? -32768.0f : v;
        put_le(h + 44 + 2 * i, (uint32_t)(int32_t)(int16_t)v, 2);
    }
    es_free(x);
    w->size = bytes;
    *out = w;
    return ES_OK;
}

/* ------------------------------------------------------------------ serve */
enum MHD_Result es_api_audio(es_http_req *r, const char *id)
{
    /* only a plain positive number: "..", "%2F", "/etc/passwd" are not ids */
    size_t digits = strspn(id, "0123456789");
    if (digits == 0 || digits > 18 || id[digits] || id[0] == '0')
        return es_http_error(r, MHD_HTTP_NOT_FOUND,
                             "no such audio: /api/audio/ takes a file id "
                             "from the search results");
    int64_t file_id = strtoll(id, NULL, 10);
    const char *format = es_http_arg(r, "format");
    if (format && strcmp(format, "wav"))
        return es_http_error(r, MHD_HTTP_BAD_REQUEST,
                             "format must be wav (or left out for the file itself)");
    char *path = NULL;
    es_error err;
    es_status st = es_engine_file_path(r->srv->engine, file_id, &path, &err);
    if (st != ES_OK)
        return es_http_error(r, es_http_status_of(st), "%s", err.message);
    int fd = -1;
    wav_body *wav = NULL;
    uint64_t size = 0;
    const char *mime = mime_of(path);
    if (format) {
        if ((st = decode_wav(path, &wav, &err)) != ES_OK) {
            free(path);
            return es_http_error(r, st == ES_ERR_NOMEM ? MHD_HTTP_SERVICE_UNAVAILABLE
                                                       : MHD_HTTP_INTERNAL_SERVER_ERROR,
                                 "%s", err.message);
        }
        size = wav->size;
        mime = "audio/wav";
    } else {
        struct stat sb;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            int e = errno;
            if (fd >= 0) close(fd);
            enum MHD_Result ret = es_http_error(
                r, MHD_HTTP_NOT_FOUND,
                "file %lld is in the index but cannot be read now: %s",
                (long long)file_id, fd < 0 ? strerror(e) : "not a file");
            free(path);
            return ret;
        }
        size = (uint64_t)sb.st_size;
    }
    free(path);
    uint64_t a = 0, b = size ? size - 1 : 0;
    int whole = parse_range(es_http_header(r, MHD_HTTP_HEADER_RANGE), size, &a, &b);
    if (whole < 0) {
        if (fd >= 0) close(fd);
        if (wav) wav_free(wav);
        return not_satisfiable(r, size);
    }
    if (whole) {
        a = 0;
        b = size ? size - 1 : 0;
    }
    uint64_t len = size ? b - a + 1 : 0;
    struct MHD_Response *resp;
    if (wav) {
        wav->base = a;
        resp = MHD_create_response_from_callback(len, 64 * 1024, wav_read, wav,
                                                 wav_free);
        if (!resp) wav_free(wav);
    } else {
        resp = MHD_create_response_from_fd_at_offset64(len, fd, a);
        if (!resp) close(fd);
    }
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", mime);
    MHD_add_response_header(resp, "Accept-Ranges", "bytes");
    if (!whole) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)a,
                 (unsigned long long)b, (unsigned long long)size);
        MHD_add_response_header(resp, "Content-Range", cr);
    }
    return es_http_reply(r, whole ? MHD_HTTP_OK : MHD_HTTP_PARTIAL_CONTENT, resp);
}
