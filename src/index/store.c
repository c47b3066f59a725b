/* store.c — opening the index file, its schema and migrations, metadata and
 * transactions. The row-level operations are in store_rows.c. */
#include "index/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "index/store_internal.h"

/* PRAGMA application_id of an earshot index: "ESIX". */
#define ES_STORE_APP_ID 0x45534958

/* Schema version 1. Each later version appends a migration step below and
 * bumps ES_STORE_SCHEMA_VERSION. */
static const char *const SCHEMA_V1 =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE files("
    "  id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,"
    "  size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, hash TEXT NOT NULL,"
    "  duration REAL NOT NULL DEFAULT 0, status INTEGER NOT NULL,"
    "  error TEXT, models_key TEXT NOT NULL DEFAULT '',"
    "  indexed_at INTEGER NOT NULL DEFAULT (strftime('%s','now')));"
    "CREATE INDEX files_hash ON files(hash);"
    "CREATE TABLE chunks("
    "  id INTEGER PRIMARY KEY,"
    "  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL, start REAL NOT NULL, end REAL NOT NULL,"
    "  speech_score REAL NOT NULL, paths INTEGER NOT NULL, features BLOB);"
    "CREATE INDEX chunks_file ON chunks(file_id, start);"
    "CREATE TABLE segments("
    "  id INTEGER PRIMARY KEY,"
    "  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
    "  start REAL NOT NULL, end REAL NOT NULL, text TEXT NOT NULL);"
    "CREATE INDEX segments_file ON segments(file_id, start);"
    "CREATE VIRTUAL TABLE segments_fts USING fts5("
    "  text, content='segments', content_rowid='id');"
    "CREATE TRIGGER segments_ai AFTER INSERT ON segments BEGIN"
    "  INSERT INTO segments_fts(rowid, text) VALUES (new.id, new.text); END;"
    "CREATE TRIGGER segments_ad AFTER DELETE ON segments BEGIN"
    "  INSERT INTO segments_fts(segments_fts, rowid, text)"
    "  VALUES ('delete', old.id, old.text); END;"
    "CREATE TABLE vectors("
    "  chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,"
    "  path INTEGER NOT NULL, dim INTEGER NOT NULL,"
    "  f32 BLOB NOT NULL, i8 BLOB NOT NULL, scale REAL NOT NULL,"
    "  PRIMARY KEY(chunk_id, path)) WITHOUT ROWID;"
    "INSERT INTO meta(key, value) VALUES ('generation', '0');";

typedef struct migration {
    int to_version;
    const char *sql;
} migration;

static const migration MIGRATIONS[] = {
    {1, NULL},   /* version 1 is created whole by SCHEMA_V1 */
};

es_status es_store_fail(es_store *s, const char *what, es_error *err)
{
    return es_fail(err, ES_ERR_IO, "%s: %s: %s", s->path, what,
                   sqlite3_errmsg(s->db));
}

static es_status exec(es_store *s, const char *sql, const char *what,
                      es_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK) return ES_OK;
    es_status st = es_fail(err, ES_ERR_IO, "%s: %s: %s", s->path, what,
                           msg ? msg : "unknown error");
    sqlite3_free(msg);
    return st;
}

static es_status pragma_int(es_store *s, const char *pragma, int *value,
                            es_error *err)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA %s", pragma);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: not an earshot index (not an SQLite database: %s)",
                       s->path, sqlite3_errmsg(s->db));
    }
    *value = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return ES_OK;
}

/* Brings the schema to ES_STORE_SCHEMA_VERSION, one step per version, each
 * in its own transaction. */
static es_status migrate(es_store *s, int version, es_error *err)
{
    for (size_t i = 0; i < sizeof MIGRATIONS / sizeof *MIGRATIONS; i++) {
        const migration *m = &MIGRATIONS[i];
        if (m->to_version <= version) continue;
        es_status st = exec(s, "BEGIN IMMEDIATE", "begin migration", err);
        if (st != ES_OK) return st;
        const char *sql = m->to_version == 1 ? SCHEMA_V1 : m->sql;
        char set[96];
        snprintf(set, sizeof set,
                 "PRAGMA application_id=%d; PRAGMA user_version=%d;",
                 ES_STORE_APP_ID, m->to_version);
        if ((st = exec(s, sql, "create the schema", err)) != ES_OK ||
            (st = exec(s, set, "set the schema version", err)) != ES_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return st;
        }
        if ((st = exec(s, "COMMIT", "commit migration", err)) != ES_OK)
            return st;
        version = m->to_version;
    }
    return ES_OK;
}

