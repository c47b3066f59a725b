/* ggml_mel.c — the bounded ggml reader and the header + hparams + mel
 * filters stage of the whisper.cpp model format (see ggml_mel.h). */
#include "models/whisper/ggml_mel.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"

#define NOT_WHISPER "it is not a whisper.cpp ggml model or it is damaged; " \
                    "download or convert the model again"

/* ---------------------------------------------------- bounded file reader */

es_status es_ggml_reader_open(const char *path, es_ggml_reader *r,
                              es_error *err)
{
    memset(r, 0, sizeof *r);
    if (!path || !*path)
        return es_fail(err, ES_ERR_INVALID_ARG, "model path is empty");
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        if (e == ENOENT)
            return es_fail(err, ES_ERR_NOT_FOUND,
                           "%s: model file not found; check the path", path);
        if (e == EACCES)
            return es_fail(err, ES_ERR_PERMISSION,
                           "%s: cannot read the model file: %s", path, strerror(e));
        return es_fail(err, ES_ERR_IO, "%s: cannot open the model file: %s",
                       path, strerror(e));
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return es_fail(err, ES_ERR_IO,
                       "%s: not a regular file; give the path of a ggml model file",
                       path);
    }
    r->path = strdup(path);
    if (!r->path) {
        fclose(fp);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    }
    r->fp = fp;
    r->size = (uint64_t)st.st_size;
    r->pos = 0;
    return ES_OK;
}

void es_ggml_reader_close(es_ggml_reader *r)
{
    if (!r) return;
    if (r->fp) fclose(r->fp);
    free(r->path);
    memset(r, 0, sizeof *r);
}

es_status es_ggml_read_bytes(es_ggml_reader *r, void *dst, size_t n,
                             const char *what, es_error *err)
{
    uint64_t left = r->size - r->pos;
    if ((uint64_t)n > left)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: truncated: needs %zu bytes for %s at offset %llu "
                       "but the file has %llu bytes; %s",
                       r->path, n, what, (unsigned long long)r->pos,
                       (unsigned long long)r->size, NOT_WHISPER);
    if (n && fread(dst, 1, n, r->fp) != n)
        return es_fail(err, ferror(r->fp) ? ES_ERR_IO : ES_ERR_FORMAT,
                       "%s: short read of %s at offset %llu (%s)", r->path,
                       what, (unsigned long long)r->pos,
                       ferror(r->fp) ? strerror(errno) : "file shrank while reading");
    r->pos += n;
    return ES_OK;
}

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

es_status es_ggml_read_u32(es_ggml_reader *r, uint32_t *v, const char *what,
                           es_error *err)
{
    unsigned char b[4];
    es_status s = es_ggml_read_bytes(r, b, 4, what, err);
    if (s == ES_OK) *v = le32(b);
    return s;
}

es_status es_ggml_read_i32(es_ggml_reader *r, int32_t *v, const char *what,
                           es_error *err)
{
    uint32_t u;
    es_status s = es_ggml_read_u32(r, &u, what, err);
    if (s == ES_OK) memcpy(v, &u, 4);   /* two's complement reinterpretation */
    return s;
}

es_status es_ggml_read_f32(es_ggml_reader *r, float *dst, size_t n,
                           const char *what, es_error *err)
{
    if (n > SIZE_MAX / 4)
        return es_fail(err, ES_ERR_FORMAT, "%s: %s is too large", r->path, what);
    es_status s = es_ggml_read_bytes(r, dst, n * 4, what, err);
    if (s != ES_OK) return s;
    unsigned char *b = (unsigned char *)dst;
    for (size_t i = 0; i < n; i++) {   /* in place: little-endian → host */
        uint32_t u = le32(b + 4 * i);
        memcpy(&dst[i], &u, 4);
    }
    return ES_OK;
}

/* ------------------------------------------------- header + mel filters */

/* Generous bounds: the largest Whisper has n_vocab 51866, n_state 1280,
 * 32 layers, n_audio_ctx 1500. Anything far outside is a damaged file. */
#define HPARAM_MAX (1 << 24)

