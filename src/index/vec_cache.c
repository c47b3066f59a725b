/* vec_cache.c — building, validating and mapping <index>.vcache. */
#include "index/vec_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

#define CACHE_MAGIC "ESVCACH1"
#define CACHE_VERSION 1u

typedef struct cache_header {
    char magic[8];
    uint32_t version;
    uint32_t dim;
    uint64_t n;
    int64_t generation;
    uint64_t total_size;
    uint8_t pad[24];
} cache_header;

/* Byte offsets of each section; every section starts 64-byte aligned. */
typedef struct cache_layout {
    size_t chunk_id, file_id, start, end, score, has, speech_scale,
        sound_scale, speech_i8, sound_i8, speech_f32, sound_f32, total;
} cache_layout;

static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

static cache_layout layout_of(uint64_t n, uint32_t dim)
{
    cache_layout l;
    size_t at = align64(sizeof(cache_header));
#define SECTION(field, bytes) l.field = at; at = align64(at + (bytes));
    SECTION(chunk_id, n * 8)
    SECTION(file_id, n * 8)
    SECTION(start, n * 4)
    SECTION(end, n * 4)
    SECTION(score, n * 4)
    SECTION(has, n)
    SECTION(speech_scale, n * 4)
    SECTION(sound_scale, n * 4)
    SECTION(speech_i8, n * dim)
    SECTION(sound_i8, n * dim)
    SECTION(speech_f32, n * dim * 4)
    SECTION(sound_f32, n * dim * 4)
#undef SECTION
    l.total = at;
    return l;
}

void es_vec_cache_path(const char *index_path, char *buf, size_t size)
{
    snprintf(buf, size, "%s.vcache", index_path);
}

static void fill_views(es_vec_cache *c, uint8_t *base, const cache_layout *l)
{
    c->chunk_id = (const int64_t *)(base + l->chunk_id);
    c->file_id = (const int64_t *)(base + l->file_id);
    c->start_s = (const float *)(base + l->start);
    c->end_s = (const float *)(base + l->end);
    c->speech_score = (const float *)(base + l->score);
    c->has = base + l->has;
    es_vec_matrix m = {.dim = c->dim, .n_rows = c->n};
    m.type = ES_VEC_I8;
    m.i8 = (const int8_t *)(base + l->speech_i8);
    m.scale = (const float *)(base + l->speech_scale);
    c->speech_i8 = m;
    m.i8 = (const int8_t *)(base + l->sound_i8);
    m.scale = (const float *)(base + l->sound_scale);
    c->sound_i8 = m;
    es_vec_matrix f = {.type = ES_VEC_F32, .dim = c->dim, .n_rows = c->n};
    f.f32 = (const float *)(base + l->speech_f32);
    c->speech_f32 = f;
    f.f32 = (const float *)(base + l->sound_f32);
    c->sound_f32 = f;
}

/* Copies the rows into a mapped file at tmp; the caller renames it. */
static es_status write_rows(es_store *s, const char *tmp, es_error *err)
{
    sqlite3 *db = es_store_db(s);
    int ok = 1;
    int64_t gen = es_store_generation(s);
    int64_t n = es_store_query_int(s, "SELECT count(*) FROM chunks", &ok);
    int64_t dim = es_store_query_int(
        s, "SELECT coalesce(max(dim), 0) FROM vectors", &ok);
    int64_t min_dim = es_store_query_int(
        s, "SELECT coalesce(min(dim), 0) FROM vectors", &ok);
    if (!ok || gen < 0) return es_store_fail(s, "read the vectors", err);
    if (dim != min_dim)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: vectors of two dimensions (%lld and %lld) in one "
                       "index; re-index with `earshot index --rebuild`",
                       es_store_path(s), (long long)min_dim, (long long)dim);
    cache_layout l = layout_of((uint64_t)n, (uint32_t)dim);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return es_fail(err, ES_ERR_IO, "%s: cannot write: %s", tmp,
                       strerror(errno));
    if (ftruncate(fd, (off_t)l.total) != 0) {
        int e = errno;
        close(fd);
        return es_fail(err, ES_ERR_IO, "%s: cannot size %zu bytes: %s", tmp,
                       l.total, strerror(e));
    }
    uint8_t *base = mmap(NULL, l.total, PROT_READ | PROT_WRITE, MAP_SHARED,
                         fd, 0);
    close(fd);
    if (base == MAP_FAILED)
        return es_fail(err, ES_ERR_IO, "%s: cannot map: %s", tmp,
                       strerror(errno));
    es_vec_cache c = {.generation = gen, .dim = (int)dim, .n = (size_t)n};
    fill_views(&c, base, &l);

    sqlite3_stmt *st = NULL;
    es_status r = ES_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT c.id, c.file_id, c.start, c.end, "
                           "c.speech_score, v.path, v.dim, v.f32, v.i8, v.scale "
                           "FROM chunks c LEFT JOIN vectors v "
                           "ON v.chunk_id = c.id ORDER BY c.id, v.path",
                           -1, &st, NULL) != SQLITE_OK) {
        r = es_store_fail(s, "read the vectors", err);
        goto done;
    }
    int64_t row = -1, last_id = -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (id != last_id) {
            if (++row >= n) break;   /* rows appeared since the count */
            last_id = id;
            ((int64_t *)c.chunk_id)[row] = id;
            ((int64_t *)c.file_id)[row] = sqlite3_column_int64(st, 1);
            ((float *)c.start_s)[row] = (float)sqlite3_column_double(st, 2);
            ((float *)c.end_s)[row] = (float)sqlite3_column_double(st, 3);
            ((float *)c.speech_score)[row] = (float)sqlite3_column_double(st, 4);
        }
        if (sqlite3_column_type(st, 5) == SQLITE_NULL) continue;
        int path = sqlite3_column_int(st, 5);
        if ((path != ES_PATH_SPEECH && path != ES_PATH_SOUND) ||
            sqlite3_column_int(st, 6) != dim ||
            sqlite3_column_bytes(st, 7) != (int)(dim * 4) ||
            sqlite3_column_bytes(st, 8) != (int)dim) {
            r = es_fail(err, ES_ERR_FORMAT,
                        "%s: chunk %lld has a malformed vector; re-index "
                        "with `earshot index --rebuild`",
                        es_store_path(s), (long long)id);
            goto done;
        }
        int sp = path == ES_PATH_SPEECH;
        size_t off = (size_t)row * (size_t)dim;
        memcpy((float *)(sp ? c.speech_f32.f32 : c.sound_f32.f32) + off,
               sqlite3_column_blob(st, 7), (size_t)dim * 4);
        memcpy((int8_t *)(sp ? c.speech_i8.i8 : c.sound_i8.i8) + off,
               sqlite3_column_blob(st, 8), (size_t)dim);
        ((float *)(sp ? c.speech_i8.scale : c.sound_i8.scale))[row] =
            (float)sqlite3_column_double(st, 9);
        ((uint8_t *)c.has)[row] |= (uint8_t)path;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        r = es_store_fail(s, "read the vectors", err);
        goto done;
    }
    if (row + 1 != n) {
        r = es_fail(err, ES_ERR_IO, "%s: the index changed while the vector "
                    "cache was built", es_store_path(s));
        goto done;
    }
    cache_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CACHE_MAGIC, 8);
    h.version = CACHE_VERSION;
    h.dim = (uint32_t)dim;
    h.n = (uint64_t)n;
    h.generation = gen;
    h.total_size = l.total;
    memcpy(base, &h, sizeof h);
    if (msync(base, l.total, MS_SYNC) != 0)
        r = es_fail(err, ES_ERR_IO, "%s: cannot write: %s", tmp,
                    strerror(errno));
