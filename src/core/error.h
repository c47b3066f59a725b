/* error.h — filling an es_error with a message a person can act on.
 * Every failing path in the library goes through es_fail so that the code
 * and the message always agree. */
#ifndef ES_CORE_ERROR_H
#define ES_CORE_ERROR_H

#include "earshot.h"

#if defined(__GNUC__)
#define ES_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ES_PRINTF(a, b)
#endif

/* Sets err (if not NULL) and returns code, so callers can write
 * `return es_fail(err, ES_ERR_IO, "%s: cannot read: %s", path, why);`. */
es_status es_fail(es_error *err, es_status code, const char *fmt, ...)
    ES_PRINTF(3, 4);

/* Clears err to ES_OK with an empty message. */
void es_error_clear(es_error *err);

#endif
