/* file_hash.h — a 64-bit content hash of a file, to tell a touched or moved
 * file (same bytes) from a changed one. Not cryptographic: it only has to
 * make accidental collisions between a user's files negligible. */
#ifndef ES_FILE_HASH_H
#define ES_FILE_HASH_H

#include "earshot.h"

/* hex: 16 hex digits + NUL. */
es_status es_file_hash(const char *path, char hex[17], es_error *err);

#endif
