/* wordvec.c — opening an .eswv word-vector file (docs/FORMATS.md): map it
 * read-only, check both checksums and every count and offset against the
 * file size, then serve word lookups (an open-addressing hash table stored
 * in the file) and vector reads straight from the mapping. A file that
 * passes es_wordvec_open can be read anywhere without further checks. */
#include "models/wordvec/wordvec.h"

#include "core/error.h"
#include "models/wordvec/wordvec_crc32.h"
#include "models/wordvec/wordvec_file.h"
#include "models/wordvec/wordvec_tokenize.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error ".eswv files are little-endian and read in place: big-endian hosts need byte swaps"
#endif

static const char *const install_hint =
    "re-create it with scripts/install-wordvectors.sh";

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static double rdf64(const uint8_t *p) { double v; memcpy(&v, p, 8); return v; }

/* A section [off, off + size) must lie after the previous one, inside the
 * file, 64-byte aligned. */
static es_status check_section(const char *path, const char *what, uint64_t off,
                               uint64_t size, uint64_t *cursor,
                               uint64_t file_size, es_error *err)
{
    if (off % ESWV_ALIGN != 0 || off < *cursor)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: the %s section is misplaced (offset %llu); %s", path,
                       what, (unsigned long long)off, install_hint);
    if (off > file_size || size > file_size - off)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: the %s section (offset %llu, %llu bytes) runs past "
                       "the end of the file (%llu bytes); %s", path, what,
                       (unsigned long long)off, (unsigned long long)size,
                       (unsigned long long)file_size, install_hint);
    *cursor = off + size;
    return ES_OK;
}

/* Name and source end up in describe/identity strings: NUL-terminated,
 * printable ASCII, and for the name only [A-Za-z0-9._+-], not empty. */
static int header_text_ok(const char *s, size_t size, int is_name)
{
    size_t n = strnlen(s, size);
    if (n == size || (is_name && n == 0)) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e) return 0;
        if (is_name && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                         c == '+' || c == '-'))
            return 0;
    }
    return 1;
}

