/* logmel.c — Whisper's log-mel front end, numerically the same as
 * openai/whisper's log_mel_spectrogram (audio.py):
 *
 *   stft = torch.stft(x, 400, 160, window=hann(400, periodic), center=True,
 *                     pad_mode="reflect");  power = |stft[..., :-1]|²
 *   mel  = filters @ power;  log = log10(max(mel, 1e-10))
 *   log  = max(log, log.max() - 8);  out = (log + 4) / 4
 *
 * Frames: torch gives 1 + n/160 frames over the reflect-padded signal and
 * whisper drops the last, so n samples give n/160 frames (integer division);
 * frame t is centred on sample 160·t. Output is [n_mels × n_frames] row-major.
 *
 * Short input. n < 160 gives 0 frames: ES_OK and nothing is written (samples
 * and out may then be NULL). torch.stft refuses reflect padding of 200
 * samples when n ≤ 200; here padding follows numpy.pad(mode="reflect"),
 * which mirrors repeatedly (period 2·(n−1)) for such signals, so
 * 160 ≤ n ≤ 200 gives one well-defined frame instead of an error. For n > 200
 * the two paddings are identical.
 *
 * Non-finite or overflowing samples (NaN, ±inf, |x| ≳ 1e17) give
 * ES_ERR_INVALID_ARG rather than a spectrogram of NaNs.
 *
 * Performance: one FFT plan, the window and a sparse copy of the filters
 * (each band keeps only its nonzero span of bins) live in the handle with the
 * frame scratch, so compute allocates nothing. Single precision throughout
 * (float FFT, float accumulation over a band's few bins, logf); the result
 * stays within 5e-5 of a float64 reference (jfk.wav: 1.3e-5): float FFT
 * round-off only shows in bands close to the max − 8 floor, and anything
 * below it is clamped anyway. Single-threaded and in a
 * fixed order, hence deterministic. */
#include "earshot.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "dsp/fft.h"
#include "dsp/mel.h"
#include "models/whisper/ggml_mel.h"

#define N_FFT 400
#define N_BINS (N_FFT / 2 + 1)
#define HOP 160
#define PAD (N_FFT / 2)
#define LOG10_E 0.434294481903251827651f

/* The nonzero span of one mel filter: weights[off .. off+len) apply to bins
 * start .. start+len. */
typedef struct mel_band {
    int start;
    int len;
    size_t off;
} mel_band;

struct es_logmel {
    int n_mels;
    es_rfft *fft;
    mel_band *bands;        /* [n_mels] */
    float *weights;         /* packed nonzero spans of all bands */
    float window[N_FFT];    /* periodic Hann */
    float power[N_BINS];    /* scratch: its power spectrum */
};

es_status es_logmel_create(int n_mels, const float *filters, es_logmel **out,
                           es_error *err)
{
    if (!out)
        return es_fail(err, ES_ERR_INVALID_ARG, "es_logmel_create: out is NULL");
    *out = NULL;
    if (n_mels != 80 && n_mels != 128)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "log-mel: n_mels is %d, but Whisper models use 80 "
                       "(v1/v2) or 128 (large-v3)", n_mels);

    float *dense = NULL;
    if (!filters) {
        dense = malloc(sizeof(float) * (size_t)n_mels * N_BINS);
        if (!dense) return es_fail(err, ES_ERR_NOMEM, "log-mel: out of memory");
        if (es_mel_filters(ES_SAMPLE_RATE, N_FFT, n_mels, 0.0, ES_SAMPLE_RATE / 2.0,
                           dense) != 0) {
            free(dense);
            return es_fail(err, ES_ERR_INTERNAL, "log-mel: cannot build mel filters");
        }
        filters = dense;
    } else {
        for (size_t i = 0; i < (size_t)n_mels * N_BINS; i++)
            if (!isfinite(filters[i]) || filters[i] < 0.0f)
                return es_fail(err, ES_ERR_INVALID_ARG,
                               "log-mel: mel filter %zu, bin %zu is %g; filters "
                               "must be finite and non-negative",
                               i / N_BINS, i % N_BINS, (double)filters[i]);
    }

    es_logmel *m = calloc(1, sizeof *m);
    if (!m) {
        free(dense);
        return es_fail(err, ES_ERR_NOMEM, "log-mel: out of memory");
    }
    m->n_mels = n_mels;
    m->fft = es_rfft_create(N_FFT);
    m->bands = calloc((size_t)n_mels, sizeof *m->bands);
    size_t total = 0;
    for (int b = 0; b < n_mels; b++) {
        const float *w = filters + (size_t)b * N_BINS;
        int lo = 0, hi = N_BINS - 1;
        while (lo < N_BINS && w[lo] == 0.0f) lo++;
        while (hi >= lo && w[hi] == 0.0f) hi--;
        total += lo < N_BINS ? (size_t)(hi - lo + 1) : 0;
    }
    m->weights = malloc(sizeof(float) * (total ? total : 1));
    if (!m->fft || !m->bands || !m->weights) {
        free(dense);
        es_logmel_free(m);
        return es_fail(err, ES_ERR_NOMEM, "log-mel: out of memory");
    }
    size_t off = 0;
    for (int b = 0; b < n_mels; b++) {
        const float *w = filters + (size_t)b * N_BINS;
        int lo = 0, hi = N_BINS - 1;
        while (lo < N_BINS && w[lo] == 0.0f) lo++;
        while (hi >= lo && w[hi] == 0.0f) hi--;
        mel_band *band = &m->bands[b];
        band->off = off;
        band->start = lo < N_BINS ? lo : 0;
        band->len = lo < N_BINS ? hi - lo + 1 : 0;
        memcpy(m->weights + off, w + band->start, sizeof(float) * (size_t)band->len);
        off += (size_t)band->len;
    }
    es_hann_periodic(N_FFT, m->window);
    free(dense);
    *out = m;
    return ES_OK;
}

