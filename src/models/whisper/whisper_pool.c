/* whisper_pool.c — pooled Whisper encoder states of a chunk (see
 * whisper_pool.h), the extra input of a Hybrid bridge.
 *
 * The log-mel is the transcription path's for a window that starts at the
 * chunk's first sample (whisper_transcribe.c): es_whisper_mel_max over the
 * chunk gives the max − 8 floor (in normalised units: max − 2), then
 * es_whisper_window_mel gives frames [0, n/160); the frame count is
 * raised to min_window_frames (100, as a short transcription window) and
 * to an even number, the added frames being 0 (openai's pad_or_trim), and
 * only those frames are encoded (audio_ctx trimming: frames/2 positions).
 * The output is the mean over all encoded positions, then the max.
 *
 * Identity: "whisper:<size>:<wtype>:<fingerprint>", the fingerprint being
 * FNV-1a 64 (16 hex digits) over the 11 hparams (little-endian int32), the
 * file size (little-endian uint64) and 33 blocks of 4 KiB of the file at
 * evenly spaced offsets from its start to its end (offset_i = (size −
 * 4096)·i/32): the vocabulary, filters and many tensors' data are sampled,
 * so two different models (tiny vs tiny.en, a fine-tune, another
 * quantization) get different identities while computing it reads 132 KiB. */
#include "models/whisper/whisper_pool.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "models/whisper/whisper_model.h"
#include "models/whisper/whisper_names.h"
#include "models/whisper/whisper_transcribe.h"

#define FP_BLOCK 4096
#define FP_BLOCKS 33

struct es_whisper_pool {
    es_whisper_model *model;
    es_whisper_session *session;
    es_logmel *logmel;
    int n_mels, n_state, max_frames, min_frames;
    float *mel;             /* [n_mels × max_frames] */
    char identity[128];
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static es_status fingerprint(const char *path, const es_whisper_hparams *hp,
                             uint64_t *out, es_error *err)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    const int32_t v[11] = {hp->n_vocab, hp->n_audio_ctx, hp->n_audio_state,
                           hp->n_audio_head, hp->n_audio_layer, hp->n_text_ctx,
                           hp->n_text_state, hp->n_text_head, hp->n_text_layer,
                           hp->n_mels, hp->ftype};
    unsigned char b[8];
    for (int i = 0; i < 11; i++) {
        for (int k = 0; k < 4; k++) b[k] = (unsigned char)((uint32_t)v[i] >> (8 * k));
        h = fnv1a(h, b, 4);
    }
    FILE *f = fopen(path, "rb");
    if (!f) return es_fail(err, ES_ERR_IO, "%s: cannot reopen: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return es_fail(err, ES_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    }
    const uint64_t size = (uint64_t)st.st_size;
    for (int k = 0; k < 8; k++) b[k] = (unsigned char)(size >> (8 * k));
    h = fnv1a(h, b, 8);
    unsigned char *blk = malloc(FP_BLOCK);
    if (!blk) {
        fclose(f);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    }
    const uint64_t bl = size < FP_BLOCK ? size : FP_BLOCK;
    es_status s = ES_OK;
    for (int i = 0; i < FP_BLOCKS && !s; i++) {
        uint64_t off = (size - bl) * (uint64_t)i / (FP_BLOCKS - 1);
        if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fread(blk, 1, bl, f) != bl)
            s = es_fail(err, ES_ERR_IO, "%s: read error while fingerprinting", path);
        else
            h = fnv1a(h, blk, bl);
    }
    free(blk);
    fclose(f);
    *out = h;
    return s;
}