static es_status parse_header(es_wordvec *wv, const char *path, uint64_t actual,
                              es_error *err)
{
    const uint8_t *h = wv->map;
    es_wordvec_info *in = &wv->info;
    if (actual < 4 || memcmp(h, ESWV_MAGIC, 4) != 0)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: not an earshot word-vector file (no ESWV magic); "
                       "convert word vectors with scripts/install-wordvectors.sh", path);
    if (actual < ESWV_HEADER_SIZE)
        return es_fail(err, ES_ERR_TRUNCATED,
                       "%s: truncated: %llu bytes, less than the %d-byte header; %s",
                       path, (unsigned long long)actual, ESWV_HEADER_SIZE, install_hint);
    uint32_t version = rd32(h + 4), header_size = rd32(h + 8);
    if (version != ESWV_VERSION)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: .eswv format version %u, this earshot reads version %d; %s",
                       path, version, ESWV_VERSION, install_hint);
    if (header_size != ESWV_HEADER_SIZE)
        return es_fail(err, ES_ERR_FORMAT, "%s: header size %u, expected %d; %s",
                       path, header_size, ESWV_HEADER_SIZE, install_hint);
    if (es_crc32(0, h, ESWV_HEADER_CRC_AT) != rd32(h + ESWV_HEADER_CRC_AT))
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: header checksum mismatch: the file is damaged; %s",
                       path, install_hint);

    in->dim = (int)rd32(h + 12);
    in->n_words = rd32(h + 16);
    uint32_t dtype = rd32(h + 20), flags = rd32(h + 24);
    in->max_word_len = rd32(h + 28);
    uint32_t slots = rd32(h + 32);
    in->source_vocab_size = rd32(h + 36);
    in->sif_a = rdf64(h + 40);
    in->zipf_s = rdf64(h + 48);
    in->zipf_norm = rdf64(h + 56);
    uint64_t off_offsets = rd64(h + 64), off_strings = rd64(h + 72);
    uint64_t strings_size = rd64(h + 80), off_ranks = rd64(h + 88);
    uint64_t off_hash = rd64(h + 96), off_scales = rd64(h + 104);
    uint64_t off_vectors = rd64(h + 112);
    in->file_size = rd64(h + 120);
    in->payload_crc = rd32(h + 128);
    in->fingerprint = rd32(h + 132);
    in->top_requested = rd32(h + 136);
    memcpy(in->name, h + 144, sizeof in->name);
    memcpy(in->source, h + 176, sizeof in->source);

    if (actual < in->file_size)
        return es_fail(err, ES_ERR_TRUNCATED,
                       "%s: truncated: %llu bytes, the header says %llu; %s", path,
                       (unsigned long long)actual, (unsigned long long)in->file_size,
                       install_hint);
    if (actual > in->file_size)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: %llu bytes, the header says %llu (trailing bytes); %s",
                       path, (unsigned long long)actual,
                       (unsigned long long)in->file_size, install_hint);
    if (es_crc32(0, h + ESWV_HEADER_SIZE, in->file_size - ESWV_HEADER_SIZE) !=
        in->payload_crc)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: payload checksum mismatch: the file is damaged; %s",
                       path, install_hint);

    if (!header_text_ok(in->name, sizeof in->name, 1) ||
        !header_text_ok(in->source, sizeof in->source, 0))
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: bad model name or source in the header; %s", path,
                       install_hint);
    if (in->dim < 1 || in->dim > ESWV_MAX_DIM || in->n_words < 1 ||
        in->n_words > ESWV_MAX_WORDS || in->max_word_len < 1 ||
        in->max_word_len > ES_WORDVEC_MAX_WORD || flags != 0 ||
        (dtype != ES_WORDVEC_F16 && dtype != ES_WORDVEC_INT8))
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: impossible header (dim %d, %u words, dtype %u, flags %u, "
                       "longest word %u); %s", path, in->dim, in->n_words, dtype,
                       flags, in->max_word_len, install_hint);
    if (slots <= in->n_words || slots > ESWV_MAX_WORDS * 4u || (slots & (slots - 1)))
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: hash table of %u slots for %u words (needs a power of "
                       "two above the word count); %s", path, slots, in->n_words,
                       install_hint);
    if (in->source_vocab_size < in->n_words || !isfinite(in->sif_a) ||
        in->sif_a <= 0 || !isfinite(in->zipf_s) || in->zipf_s <= 0 ||
        !isfinite(in->zipf_norm) || in->zipf_norm <= 0)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: bad SIF parameters (a %g, Zipf s %g, norm %g, source "
                       "vocabulary %u); %s", path, in->sif_a, in->zipf_s,
                       in->zipf_norm, in->source_vocab_size, install_hint);
    in->dtype = (es_wordvec_dtype)dtype;

    uint64_t n = in->n_words, dim = (uint64_t)in->dim, cursor = ESWV_HEADER_SIZE;
    uint64_t fs = in->file_size;
    es_status s;
    if ((s = check_section(path, "word offsets", off_offsets, (n + 1) * 4, &cursor, fs, err)) ||
        (s = check_section(path, "strings", off_strings, strings_size, &cursor, fs, err)) ||
        (s = check_section(path, "ranks", off_ranks, n * 4, &cursor, fs, err)) ||
        (s = check_section(path, "hash table", off_hash, (uint64_t)slots * 4, &cursor, fs, err)))
        return s;
    if (in->dtype == ES_WORDVEC_INT8) {
        if ((s = check_section(path, "scales", off_scales, n * 4, &cursor, fs, err)))
            return s;
        wv->scales = (const float *)(wv->map + off_scales);
    } else if (off_scales != 0) {
        return es_fail(err, ES_ERR_FORMAT, "%s: an f16 file with a scales section; %s",
                       path, install_hint);
    }
    uint64_t elem = in->dtype == ES_WORDVEC_F16 ? 2 : 1;
    if ((s = check_section(path, "vectors", off_vectors, n * dim * elem, &cursor, fs, err)))
        return s;
    wv->offsets = (const uint32_t *)(wv->map + off_offsets);
    wv->strings = (const char *)(wv->map + off_strings);
    wv->strings_size = strings_size;
    wv->ranks = (const uint32_t *)(wv->map + off_ranks);
    wv->hash = (const uint32_t *)(wv->map + off_hash);
    wv->hash_mask = slots - 1;
    wv->vectors = wv->map + off_vectors;
    return ES_OK;
}

/* Every entry of every table, so that later reads need no checks. */
static es_status check_tables(const es_wordvec *wv, const char *path, es_error *err)
{
    const es_wordvec_info *in = &wv->info;
    if (wv->offsets[0] != 0 || wv->offsets[in->n_words] != wv->strings_size)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: word offsets do not cover the string table; %s", path,
                       install_hint);
    for (uint32_t i = 0; i < in->n_words; i++) {
        uint32_t a = wv->offsets[i], b = wv->offsets[i + 1];
        if (b <= a || b - a > in->max_word_len)
            return es_fail(err, ES_ERR_FORMAT,
                           "%s: word %u has a bad length (offsets %u..%u); %s", path,
                           i, a, b, install_hint);
        if (wv->ranks[i] >= in->source_vocab_size)
            return es_fail(err, ES_ERR_FORMAT,
                           "%s: word %u has rank %u, beyond the source vocabulary "
                           "(%u); %s", path, i, wv->ranks[i], in->source_vocab_size,
                           install_hint);
    }
    uint32_t empty = 0;
    for (uint32_t i = 0; i <= wv->hash_mask; i++) {
        if (wv->hash[i] > in->n_words)
            return es_fail(err, ES_ERR_FORMAT,
                           "%s: hash slot %u points past the vocabulary; %s", path, i,
                           install_hint);
        empty += wv->hash[i] == 0;
    }
    if (empty < (wv->hash_mask + 1) - in->n_words)
        return es_fail(err, ES_ERR_FORMAT, "%s: hash table holds too many entries; %s",
                       path, install_hint);
    size_t n = (size_t)in->n_words * (size_t)in->dim;
    if (in->dtype == ES_WORDVEC_F16) {
        const uint16_t *v = (const uint16_t *)wv->vectors;
        uint16_t bad = 0;
        for (size_t i = 0; i < n; i++) bad |= (uint16_t)((v[i] & 0x7c00u) == 0x7c00u);
        if (bad)
            return es_fail(err, ES_ERR_FORMAT, "%s: a vector holds Inf or NaN; %s",
                           path, install_hint);
    } else {
        for (uint32_t i = 0; i < in->n_words; i++)
            if (!isfinite(wv->scales[i]) || wv->scales[i] < 0)
                return es_fail(err, ES_ERR_FORMAT, "%s: row %u has a bad scale; %s",
                               path, i, install_hint);
    }
    return ES_OK;
}

