/* store_rows.c — reading and writing the rows of the index: files, chunks,
 * vectors, transcript segments, and the counts `earshot status` shows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "index/store_internal.h"
#include "index/vec_search.h"

static const char *const STMT_SQL[STMT_COUNT] = {
    [STMT_CHUNK_ADD] =
        "INSERT INTO chunks(file_id, idx, start, end, speech_score, paths, "
        "features) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [STMT_VECTOR_ADD] =
        "INSERT OR REPLACE INTO vectors(chunk_id, path, dim, f32, i8, scale) "
        "VALUES (?, ?, ?, ?, ?, ?)",
    [STMT_SEGMENT_ADD] =
        "INSERT INTO segments(file_id, start, end, text) VALUES (?, ?, ?, ?)",
};

static es_status stmt(es_store *s, store_stmt which, sqlite3_stmt **out,
                      es_error *err)
{
    if (!s->stmts[which] &&
        sqlite3_prepare_v3(s->db, STMT_SQL[which], -1,
                           SQLITE_PREPARE_PERSISTENT, &s->stmts[which],
                           NULL) != SQLITE_OK)
        return es_store_fail(s, "prepare a statement", err);
    sqlite3_reset(s->stmts[which]);
    sqlite3_clear_bindings(s->stmts[which]);
    *out = s->stmts[which];
    return ES_OK;
}

void es_store_finalize_statements(es_store *s)
{
    for (int i = 0; i < STMT_COUNT; i++) {
        sqlite3_finalize(s->stmts[i]);
        s->stmts[i] = NULL;
    }
}

/* Runs a statement that returns no rows, then finalizes it. */
static es_status step_done(es_store *s, sqlite3_stmt *st, const char *what,
                           es_error *err)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ES_OK : es_store_fail(s, what, err);
}

/* ------------------------------------------------------------------ files */
void es_store_file_clear(es_store_file *f)
{
    free(f->path);
    free(f->error);
    free(f->models_key);
    memset(f, 0, sizeof *f);
}

static char *dup_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

#define FILE_COLUMNS \
    "id, path, size, mtime_ns, hash, duration, status, error, models_key"

static void read_file_row(sqlite3_stmt *st, es_store_file *f)
{
    memset(f, 0, sizeof *f);
    f->id = sqlite3_column_int64(st, 0);
    f->path = dup_col(st, 1);
    f->size = sqlite3_column_int64(st, 2);
    f->mtime_ns = sqlite3_column_int64(st, 3);
    const unsigned char *h = sqlite3_column_text(st, 4);
    snprintf(f->hash, sizeof f->hash, "%s", h ? (const char *)h : "");
    f->duration_s = sqlite3_column_double(st, 5);
    f->status = sqlite3_column_int(st, 6) == ES_FILE_OK ? ES_FILE_OK
                                                        : ES_FILE_FAILED;
    f->error = dup_col(st, 7);
    f->models_key = dup_col(st, 8);
}

static es_status file_get_where(es_store *s, const char *where,
                                const char *text, int64_t id,
                                es_store_file *out, int *found, es_error *err)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT " FILE_COLUMNS " FROM files WHERE %s",
             where);
    sqlite3_stmt *st = NULL;
    *found = 0;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return es_store_fail(s, "read a file row", err);
    if (text) sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    else sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_file_row(st, out);
        *found = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return es_store_fail(s, "read a file row", err);
    if (*found && !out->path) {
        es_store_file_clear(out);
        *found = 0;
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    return ES_OK;
}

es_status es_store_file_get(es_store *s, const char *path, es_store_file *out,
                            int *found, es_error *err)
{
    return file_get_where(s, "path = ?", path, 0, out, found, err);
}

es_status es_store_file_get_id(es_store *s, int64_t id, es_store_file *out,
                               int *found, es_error *err)
{
    return file_get_where(s, "id = ?", NULL, id, out, found, err);
}

es_status es_store_file_put(es_store *s, es_store_file *f, es_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "DELETE FROM files WHERE path = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return es_store_fail(s, "replace a file row", err);
    sqlite3_bind_text(st, 1, f->path, -1, SQLITE_STATIC);
    es_status r = step_done(s, st, "replace a file row", err);
    if (r != ES_OK) return r;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO files(path, size, mtime_ns, hash, "
                           "duration, status, error, models_key) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return es_store_fail(s, "add a file row", err);
    sqlite3_bind_text(st, 1, f->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, f->size);
    sqlite3_bind_int64(st, 3, f->mtime_ns);
    sqlite3_bind_text(st, 4, f->hash, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 5, isfinite(f->duration_s) ? f->duration_s : 0);
    sqlite3_bind_int(st, 6, f->status);
    if (f->error) sqlite3_bind_text(st, 7, f->error, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 7);
    sqlite3_bind_text(st, 8, f->models_key ? f->models_key : "", -1,
                      SQLITE_STATIC);
    if ((r = step_done(s, st, "add a file row", err)) != ES_OK) return r;
    f->id = sqlite3_last_insert_rowid(s->db);
    return ES_OK;
}

es_status es_store_file_touch(es_store *s, int64_t id, int64_t size,
                              int64_t mtime_ns, es_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return es_store_fail(s, "update a file row", err);
    sqlite3_bind_int64(st, 1, size);
    sqlite3_bind_int64(st, 2, mtime_ns);
    sqlite3_bind_int64(st, 3, id);
    return step_done(s, st, "update a file row", err);
}

es_status es_store_file_rename(es_store *s, int64_t id, const char *path,
                               int64_t size, int64_t mtime_ns, es_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE files SET path = ?, size = ?, mtime_ns = ? "
                           "WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return es_store_fail(s, "rename a file row", err);
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, size);
    sqlite3_bind_int64(st, 3, mtime_ns);
    sqlite3_bind_int64(st, 4, id);
    return step_done(s, st, "rename a file row", err);
}