done:
    sqlite3_finalize(st);
    munmap(base, l.total);
    return r;
}

static es_status rebuild(es_store *s, const char *path, es_error *err)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%.4200s.tmp%ld", path, (long)getpid());
    sqlite3 *db = es_store_db(s);
    /* one read transaction: the generation and the rows are one snapshot */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return es_store_fail(s, "read the vectors", err);
    es_status r = write_rows(s, tmp, err);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (r == ES_OK && rename(tmp, path) != 0)
        r = es_fail(err, ES_ERR_IO, "%s: cannot rename to %s: %s", tmp, path,
                    strerror(errno));
    if (r != ES_OK) unlink(tmp);
    return r;
}

/* Maps path; *fresh = 0 when it is missing, damaged or of another
 * generation than want. */
static es_status map_cache(const char *path, int64_t want, es_vec_cache *c,
                           int *fresh, es_error *err)
{
    *fresh = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ES_OK;
    struct stat sb;
    cache_header h;
    if (fstat(fd, &sb) != 0 || (size_t)sb.st_size < sizeof h ||
        pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
        memcmp(h.magic, CACHE_MAGIC, 8) != 0 || h.version != CACHE_VERSION ||
        h.generation != want || h.dim > 65536 || h.n > ((uint64_t)1 << 40) ||
        layout_of(h.n, h.dim).total != h.total_size ||
        (uint64_t)sb.st_size != h.total_size) {
        close(fd);
        return ES_OK;
    }
    void *base = mmap(NULL, h.total_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED)
        return es_fail(err, ES_ERR_IO, "%s: cannot map: %s", path,
                       strerror(errno));
    cache_layout l = layout_of(h.n, h.dim);
    c->generation = h.generation;
    c->dim = (int)h.dim;
    c->n = (size_t)h.n;
    c->map = base;
    c->map_size = h.total_size;
    fill_views(c, base, &l);
    *fresh = 1;
    return ES_OK;
}

es_status es_vec_cache_load(es_store *s, es_vec_cache **out, es_error *err)
{
    *out = NULL;
    char path[4200];
    es_vec_cache_path(es_store_path(s), path, sizeof path);
    es_vec_cache *c = calloc(1, sizeof *c);
    if (!c) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    for (int attempt = 0; attempt < 3; attempt++) {
        int64_t gen = es_store_generation(s);
        if (gen < 0) {
            free(c);
            return es_store_fail(s, "read the generation", err);
        }
        int fresh = 0;
        es_status r = map_cache(path, gen, c, &fresh, err);
        if (r != ES_OK) {
            free(c);
            return r;
        }
        if (fresh) {
            *out = c;
            return ES_OK;
        }
        if ((r = rebuild(s, path, err)) != ES_OK) {
            free(c);
            return r;
        }
    }
    free(c);
    return es_fail(err, ES_ERR_IO,
                   "%s: the index keeps changing; try the search again",
                   es_store_path(s));
}

void es_vec_cache_free(es_vec_cache *c)
{
    if (!c) return;
    if (c->map) munmap(c->map, c->map_size);
    free(c);
}

int64_t es_vec_cache_row(const es_vec_cache *c, int64_t chunk_id)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->chunk_id[mid] < chunk_id) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->n && c->chunk_id[lo] == chunk_id ? (int64_t)lo : -1;
}