es_status es_wordvec_open(const char *path, es_wordvec **out, es_error *err)
{
    if (!path || !out)
        return es_fail(err, ES_ERR_INVALID_ARG, "word vectors: NULL argument");
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return es_fail(err, ES_ERR_NOT_FOUND, "%s: no such file; install the word "
                           "vectors with scripts/install-wordvectors.sh", path);
        if (e == EACCES)
            return es_fail(err, ES_ERR_PERMISSION, "%s: permission denied", path);
        return es_fail(err, ES_ERR_IO, "%s: cannot open: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return es_fail(err, ES_ERR_FORMAT, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return es_fail(err, ES_ERR_TRUNCATED, "%s: the file is empty; %s", path,
                       install_hint);
    }
    es_wordvec *wv = calloc(1, sizeof *wv);
    if (!wv) {
        close(fd);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    }
    wv->map_size = (size_t)st.st_size;
    void *m = mmap(NULL, wv->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd);
    if (m == MAP_FAILED) {
        free(wv);
        return es_fail(err, ES_ERR_IO, "%s: cannot map: %s", path, strerror(map_errno));
    }
    wv->map = m;
    es_status s = parse_header(wv, path, (uint64_t)st.st_size, err);
    if (s == ES_OK) s = check_tables(wv, path, err);
    if (s != ES_OK) {
        es_wordvec_close(wv);
        return s;
    }
    *out = wv;
    return ES_OK;
}

void es_wordvec_close(es_wordvec *wv)
{
    if (!wv) return;
    if (wv->map) munmap((void *)wv->map, wv->map_size);
    free(wv);
}

const es_wordvec_info *es_wordvec_get_info(const es_wordvec *wv) { return &wv->info; }

static uint32_t fnv1a32(const char *s, size_t n)
{
    uint32_t h = 0x811C9DC5u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x01000193u;
    return h;
}

int64_t es_wordvec_lookup(const es_wordvec *wv, const char *word, size_t len)
{
    if (len == 0 || len > wv->info.max_word_len) return -1;
    uint32_t h = fnv1a32(word, len) & wv->hash_mask;
    for (uint32_t probes = 0; probes <= wv->hash_mask; probes++) {
        uint32_t e = wv->hash[h];
        if (e == 0) return -1;
        uint32_t i = e - 1, a = wv->offsets[i], b = wv->offsets[i + 1];
        if (b - a == len && !memcmp(wv->strings + a, word, len)) return i;
        h = (h + 1) & wv->hash_mask;
    }
    return -1;
}

const char *es_wordvec_word(const es_wordvec *wv, uint32_t i, size_t *len)
{
    if (i >= wv->info.n_words) {
        if (len) *len = 0;
        return "";
    }
    if (len) *len = wv->offsets[i + 1] - wv->offsets[i];
    return wv->strings + wv->offsets[i];
}

uint32_t es_wordvec_rank(const es_wordvec *wv, uint32_t i)
{
    return i < wv->info.n_words ? wv->ranks[i] : 0;
}

float es_wordvec_weight(const es_wordvec *wv, uint32_t i)
{
    if (i >= wv->info.n_words) return 0.0f;
    const es_wordvec_info *in = &wv->info;
    double p = pow((double)wv->ranks[i] + 1.0, -in->zipf_s) / in->zipf_norm;
    return (float)(in->sif_a / (in->sif_a + p));
}

void es_wordvec_axpy(const es_wordvec *wv, uint32_t i, float scale, float *acc)
{
    if (i >= wv->info.n_words) return;
    int dim = wv->info.dim;
    if (wv->info.dtype == ES_WORDVEC_F16) {
        /* Half → float by moving the bits into place and scaling by 2^112:
         * exact for every finite half, subnormals included, and it
         * vectorises (open has refused Inf/NaN; es_f16_to_f32 is the
         * general, branchy form). */
        const uint16_t *v = (const uint16_t *)wv->vectors + (size_t)i * (size_t)dim;
        for (int d = 0; d < dim; d++) {
            uint32_t bits = ((uint32_t)(v[d] & 0x7fffu) << 13) |
                            ((uint32_t)(v[d] & 0x8000u) << 16);
            float f;
            memcpy(&f, &bits, sizeof f);
            acc[d] += scale * (f * 0x1p112f);
        }
    } else {
        const int8_t *v = (const int8_t *)wv->vectors + (size_t)i * (size_t)dim;
        float s = scale * wv->scales[i];
        for (int d = 0; d < dim; d++) acc[d] += s * (float)v[d];
    }
}