es_status es_store_file_delete(es_store *s, int64_t id, es_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "DELETE FROM files WHERE id = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return es_store_fail(s, "delete a file row", err);
    sqlite3_bind_int64(st, 1, id);
    return step_done(s, st, "delete a file row", err);
}

es_status es_store_files_each(es_store *s, es_store_file_fn fn, void *ctx,
                              es_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT " FILE_COLUMNS " FROM files ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return es_store_fail(s, "list files", err);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        es_store_file f;
        read_file_row(st, &f);
        int stop = fn(&f, ctx);
        es_store_file_clear(&f);
        if (stop) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ES_OK : es_store_fail(s, "list files", err);
}

/* ----------------------------------------------------------------- chunks */
es_status es_store_chunk_add(es_store *s, es_store_chunk *c, es_error *err)
{
    sqlite3_stmt *st = NULL;
    es_status r = stmt(s, STMT_CHUNK_ADD, &st, err);
    if (r != ES_OK) return r;
    sqlite3_bind_int64(st, 1, c->file_id);
    sqlite3_bind_int(st, 2, c->index);
    sqlite3_bind_double(st, 3, c->start_s);
    sqlite3_bind_double(st, 4, c->end_s);
    sqlite3_bind_double(st, 5,
                        isfinite(c->speech_score) ? c->speech_score : 0);
    sqlite3_bind_int(st, 6, c->paths);
    if (c->features && c->n_features > 0)
        sqlite3_bind_blob(st, 7, c->features,
                          (int)(c->n_features * sizeof(float)), SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 7);
    if (sqlite3_step(st) != SQLITE_DONE)
        return es_store_fail(s, "add a chunk", err);
    c->id = sqlite3_last_insert_rowid(s->db);
    return ES_OK;
}

es_status es_store_vector_add(es_store *s, int64_t chunk_id, int path,
                              const float *v, int dim, es_error *err)
{
    if (dim <= 0 || dim > 65536)
        return es_fail(err, ES_ERR_INVALID_ARG, "vector dimension %d", dim);
    int8_t *q = malloc((size_t)dim);
    if (!q) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    float scale = 0;
    es_vec_quantize(v, 1, dim, q, &scale);
    sqlite3_stmt *st = NULL;
    es_status r = stmt(s, STMT_VECTOR_ADD, &st, err);
    if (r == ES_OK) {
        sqlite3_bind_int64(st, 1, chunk_id);
        sqlite3_bind_int(st, 2, path);
        sqlite3_bind_int(st, 3, dim);
        sqlite3_bind_blob(st, 4, v, (int)(dim * sizeof(float)), SQLITE_STATIC);
        sqlite3_bind_blob(st, 5, q, dim, SQLITE_STATIC);
        sqlite3_bind_double(st, 6, scale);
        if (sqlite3_step(st) != SQLITE_DONE)
            r = es_store_fail(s, "add a vector", err);
        sqlite3_reset(st);
    }
    free(q);
    return r;
}

es_status es_store_segment_add(es_store *s, int64_t file_id, double start_s,
                               double end_s, const char *text, es_error *err)
{
    sqlite3_stmt *st = NULL;
    es_status r = stmt(s, STMT_SEGMENT_ADD, &st, err);
    if (r != ES_OK) return r;
    sqlite3_bind_int64(st, 1, file_id);
    sqlite3_bind_double(st, 2, start_s);
    sqlite3_bind_double(st, 3, end_s);
    sqlite3_bind_text(st, 4, text ? text : "", -1, SQLITE_STATIC);
    return sqlite3_step(st) == SQLITE_DONE
               ? ES_OK
               : es_store_fail(s, "add a transcript segment", err);
}

/* ---------------------------------------------------------------- summary */
int64_t es_store_query_int(es_store *s, const char *sql, int *ok)
{
    sqlite3_stmt *st = NULL;
    int64_t n = 0;
    int rc = SQLITE_ERROR;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE) *ok = 0;
    sqlite3_finalize(st);
    return n;
}

es_status es_store_counts_get(es_store *s, es_store_counts *c, es_error *err)
{
    memset(c, 0, sizeof *c);
    int ok = 1;
    c->files = es_store_query_int(s, "SELECT count(*) FROM files", &ok);
    c->files_failed = es_store_query_int(
        s, "SELECT count(*) FROM files WHERE status != 0", &ok);
    c->chunks = es_store_query_int(s, "SELECT count(*) FROM chunks", &ok);
    c->segments = es_store_query_int(s, "SELECT count(*) FROM segments", &ok);
    c->vectors_speech = es_store_query_int(
        s, "SELECT count(*) FROM vectors WHERE path = 1", &ok);
    c->vectors_sound = es_store_query_int(
        s, "SELECT count(*) FROM vectors WHERE path = 2", &ok);
    /* milliseconds, summed as integers, so the total is exact */
    c->hours = (double)es_store_query_int(
                   s, "SELECT CAST(total(duration) * 1000 AS INTEGER) "
                      "FROM files WHERE status = 0", &ok) / 3.6e6;
    if (!ok) return es_store_fail(s, "count rows", err);
    struct stat sb;
    if (stat(s->path, &sb) == 0) c->bytes += sb.st_size;
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    if (stat(wal, &sb) == 0) c->bytes += sb.st_size;
    return ES_OK;
}