static es_status open_path(const char *path, int threads, es_whisper_pool **out,
                           es_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return es_fail(err, errno == EACCES ? ES_ERR_PERMISSION : ES_ERR_NOT_FOUND,
                       "%s: no such Whisper model (give a whisper.cpp ggml file, or "
                       "whisper-tiny / whisper-tiny.en installed with `earshot models "
                       "pull whisper-tiny`)", path);
    if (S_ISDIR(st.st_mode))
        return es_fail(err, ES_ERR_INVALID_ARG, "%s is a directory, not a whisper.cpp "
                       "ggml model file", path);
    if (threads <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nc > 0 ? (int)nc : 1;
    }
    es_whisper_pool *p = calloc(1, sizeof *p);
    if (!p) return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    es_whisper_load_params lp = {0, 0};
    es_status s = es_whisper_model_load(path, &lp, &p->model, err);
    if (s) goto fail;
    const es_whisper_hparams *hp = es_whisper_model_hparams(p->model);
    p->n_mels = hp->n_mels;
    p->n_state = hp->n_audio_state;
    p->max_frames = 2 * hp->n_audio_ctx;
    p->min_frames = es_whisper_transcribe_default_opts().min_window_frames;
    if (p->min_frames > p->max_frames) p->min_frames = p->max_frames;
    s = es_whisper_session_new(p->model, 1, threads, &p->session, err);
    if (s) goto fail;
    s = es_logmel_create(p->n_mels, es_whisper_model_filters(p->model), &p->logmel, err);
    if (s) goto fail;
    p->mel = malloc((size_t)p->n_mels * (size_t)p->max_frames * sizeof *p->mel);
    if (!p->mel) {
        s = es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    uint64_t fp = 0;
    s = fingerprint(path, hp, &fp, err);
    if (s) goto fail;
    snprintf(p->identity, sizeof p->identity, "whisper:%s:%s:%016llx",
             es_whisper_model_size_name(p->model), es_whisper_model_wtype(p->model),
             (unsigned long long)fp);
    *out = p;
    return ES_OK;
fail:
    es_whisper_pool_free(p);
    return s;
}

es_status es_whisper_pool_open(const char *name, const char *models_dir,
                               int threads, es_whisper_pool **out,
                               es_error *err)
{
    if (!out) return es_fail(err, ES_ERR_INVALID_ARG, "whisper pool: out is NULL");
    *out = NULL;
    char buf[4200];
    const char *path = NULL;
    es_status s = es_whisper_model_path(name, models_dir, buf, sizeof buf, &path, err);
    if (s) return s;
    if (path) return open_path(path, threads, out, err);
    return es_fail(err, ES_ERR_NOT_FOUND, "no Whisper model is installed in %s (hybrid "
                   "bridge inputs need one): get it with `earshot models pull "
                   "whisper-tiny` (needs the network)", buf);
}

int es_whisper_pool_dim(const es_whisper_pool *p)
{
    return p ? 2 * p->n_state : 0;
}

const char *es_whisper_pool_identity(const es_whisper_pool *p)
{
    return p ? p->identity : "";
}

es_status es_whisper_pool_compute(es_whisper_pool *p, const float *samples,
                                  size_t n, float *out, es_error *err)
{
    if (!p || !out || !samples)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper pool: NULL argument");
    const size_t max_n = (size_t)p->max_frames * 160;
    if (n == 0 || n > max_n)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper pool: a chunk must hold 1 to "
                       "%zu samples (%.0f s at 16 kHz), got %zu", max_n,
                       (double)max_n / ES_SAMPLE_RATE, n);
    int seg = (int)es_logmel_n_frames(n);
    if (seg > p->max_frames) seg = p->max_frames;
    int n_enc = seg > p->min_frames ? seg : p->min_frames;
    n_enc += n_enc & 1;
    if (n_enc > p->max_frames) n_enc = p->max_frames;
    float gmax = 0.0f;
    es_status s = es_whisper_mel_max(p->logmel, samples, n, &gmax, err);
    if (s) return s;
    float *tmp = malloc((size_t)p->n_mels * (size_t)(seg > 0 ? seg : 1) * sizeof *tmp);
    if (!tmp) return es_fail(err, ES_ERR_NOMEM, "whisper pool: out of memory");
    s = es_whisper_window_mel(p->logmel, samples, n, 0, seg, gmax - 2.0f, tmp, err);
    if (!s)
        for (int b = 0; b < p->n_mels; b++) {
            float *dst = p->mel + (size_t)b * (size_t)n_enc;
            if (seg > 0)
                memcpy(dst, tmp + (size_t)b * (size_t)seg, (size_t)seg * sizeof *dst);
            for (int t = seg; t < n_enc; t++) dst[t] = 0.0f;
        }
    free(tmp);
    if (s) return s;
    s = es_whisper_encode(p->session, p->mel, n_enc, err);
    if (s) return s;
    int n_ctx = 0;
    const float *enc = es_whisper_encoder_output(p->session, &n_ctx);
    if (!enc || n_ctx <= 0)
        return es_fail(err, ES_ERR_INTERNAL, "whisper pool: the encoder gave no output");
    const int d = p->n_state;
    float *mean = out, *mx = out + d;
    for (int j = 0; j < d; j++) {
        double acc = 0.0;
        float m = -INFINITY;
        for (int t = 0; t < n_ctx; t++) {
            float v = enc[(size_t)t * (size_t)d + (size_t)j];
            acc += v;
            if (v > m) m = v;
        }
        mean[j] = (float)(acc / n_ctx);
        mx[j] = m;
    }
    return ES_OK;
}

void es_whisper_pool_free(es_whisper_pool *p)
{
    if (!p) return;
    es_logmel_free(p->logmel);
    es_whisper_session_free(p->session);
    es_whisper_model_free(p->model);
    free(p->mel);
    free(p);
}
