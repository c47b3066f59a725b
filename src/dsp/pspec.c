/* pspec.c — centred, windowed power spectra, one frame at a time, with no
 * allocation per frame; the FFT is es_rfft (dsp/fft.h). */
#include "dsp/pspec.h"

#include <stdlib.h>
#include <string.h>

#include "dsp/fft.h"
#include "dsp/mel.h"

struct es_pspec {
    int n_fft, hop;
    float *window;          /* n_fft                                      */
    es_rfft *fft;
};

es_pspec *es_pspec_create(int n_fft, int hop)
{
    if (n_fft < 2 || n_fft % 2 || hop < 1) return NULL;
    es_pspec *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->n_fft = n_fft;
    s->hop = hop;
    s->window = malloc(sizeof(float) * (size_t)n_fft);
    s->fft = es_rfft_create(n_fft);
    if (!s->window || !s->fft) {
        es_pspec_free(s);
        return NULL;
    }
    es_hann_periodic(n_fft, s->window);
    return s;
}

void es_pspec_free(es_pspec *s)
{
    if (!s) return;
    es_rfft_free(s->fft);
    free(s->window);
    free(s);
}

size_t es_pspec_n_frames(const es_pspec *s, size_t n)
{
    return 1 + n / (size_t)s->hop;
}

void es_pspec_frame(es_pspec *s, const float *x, size_t n, size_t t,
                    float *power)
{
    const int nf = s->n_fft, half = nf / 2;
    float *f = es_rfft_input(s->fft);
    /* frame sample i is x[t*hop - half + i]; valid i in [lo, hi) */
    long long start = (long long)t * s->hop - half;
    long long lo = start < 0 ? -start : 0;
    long long hi = (long long)n - start;
    if (hi > nf) hi = nf;
    if (hi < lo) hi = lo;
    for (long long i = 0; i < lo; i++) f[i] = 0.0f;
    if (hi > lo) {
        const float *src = x + (start + lo);
        const float *w = s->window + lo;
        float *dst = f + lo;
        for (long long i = 0; i < hi - lo; i++) dst[i] = w[i] * src[i];
    }
    for (long long i = hi; i < nf; i++) f[i] = 0.0f;

    es_rfft_power_of_input(s->fft, power);
}