es_status es_whisper_ggml_read_header(es_ggml_reader *r,
                                      es_whisper_ggml_header *out,
                                      es_error *err)
{
    memset(out, 0, sizeof *out);
    uint32_t magic;
    es_status s = es_ggml_read_u32(r, &magic, "the magic number", err);
    if (s != ES_OK) return s;
    if (magic != ES_GGML_MAGIC)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: bad magic 0x%08x (expected 0x%08x, \"ggml\"); %s",
                       r->path, magic, ES_GGML_MAGIC, NOT_WHISPER);

    static const char *names[11] = {
        "n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head",
        "n_audio_layer", "n_text_ctx", "n_text_state", "n_text_head",
        "n_text_layer", "n_mels", "ftype"};
    int32_t hp[11];
    for (int i = 0; i < 11; i++) {
        char what[64];
        snprintf(what, sizeof what, "hyperparameter %s", names[i]);
        s = es_ggml_read_i32(r, &hp[i], what, err);
        if (s != ES_OK) return s;
        int32_t lo = i == 10 ? 0 : 1;
        int32_t hi = i == 9 ? ES_GGML_MAX_MELS : HPARAM_MAX;
        if (i == 10) hi = INT32_MAX;
        if (hp[i] < lo || hp[i] > hi)
            return es_fail(err, ES_ERR_FORMAT,
                           "%s: hyperparameter %s = %d is out of range (%d..%d); %s",
                           r->path, names[i], (int)hp[i], (int)lo, (int)hi,
                           NOT_WHISPER);
    }
    es_whisper_hparams *h = &out->hparams;
    h->n_vocab = hp[0];
    h->n_audio_ctx = hp[1];
    h->n_audio_state = hp[2];
    h->n_audio_head = hp[3];
    h->n_audio_layer = hp[4];
    h->n_text_ctx = hp[5];
    h->n_text_state = hp[6];
    h->n_text_head = hp[7];
    h->n_text_layer = hp[8];
    h->n_mels = hp[9];
    h->ftype = hp[10];

    int32_t n_mel, n_fft;
    if ((s = es_ggml_read_i32(r, &n_mel, "the mel filter count", err)) != ES_OK ||
        (s = es_ggml_read_i32(r, &n_fft, "the mel filter width", err)) != ES_OK)
        return s;
    if (n_mel < 1 || n_mel > ES_GGML_MAX_MELS)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: mel filterbank has %d bands (expected 1..%d); %s",
                       r->path, (int)n_mel, ES_GGML_MAX_MELS, NOT_WHISPER);
    if (n_fft != ES_GGML_MEL_N_FFT)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: mel filters have %d bins (expected %d for n_fft 400); %s",
                       r->path, (int)n_fft, ES_GGML_MEL_N_FFT, NOT_WHISPER);
    if (n_mel != h->n_mels)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: mel filterbank has %d bands but hyperparameter "
                       "n_mels is %d; %s",
                       r->path, (int)n_mel, (int)h->n_mels, NOT_WHISPER);

    size_t count = (size_t)n_mel * (size_t)n_fft;
    /* Check the size before allocating, so a hostile count costs nothing. */
    if ((uint64_t)count * 4 > r->size - r->pos)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: truncated: needs %zu bytes for the %d×%d mel filters "
                       "at offset %llu but the file has %llu bytes; %s",
                       r->path, count * 4, (int)n_mel, (int)n_fft,
                       (unsigned long long)r->pos, (unsigned long long)r->size,
                       NOT_WHISPER);
    float *f = malloc(count * sizeof *f);
    if (!f)
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory for mel filters",
                       r->path);
    s = es_ggml_read_f32(r, f, count, "the mel filters", err);
    if (s != ES_OK) {
        free(f);
        return s;
    }
    for (size_t i = 0; i < count; i++) {
        if (!isfinite(f[i]) || f[i] < 0.0f) {
            es_status e = es_fail(err, ES_ERR_FORMAT,
                                  "%s: mel filter %zu, bin %zu holds %g (filters "
                                  "must be finite and non-negative); %s",
                                  r->path, i / (size_t)n_fft, i % (size_t)n_fft,
                                  (double)f[i], NOT_WHISPER);
            free(f);
            return e;
        }
    }
    out->n_mel = n_mel;
    out->n_fft = n_fft;
    out->mel_filters = f;
    out->vocab_offset = r->pos;
    return ES_OK;
}

es_status es_whisper_ggml_load_header(const char *path,
                                      es_whisper_ggml_header *out,
                                      es_error *err)
{
    memset(out, 0, sizeof *out);
    es_ggml_reader r;
    es_status s = es_ggml_reader_open(path, &r, err);
    if (s != ES_OK) return s;
    s = es_whisper_ggml_read_header(&r, out, err);
    es_ggml_reader_close(&r);
    return s;
}

void es_whisper_ggml_header_free(es_whisper_ggml_header *h)
{
    if (!h) return;
    free(h->mel_filters);
    memset(h, 0, sizeof *h);
}