es_status es_logmel_create_from_ggml(const char *model_path, es_logmel **out,
                                     es_error *err)
{
    if (!out)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "es_logmel_create_from_ggml: out is NULL");
    *out = NULL;
    if (!model_path)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "es_logmel_create_from_ggml: model path is NULL");
    es_whisper_ggml_header h;
    es_status s = es_whisper_ggml_load_header(model_path, &h, err);
    if (s != ES_OK) return s;
    if (h.n_mel != 80 && h.n_mel != 128) {
        int n = h.n_mel;
        es_whisper_ggml_header_free(&h);
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: the model's mel filterbank has %d bands; earshot "
                       "supports Whisper models with 80 or 128", model_path, n);
    }
    /* The reader has already checked the filter values. */
    s = es_logmel_create(h.n_mel, h.mel_filters, out, err);
    es_whisper_ggml_header_free(&h);
    return s;
}

int es_logmel_n_mels(const es_logmel *m) { return m ? m->n_mels : 0; }

size_t es_logmel_n_frames(size_t n_samples) { return n_samples / HOP; }

/* Index into x[0..n) of position j of the signal padded with PAD samples on
 * each side, as numpy.pad(mode="reflect"): mirror about the end samples
 * without repeating them, repeatedly when the pad is longer than n − 1. */
static size_t reflect_index(ptrdiff_t j, size_t n)
{
    if (n == 1) return 0;
    ptrdiff_t period = 2 * (ptrdiff_t)(n - 1);
    j %= period;
    if (j < 0) j += period;
    return (size_t)(j < (ptrdiff_t)n ? j : period - j);
}

es_status es_logmel_compute(es_logmel *m, const float *samples, size_t n,
                            float *out, es_error *err)
{
    if (!m)
        return es_fail(err, ES_ERR_INVALID_ARG, "es_logmel_compute: handle is NULL");
    size_t n_frames = es_logmel_n_frames(n);
    if (n_frames == 0) return ES_OK;
    if (!samples || !out)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "es_logmel_compute: %s is NULL", samples ? "out" : "samples");

    const int n_mels = m->n_mels;
    float max_log = -INFINITY;
    float *frame = es_rfft_input(m->fft);   /* the plan's aligned input */
    for (size_t t = 0; t < n_frames; t++) {
        ptrdiff_t start = (ptrdiff_t)(t * HOP) - PAD;
        if (start >= 0 && (size_t)start + N_FFT <= n) {
            const float *x = samples + start;
            for (int i = 0; i < N_FFT; i++) frame[i] = x[i] * m->window[i];
        } else {
            for (int i = 0; i < N_FFT; i++)
                frame[i] = samples[reflect_index(start + i, n)] * m->window[i];
        }
        es_rfft_power_of_input(m->fft, m->power);

        for (int b = 0; b < n_mels; b++) {
            const mel_band *band = &m->bands[b];
            const float *w = m->weights + band->off;
            const float *p = m->power + band->start;
            float sum = 0.0f;
            for (int k = 0; k < band->len; k++) sum += w[k] * p[k];
            if (!(sum <= FLT_MAX))   /* NaN or +inf */
                return es_fail(err, ES_ERR_INVALID_ARG,
                               "log-mel: samples near %.3f s are NaN, infinite or "
                               "far out of range; samples should lie in [-1, 1]",
                               (double)(t * HOP) / ES_SAMPLE_RATE);
            /* log10 as logf·log10(e): glibc's logf is the fast, <1 ulp
             * implementation, its log10f a slower wrapper; the product is
             * within ~1e-6 of log10 over the range used (−10..+12). */
            float v = logf(sum > 1e-10f ? sum : 1e-10f) * LOG10_E;
            out[(size_t)b * n_frames + t] = v;
            if (v > max_log) max_log = v;
        }
    }

    const float floor_log = max_log - 8.0f;
    const size_t total = (size_t)n_mels * n_frames;
    for (size_t i = 0; i < total; i++) {
        float v = out[i] > floor_log ? out[i] : floor_log;
        out[i] = (v + 4.0f) * 0.25f;
    }
    return ES_OK;
}

void es_logmel_free(es_logmel *m)
{
    if (!m) return;
    es_rfft_free(m->fft);
    free(m->bands);
    free(m->weights);
    free(m);
}
