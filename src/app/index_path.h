/* index_path.h — where the CLI finds an index: --index PATH, else
 * $EARSHOT_INDEX, else the index `earshot index` used last (remembered in
 * $XDG_STATE_HOME/earshot/last-index). A new index defaults to a sibling of
 * the first folder indexed: ~/Audio → ~/Audio.earshot. */
#ifndef ES_APP_INDEX_PATH_H
#define ES_APP_INDEX_PATH_H

#include <stddef.h>

#include "earshot.h"

/* The default index file for a folder (absolute). */
es_status es_cli_index_default_for(const char *folder, char *buf, size_t size,
                                   es_error *err);
/* Resolves the index to search (given may be NULL). */
es_status es_cli_index_resolve(const char *given, char *buf, size_t size,
                               es_error *err);
/* Records path as the last index used (best effort). */
void es_cli_index_remember(const char *path);

#endif
