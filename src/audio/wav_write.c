/* wav_write.c — RIFF/WAVE PCM s16 mono writer. The header is written with
 * zero sizes first and patched at close, so writing streams. */
#include "audio/wav_write.h"
#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct es_wav_writer {
    FILE *f;
    char *path;
    int sample_rate;
    unsigned long long n_samples;
};

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; p[2] = (v >> 16) & 0xff; p[3] = v >> 24;
}

static void put_u16(unsigned char *p, uint16_t v)
{
    p[0] = v & 0xff; p[1] = v >> 8;
}

static void make_header(unsigned char h[44], int rate, uint32_t data_bytes)
{
    memcpy(h, "RIFF", 4);
    put_u32(h + 4, 36 + data_bytes);
    memcpy(h + 8, "WAVEfmt ", 8);
    put_u32(h + 16, 16);
    put_u16(h + 20, 1);                 /* PCM */
    put_u16(h + 22, 1);                 /* mono */
    put_u32(h + 24, (uint32_t)rate);
    put_u32(h + 28, (uint32_t)rate * 2);
    put_u16(h + 32, 2);
    put_u16(h + 34, 16);
    memcpy(h + 36, "data", 4);
    put_u32(h + 40, data_bytes);
}

es_status es_wav_writer_open(const char *path, int sample_rate,
                             es_wav_writer **out, es_error *err)
{
    *out = NULL;
    if (!path || sample_rate <= 0)
        return es_fail(err, ES_ERR_INVALID_ARG, "wav: bad path or sample rate");
    es_wav_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    }
    w->f = fopen(path, "wb");
    if (!w->f) {
        es_status st = es_fail(err, ES_ERR_IO, "%s: cannot create: %s", path,
                               strerror(errno));
        free(w->path);
        free(w);
        return st;
    }
    w->sample_rate = sample_rate;
    unsigned char h[44];
    make_header(h, sample_rate, 0);
    if (fwrite(h, 1, 44, w->f) != 44) {
        fclose(w->f);
        free(w->path);
        free(w);
        return es_fail(err, ES_ERR_IO, "%s: write failed", path);
    }
    *out = w;
    return ES_OK;
}

es_status es_wav_writer_write(es_wav_writer *w, const float *x, size_t n,
                              es_error *err)
{
    unsigned char buf[4096];
    size_t done = 0;
    while (done < n) {
        size_t m = n - done < sizeof buf / 2 ? n - done : sizeof buf / 2;
        for (size_t i = 0; i < m; i++) {
            float v = x[done + i] * 32768.0f;
            long s = lrintf(v > 32767.0f ? 32767.0f : (v < -32768.0f ? -32768.0f : v));
            put_u16(buf + 2 * i, (uint16_t)(int16_t)s);
        }
        if (fwrite(buf, 2, m, w->f) != m)
            return es_fail(err, ES_ERR_IO, "%s: write failed: %s", w->path,
                           strerror(errno));
        done += m;
    }
    w->n_samples += n;
    return ES_OK;
}

es_status es_wav_writer_close(es_wav_writer *w, es_error *err)
{
    es_status st = ES_OK;
    if (!w) return ES_OK;
    if (w->n_samples * 2 > 0xFFFFFFFFull - 36) {
        st = es_fail(err, ES_ERR_INVALID_ARG,
                     "%s: audio too long for a WAV file (4 GiB limit)", w->path);
    } else {
        unsigned char h[44];
        make_header(h, w->sample_rate, (uint32_t)(w->n_samples * 2));
        if (fseek(w->f, 0, SEEK_SET) != 0 || fwrite(h, 1, 44, w->f) != 44)
            st = es_fail(err, ES_ERR_IO, "%s: cannot finish header", w->path);
    }
    if (fclose(w->f) != 0 && st == ES_OK)
        st = es_fail(err, ES_ERR_IO, "%s: close failed", w->path);
    free(w->path);
    free(w);
    return st;
}