static es_status check_and_migrate(es_store *s, int create, es_error *err)
{
    int app = 0, version = 0, n_tables = 0;
    es_status st;
    if ((st = pragma_int(s, "application_id", &app, err)) != ES_OK ||
        (st = pragma_int(s, "user_version", &version, err)) != ES_OK)
        return st;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master", -1,
                           &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n_tables = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);

    if (app == 0 && version == 0 && n_tables == 0) {
        if (!create || s->readonly)
            return es_fail(err, ES_ERR_NOT_FOUND,
                           "%s: the index is empty (run `earshot index DIR` "
                           "first)", s->path);
        return migrate(s, 0, err);
    }
    if (app != ES_STORE_APP_ID)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: not an earshot index (an SQLite database of "
                       "another program)", s->path);
    if (version > ES_STORE_SCHEMA_VERSION)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: index schema version %d is newer than this "
                       "earshot understands (%d): upgrade earshot",
                       s->path, version, ES_STORE_SCHEMA_VERSION);
    if (version < ES_STORE_SCHEMA_VERSION) {
        if (s->readonly)
            return es_fail(err, ES_ERR_FORMAT,
                           "%s: index schema version %d is old; run "
                           "`earshot index` once to upgrade it", s->path,
                           version);
        return migrate(s, version, err);
    }
    return ES_OK;
}

es_status es_store_open(const char *path, int create, int readonly,
                        es_store **out, es_error *err)
{
    *out = NULL;
    if (!path || !*path)
        return es_fail(err, ES_ERR_INVALID_ARG, "index path is empty");
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno != ENOENT || !create || readonly)
            return es_fail(err, ES_ERR_NOT_FOUND,
                           "%s: no index here (run `earshot index DIR` "
                           "first, or give --index PATH)", path);
    } else if (!S_ISREG(sb.st_mode)) {
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: not a file", path);
    }
    es_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    s->readonly = readonly;
    int flags = readonly ? SQLITE_OPEN_READONLY
                         : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX;
    es_status st;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        st = es_store_fail(s, "cannot open the index", err);
        es_store_close(s);
        return st;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 10000);
    /* the format check comes first: on a file that is not an SQLite
     * database it is the one that says so plainly */
    if ((st = check_and_migrate(s, create, err)) != ES_OK ||
        (st = exec(s, "PRAGMA foreign_keys=ON", "enable foreign keys",
                   err)) != ES_OK ||
        (!readonly && (st = exec(s, "PRAGMA journal_mode=WAL; "
                                    "PRAGMA synchronous=NORMAL",
                                 "enable WAL", err)) != ES_OK)) {
        es_store_close(s);
        return st;
    }
    *out = s;
    return ES_OK;
}

void es_store_close(es_store *s)
{
    if (!s) return;
    es_store_finalize_statements(s);
    if (s->db) sqlite3_close(s->db);
    free(s->path);
    free(s);
}

const char *es_store_path(const es_store *s) { return s->path; }
struct sqlite3 *es_store_db(es_store *s) { return s->db; }

es_status es_store_begin(es_store *s, es_error *err)
{
    if (s->readonly)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: opened read-only",
                       s->path);
    return exec(s, "BEGIN IMMEDIATE", "begin a transaction", err);
}

es_status es_store_commit(es_store *s, es_error *err)
{
    es_status st = exec(s,
                        "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                        "WHERE key = 'generation'",
                        "bump the generation", err);
    if (st != ES_OK) {
        es_store_rollback(s);
        return st;
    }
    return exec(s, "COMMIT", "commit", err);
}

void es_store_rollback(es_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

es_status es_store_meta_get(es_store *s, const char *key, char **value,
                            es_error *err)
{
    *value = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?", -1,
                           &st, NULL) != SQLITE_OK)
        return es_store_fail(s, "read metadata", err);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        *value = strdup(v ? v : "");
        if (!*value) {
            sqlite3_finalize(st);
            return es_fail(err, ES_ERR_NOMEM, "out of memory");
        }
    } else if (rc != SQLITE_DONE) {
        sqlite3_finalize(st);
        return es_store_fail(s, "read metadata", err);
    }
    sqlite3_finalize(st);
    return ES_OK;
}

es_status es_store_meta_set(es_store *s, const char *key, const char *value,
                            es_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO meta(key, value) VALUES (?, ?) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           -1, &st, NULL) != SQLITE_OK)
        return es_store_fail(s, "write metadata", err);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ES_OK : es_store_fail(s, "write metadata", err);
}

int64_t es_store_generation(es_store *s)
{
    char *v = NULL;
    es_error e;
    if (es_store_meta_get(s, "generation", &v, &e) != ES_OK || !v) return -1;
    int64_t g = strtoll(v, NULL, 10);
    free(v);
    return g;
}
