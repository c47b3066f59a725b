/* safetensors.c — validated, memory-mapped reader for .safetensors files.
 * See safetensors.h for the layout and the checks. */
#include "models/bert/safetensors.h"
#include "core/error.h"
#include "nn/half.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Header JSON larger than this is refused: real files hold a few hundred
 * tensors in well under 1 MiB; this only bounds a hostile length field. */
#define ES_ST_MAX_HEADER (64u << 20)

struct es_safetensors {
    char *path;
    unsigned char *map;
    uint64_t size;
    uint64_t data_start;
    es_st_tensor *tensors;
    size_t n;
};

static const struct { const char *name; es_st_dtype dtype; unsigned size; } DTYPES[] = {
    {"F32", ES_ST_F32, 4}, {"F16", ES_ST_F16, 2}, {"BF16", ES_ST_BF16, 2},
    {"F64", ES_ST_F64, 8}, {"I64", ES_ST_I64, 8}, {"I32", ES_ST_I32, 4},
    {"I16", ES_ST_I16, 2}, {"I8", ES_ST_I8, 1},   {"U8", ES_ST_U8, 1},
    {"BOOL", ES_ST_BOOL, 1}, {"U16", ES_ST_OTHER, 2}, {"U32", ES_ST_OTHER, 4},
    {"U64", ES_ST_OTHER, 8}, {"F8_E4M3", ES_ST_OTHER, 1},
    {"F8_E5M2", ES_ST_OTHER, 1},
};

static int mul_overflows(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a && b > UINT64_MAX / a) return 1;
    *out = a * b;
    return 0;
}

/* Reads one non-negative integer that fits in 53 bits (JSON numbers are
 * doubles in cJSON; every real size fits). */
static int json_u64(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0) || d > 9007199254740992.0 || d != (double)(uint64_t)d) return -1;
    *out = (uint64_t)d;
    return 0;
}

static es_status parse_entry(es_safetensors *st, const cJSON *e,
                             es_st_tensor *t, es_error *err)
{
    const char *nm = e->string;
    if (!cJSON_IsObject(e))
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s': header entry is "
                       "not an object", st->path, nm);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dt) || !cJSON_IsArray(shape) || !cJSON_IsArray(offs) ||
        cJSON_GetArraySize(offs) != 2)
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s': needs dtype, shape "
                       "and data_offsets [begin, end]", st->path, nm);
    unsigned esize = 0;
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++)
        if (!strcmp(dt->valuestring, DTYPES[i].name)) {
            t->dtype = DTYPES[i].dtype;
            t->dtype_name = DTYPES[i].name;
            esize = DTYPES[i].size;
        }
    if (!esize)
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s': unknown dtype '%.32s'",
                       st->path, nm, dt->valuestring);
    int nd = cJSON_GetArraySize(shape);
    if (nd > ES_ST_MAX_DIMS)
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s': %d dimensions "
                       "(at most %d supported)", st->path, nm, nd, ES_ST_MAX_DIMS);
    t->ndim = nd;
    t->numel = 1;
    for (int i = 0; i < nd; i++) {
        if (json_u64(cJSON_GetArrayItem(shape, i), &t->shape[i]) ||
            mul_overflows(t->numel, t->shape[i], &t->numel))
            return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s': bad shape "
                           "(not non-negative integers, or their product "
                           "overflows)", st->path, nm);
    }
    uint64_t b = 0, en = 0, need = 0;
    if (json_u64(cJSON_GetArrayItem(offs, 0), &b) ||
        json_u64(cJSON_GetArrayItem(offs, 1), &en) || b > en)
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s': bad data_offsets",
                       st->path, nm);
    if (mul_overflows(t->numel, esize, &need) || en - b != need)
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s': data_offsets span "
                       "%llu bytes but shape × %s needs %llu", st->path, nm,
                       (unsigned long long)(en - b), t->dtype_name,
                       (unsigned long long)need);
    uint64_t data_len = st->size - st->data_start;
    if (en > data_len)
        return es_fail(err, ES_ERR_TRUNCATED, "%s: tensor '%s' ends at byte %llu "
                       "of the data but the file holds only %llu (truncated "
                       "download?)", st->path, nm,
                       (unsigned long long)en, (unsigned long long)data_len);
    t->data = st->map + st->data_start + b;
    t->nbytes = need;
    t->name = strdup(nm);
    if (!t->name) return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", st->path);
    return ES_OK;
}

