/* models_state.c — judging installed model files against the catalog, and
 * the per-model `.sha256sums` record that lets `list` skip re-hashing. */
#include "app/models_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/models_util.h"

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + (int64_t)st->st_mtim.tv_nsec;
}

void es_models_record_load(const char *model_dir, es_models_record *rec)
{
    memset(rec, 0, sizeof *rec);
    char path[4200];
    if (es_models_pathf(path, sizeof path, "%s/%s", model_dir, ES_MODELS_RECORD) != 0) return;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return;
    char *text = NULL;
    size_t len = 0;
    if (es_models_read_small_file(path, 1u << 20, &text, &len, NULL) != ES_OK) return;
    size_t cap = 0;
    for (size_t i = 0; i < len; i++) cap += text[i] == '\n';
    cap++;
    rec->paths = calloc(cap, sizeof *rec->paths);
    rec->sha256 = calloc(cap, sizeof *rec->sha256);
    if (!rec->paths || !rec->sha256) {
        free(text);
        es_models_record_free(rec);
        return;
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && rec->n < cap;
         line = strtok_r(NULL, "\n", &save)) {
        /* "<64 hex>  <path>" (sha256sum text mode) or "<64 hex> *<path>". */
        if (strlen(line) < ES_SHA256_HEX_LEN + 3 || line[ES_SHA256_HEX_LEN] != ' ') continue;
        char hex[ES_SHA256_HEX_LEN + 1];
        memcpy(hex, line, ES_SHA256_HEX_LEN);
        hex[ES_SHA256_HEX_LEN] = '\0';
        if (!es_sha256_hex_valid(hex)) continue;
        const char *p = line + ES_SHA256_HEX_LEN + 1;
        if (*p == ' ' || *p == '*') p++;
        if (!*p) continue;
        char *dup = strdup(p);
        if (!dup) break;
        for (char *h = hex; *h; h++)
            if (*h >= 'A' && *h <= 'F') *h = (char)(*h - 'A' + 'a');
        rec->paths[rec->n] = dup;
        memcpy(rec->sha256[rec->n], hex, sizeof hex);
        rec->n++;
    }
    free(text);
    rec->mtime_ns = mtime_ns(&st);
}

void es_models_record_free(es_models_record *rec)
{
    if (!rec) return;
    for (size_t i = 0; i < rec->n; i++) free(rec->paths[i]);
    free(rec->paths);
    free(rec->sha256);
    memset(rec, 0, sizeof *rec);
}

es_status es_models_record_write(const char *model_dir, const char *const *paths,
                                 const char *const *sha256, size_t n, es_error *err)
{
    char path[4200], tmp[4300];
    if (es_models_pathf(path, sizeof path, "%s/%s", model_dir, ES_MODELS_RECORD) != 0 ||
        es_models_pathf(tmp, sizeof tmp, "%s.tmp", path) != 0)
        return es_fail(err, ES_ERR_INVALID_ARG, "path too long: %s", model_dir);
    FILE *f = fopen(tmp, "wb");
    if (!f) return es_fail(err, ES_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    for (size_t i = 0; i < n; i++) fprintf(f, "%s  %s\n", sha256[i], paths[i]);
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return es_fail(err, ES_ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    return ES_OK;
}

const char *es_file_state_str(es_file_state s)
{
    switch (s) {
    case ES_FILE_OK: return "ok";
    case ES_FILE_UNPINNED: return "unpinned";
    case ES_FILE_MISSING: return "missing";
    case ES_FILE_SIZE_MISMATCH: return "size mismatch";
    case ES_FILE_SHA_MISMATCH: return "sha256 mismatch";
    case ES_FILE_BAD_FORMAT: return "bad format";
    case ES_FILE_ERROR: return "unreadable";
    }
    return "?";
}

int es_file_state_is_bad(es_file_state s)
{
    return s == ES_FILE_SIZE_MISMATCH || s == ES_FILE_SHA_MISMATCH || s == ES_FILE_BAD_FORMAT ||
           s == ES_FILE_ERROR;
}

void es_models_check_file(const char *path, const es_catalog_file *f,
                          const es_models_record *rec, es_hash_mode mode, es_file_check *out)
{
    memset(out, 0, sizeof *out);
    out->size = -1;
    out->part_size = -1;

    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        out->state = ES_FILE_MISSING;
        return;
    }
    out->size = (int64_t)st.st_size;
    if (f->size >= 0 && out->size != f->size) {
        out->state = ES_FILE_SIZE_MISMATCH;
        snprintf(out->detail, sizeof out->detail, "%lld bytes, expected %lld",
                 (long long)out->size, (long long)f->size);
        return;
    }
    if (mode == ES_HASH_NONE) {
        out->state = f->sha256 ? ES_FILE_OK : ES_FILE_UNPINNED;
        return;
    }
    if (mode == ES_HASH_RECORDED && rec && rec->mtime_ns > 0 && mtime_ns(&st) <= rec->mtime_ns) {
        for (size_t i = 0; i < rec->n; i++) {
            if (strcmp(rec->paths[i], f->path) != 0) continue;
            memcpy(out->sha256, rec->sha256[i], sizeof out->sha256);
            out->from_record = 1;
            break;
        }
    }
    if (!out->from_record) {
        es_error e = {0};
        if (es_sha256_file(path, out->sha256, NULL, &e) != ES_OK) {
            out->state = ES_FILE_ERROR;
            snprintf(out->detail, sizeof out->detail, "%s", e.message);
            return;
        }
    }
    if (f->sha256) {
        if (strcmp(out->sha256, f->sha256) != 0) {
            out->state = ES_FILE_SHA_MISMATCH;
            snprintf(out->detail, sizeof out->detail, "sha256 %s, expected %s", out->sha256,
                     f->sha256);
        } else {
            out->state = ES_FILE_OK;
        }
        return;
    }
    /* No pin: the structure is all there is to check (JSON parses, ggml
     * magic, safetensors header). Done even when the hash is recorded: it
     * is cheap for the small files that are typically unpinned. */
    es_error e = {0};
    if (es_models_check_structure(path, f->path, &e) != ES_OK) {
        out->state = ES_FILE_BAD_FORMAT;
        snprintf(out->detail, sizeof out->detail, "%s", e.message);
        return;
    }
    out->state = ES_FILE_UNPINNED;
}
