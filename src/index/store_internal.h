/* store_internal.h — the store's struct, shared by the store's own files. */
#ifndef ES_STORE_INTERNAL_H
#define ES_STORE_INTERNAL_H

#include <sqlite3.h>

#include "index/store.h"

/* Prepared statements kept for the life of the handle (per-chunk inserts
 * run thousands of times per file). */
typedef enum store_stmt {
    STMT_CHUNK_ADD,
    STMT_VECTOR_ADD,
    STMT_SEGMENT_ADD,
    STMT_COUNT
} store_stmt;

struct es_store {
    sqlite3 *db;
    char *path;
    int readonly;
    sqlite3_stmt *stmts[STMT_COUNT];
};

void es_store_finalize_statements(es_store *s);

#endif
