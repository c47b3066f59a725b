/* error.c — status names and the es_error helpers. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef ES_VERSION_STRING
#define ES_VERSION_STRING "0.0.0"
#endif

const char *es_version(void) { return ES_VERSION_STRING; }

const char *es_status_str(es_status s)
{
    switch (s) {
    case ES_OK: return "ok";
    case ES_DONE: return "done";
    case ES_ERR_INVALID_ARG: return "invalid argument";
    case ES_ERR_NOT_FOUND: return "not found";
    case ES_ERR_PERMISSION: return "permission denied";
    case ES_ERR_NOT_AUDIO: return "not audio";
    case ES_ERR_UNSUPPORTED_CODEC: return "unsupported codec";
    case ES_ERR_TRUNCATED: return "truncated";
    case ES_ERR_EMPTY: return "zero length";
    case ES_ERR_DECODE: return "decode error";
    case ES_ERR_IO: return "i/o error";
    case ES_ERR_FORMAT: return "malformed file";
    case ES_ERR_NOMEM: return "out of memory";
    case ES_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

es_status es_fail(es_error *err, es_status code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

void es_error_clear(es_error *err)
{
    if (err) {
        err->code = ES_OK;
        err->message[0] = '\0';
    }
}

void es_free(void *p) { free(p); }
