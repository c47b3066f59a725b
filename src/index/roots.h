/* roots.h — the folders (or files) an index covers, as given to `earshot
 * index`: kept in the metadata key "roots" (a JSON array of absolute
 * paths), so that a later run, or `earshot serve`, can index "the same
 * folders again" without being told them. */
#ifndef ES_ROOTS_H
#define ES_ROOTS_H

#include <stddef.h>

#include "index/store.h"

/* *roots: malloc'd array of malloc'd strings (empty when none recorded). */
es_status es_roots_get(es_store *s, char ***roots, size_t *n, es_error *err);
/* Adds the absolute forms of paths that are not there yet (one
 * transaction). A root inside another recorded root is not added. */
es_status es_roots_add(es_store *s, const char *const *paths, size_t n,
                       es_error *err);
void es_roots_free(char **roots, size_t n);

#endif