static es_status parse_header(es_safetensors *st, es_error *err)
{
    if (st->size < 8)
        return es_fail(err, ES_ERR_TRUNCATED, "%s: %llu bytes is too short for a "
                       "safetensors file", st->path, (unsigned long long)st->size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | st->map[i];
    if (hlen > ES_ST_MAX_HEADER)
        return es_fail(err, ES_ERR_FORMAT, "%s: header length %llu is not "
                       "plausible (not a safetensors file?)", st->path,
                       (unsigned long long)hlen);
    if (hlen > st->size - 8)
        return es_fail(err, ES_ERR_TRUNCATED, "%s: header of %llu bytes does not "
                       "fit in the file (truncated?)", st->path,
                       (unsigned long long)hlen);
    st->data_start = 8 + hlen;
    cJSON *root = cJSON_ParseWithLength((const char *)st->map + 8, (size_t)hlen);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return es_fail(err, ES_ERR_FORMAT, "%s: header is not a JSON object (not "
                       "a safetensors file?)", st->path);
    }
    size_t cap = (size_t)cJSON_GetArraySize(root);
    st->tensors = calloc(cap ? cap : 1, sizeof *st->tensors);
    es_status s = st->tensors ? ES_OK
                              : es_fail(err, ES_ERR_NOMEM, "%s: out of memory", st->path);
    const cJSON *e;
    cJSON_ArrayForEach(e, root) {
        if (s != ES_OK) break;
        if (!e->string) {
            s = es_fail(err, ES_ERR_FORMAT, "%s: header entry without a name", st->path);
            break;
        }
        if (!strcmp(e->string, "__metadata__")) continue;
        s = parse_entry(st, e, &st->tensors[st->n], err);
        if (s == ES_OK) st->n++;
    }
    cJSON_Delete(root);
    for (size_t i = 0; s == ES_OK && i < st->n; i++)
        for (size_t j = i + 1; j < st->n; j++)
            if (!strcmp(st->tensors[i].name, st->tensors[j].name))
                return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s' appears twice",
                               st->path, st->tensors[i].name);
    return s;
}

es_status es_safetensors_open(const char *path, es_safetensors **out,
                              es_error *err)
{
    if (!path || !out) return es_fail(err, ES_ERR_INVALID_ARG, "safetensors: NULL argument");
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return es_fail(err, e == ENOENT ? ES_ERR_NOT_FOUND
                            : e == EACCES ? ES_ERR_PERMISSION : ES_ERR_IO,
                       "%s: cannot open: %s", path, strerror(e));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return es_fail(err, ES_ERR_IO, "%s: not a regular file", path);
    }
    es_safetensors *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        close(fd);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    }
    st->size = (uint64_t)sb.st_size;
    if (st->size) {
        void *m = mmap(NULL, (size_t)st->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            es_safetensors_close(st);
            return es_fail(err, ES_ERR_IO, "%s: cannot map: %s", path, strerror(e));
        }
        st->map = m;
    }
    close(fd);
    es_status s = parse_header(st, err);
    if (s != ES_OK) {
        es_safetensors_close(st);
        return s;
    }
    *out = st;
    return ES_OK;
}

void es_safetensors_close(es_safetensors *st)
{
    if (!st) return;
    if (st->map) munmap(st->map, (size_t)st->size);
    for (size_t i = 0; i < st->n; i++) free(st->tensors[i].name);
    free(st->tensors);
    free(st->path);
    free(st);
}

const char *es_safetensors_path(const es_safetensors *st) { return st->path; }
size_t es_safetensors_count(const es_safetensors *st) { return st->n; }

const es_st_tensor *es_safetensors_at(const es_safetensors *st, size_t i)
{
    return i < st->n ? &st->tensors[i] : NULL;
}

const es_st_tensor *es_safetensors_find(const es_safetensors *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (!strcmp(st->tensors[i].name, name)) return &st->tensors[i];
    return NULL;
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

uint64_t es_safetensors_fingerprint(const es_safetensors *st)
{
    uint64_t h = 14695981039346656037ull;
    /* The whole header, then 4 KiB at 64 evenly spaced places in the data. */
    h = fnv1a(h, st->map, (size_t)st->data_start);
    uint64_t len = st->size - st->data_start;
    for (int k = 0; k < 64 && len; k++) {
        uint64_t at = len / 64 * (uint64_t)k;
        uint64_t n = len - at < 4096 ? len - at : 4096;
        h = fnv1a(h, st->map + st->data_start + at, (size_t)n);
    }
    return h;
}

es_status es_st_to_f32(const es_safetensors *st, const es_st_tensor *t,
                       float *dst, es_error *err)
{
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case ES_ST_F32:
        memcpy(dst, p, (size_t)t->nbytes);
        return ES_OK;
    case ES_ST_F16:
    case ES_ST_BF16:
        for (uint64_t i = 0; i < t->numel; i++) {
            uint16_t h = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
            dst[i] = t->dtype == ES_ST_F16 ? es_f16_to_f32(h) : es_bf16_to_f32(h);
        }
        return ES_OK;
    default:
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s' has dtype %s; weights "
                       "must be F32, F16 or BF16", st->path, t->name, t->dtype_name);
    }
}
