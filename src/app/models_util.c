/* models_util.c — helpers for `earshot models`: errors, paths, sizes and
 * the structural checks applied to model files that have no sha256 pin. */
#include "app/models_util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

int es_models_pathf(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int64_t es_models_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    return (int64_t)st.st_size;
}

int es_models_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

es_status es_models_mkdirs(const char *dir, es_error *err)
{
    char buf[4096];
    if (es_models_pathf(buf, sizeof buf, "%s", dir) != 0)
        return es_fail(err, ES_ERR_INVALID_ARG, "path too long: %s", dir);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = '\0';
    for (char *p = buf + 1; ; p++) {
        char c = *p;
        if (c != '/' && c != '\0') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return es_fail(err, ES_ERR_IO, "cannot create directory %s: %s", buf,
                                  strerror(errno));
        if (!es_models_is_dir(buf))
            return es_fail(err, ES_ERR_IO, "%s exists and is not a directory", buf);
        *p = c;
        if (c == '\0') break;
    }
    return ES_OK;
}

es_status es_models_mkdirs_for(const char *file_path, es_error *err)
{
    char buf[4096];
    if (es_models_pathf(buf, sizeof buf, "%s", file_path) != 0)
        return es_fail(err, ES_ERR_INVALID_ARG, "path too long: %s", file_path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf) return ES_OK;
    *slash = '\0';
    return es_models_mkdirs(buf, err);
}

void es_models_human_size(int64_t bytes, char *out, size_t size)
{
    if (bytes < 0) {
        snprintf(out, size, "?");
    } else if (bytes < 1000) {
        snprintf(out, size, "%lld B", (long long)bytes);
    } else {
        static const char *units[] = {"kB", "MB", "GB", "TB"};
        double v = (double)bytes / 1000.0;
        int u = 0;
        while (v >= 1000.0 && u < 3) {
            v /= 1000.0;
            u++;
        }
        snprintf(out, size, "%.1f %s", v, units[u]);
    }
}

es_status es_models_read_small_file(const char *path, size_t max_bytes, char **out,
                                    size_t *len, es_error *err)
{
    *out = NULL;
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return es_fail(err, errno == ENOENT ? ES_ERR_NOT_FOUND : ES_ERR_IO,
                              "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return es_fail(err, ES_ERR_NOMEM, "out of memory reading %s", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap > max_bytes) break;
            size_t ncap = cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return es_fail(err, ES_ERR_NOMEM, "out of memory reading %s", path);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return es_fail(err, ES_ERR_IO, "%s: read error", path);
    }
    if (n > max_bytes) {
        free(buf);
        return es_fail(err, ES_ERR_FORMAT, "%s is larger than %zu bytes", path,
                              max_bytes);
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return ES_OK;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* Config files of the models we know are a few kB; tokenizer.json is under
 * 1 MB. 64 MB leaves room for any sane JSON and refuses a runaway file. */
#define MAX_JSON_BYTES (64u << 20)

static es_status check_json(const char *path, es_error *err)
{
    char *text = NULL;
    size_t len = 0;
    es_status s = es_models_read_small_file(path, MAX_JSON_BYTES, &text, &len, err);
    if (s != ES_OK) return s;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (j && end) {
        while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
            end++;
        if (end < text + len) {   /* something after the value */
            cJSON_Delete(j);
            j = NULL;
        }
    }
    size_t at = end ? (size_t)(end - text) : 0;
    free(text);
    if (!j)
        return es_fail(err, ES_ERR_FORMAT,
                              "%s is not valid JSON (error near byte %zu)", path, at);
    int ok = cJSON_IsObject(j) || cJSON_IsArray(j);
    cJSON_Delete(j);
    if (!ok)
        return es_fail(err, ES_ERR_FORMAT,
                              "%s is JSON but neither an object nor an array", path);
    return ES_OK;
}

static es_status check_safetensors(const char *path, int64_t size, es_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return es_fail(err, ES_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char b[8];
    es_status s = ES_OK;
    if (fread(b, 1, 8, f) != 8) {
        s = es_fail(err, ES_ERR_FORMAT, "%s: too short for a safetensors file", path);
    } else {
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--) n = (n << 8) | b[i];
        if (n < 2 || n > (100u << 20) || (int64_t)n > size - 8) {
            s = es_fail(err, ES_ERR_FORMAT,
                               "%s: safetensors header length %llu does not fit the file", path,
                               (unsigned long long)n);
        } else {
            char *h = malloc((size_t)n + 1);
            if (!h) {
                s = es_fail(err, ES_ERR_NOMEM, "out of memory reading %s", path);
            } else if (fread(h, 1, (size_t)n, f) != (size_t)n) {
                s = es_fail(err, ES_ERR_FORMAT, "%s: truncated safetensors header", path);
            } else {
                h[n] = '\0';
                cJSON *j = cJSON_ParseWithLength(h, (size_t)n);
                if (!j || !cJSON_IsObject(j))
                    s = es_fail(err, ES_ERR_FORMAT,
                                       "%s: safetensors header is not a JSON object", path);
                cJSON_Delete(j);
            }
            free(h);
        }
    }
    fclose(f);
    return s;
}

static es_status check_ggml(const char *path, es_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return es_fail(err, ES_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char b[4];
    size_t got = fread(b, 1, 4, f);
    fclose(f);
    uint32_t magic = got == 4 ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                                    (uint32_t)b[3] << 24
                              : 0;
    if (magic != 0x67676d6cu)
        return es_fail(err, ES_ERR_FORMAT,
                              "%s does not start with the ggml magic 0x67676d6c", path);
    return ES_OK;
}

es_status es_models_check_structure(const char *path, const char *name, es_error *err)
{
    int64_t size = es_models_file_size(path);
    if (size < 0) return es_fail(err, ES_ERR_NOT_FOUND, "%s: not found", path);
    if (size == 0) return es_fail(err, ES_ERR_FORMAT, "%s is empty", path);
    if (ends_with(name, ".json")) return check_json(path, err);
    if (ends_with(name, ".safetensors")) return check_safetensors(path, size, err);
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    if (!strncmp(base, "ggml", 4) && ends_with(base, ".bin")) return check_ggml(path, err);
    return ES_OK;
}
