/* fft.c — real FFT plans over av_tx, falling back to kiss_fftr. A plan owns
 * aligned input/output buffers, so frames are transformed with no
 * allocation. */
#include "dsp/fft.h"

#include <kissfft/kiss_fftr.h>
#include <libavutil/mem.h>
#include <libavutil/tx.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct es_rfft {
    int n;
    float *in;              /* n floats, av_malloc-aligned for SIMD         */
    float *out;             /* (n/2 + 1) complex as interleaved floats      */
    AVTXContext *tx;
    av_tx_fn tx_fn;
    kiss_fftr_cfg kiss;     /* used when tx is NULL                         */
};

es_rfft *es_rfft_create(int n) { return es_rfft_create_with(n, 0); }

/* av_tx plans some sizes wrongly (FFmpeg 5.1 gives wrong spectra for
 * n = 30, for instance), so a new av_tx plan is trusted only after it agrees
 * with KissFFT on a fixed test frame. Costs two transforms per plan. */
static int av_tx_agrees_with_kiss(es_rfft *p)
{
    int n = p->n, ok = 1;
    float *x = malloc(sizeof(float) * (size_t)n);
    kiss_fft_cpx *ref = malloc(sizeof(kiss_fft_cpx) * (size_t)(n / 2 + 1));
    if (!x || !ref) ok = 0;
    for (int i = 0; ok && i < n; i++)
        x[i] = (float)sin(0.37 * i * i + 0.5) + 0.25f * (float)(i % 7);
    if (ok) {
        kiss_fftr(p->kiss, x, ref);
        memcpy(p->in, x, sizeof(float) * (size_t)n);
        p->tx_fn(p->tx, p->out, p->in, sizeof(float));
        double peak = 0, err = 0;
        for (int k = 0; k <= n / 2; k++) {
            double re = p->out[2 * k], im = (k == 0 || k == n / 2) ? 0 : p->out[2 * k + 1];
            double rim = (k == 0 || k == n / 2) ? 0 : ref[k].i;
            double m = fabs(ref[k].r) + fabs(rim);
            if (m > peak) peak = m;
            double e = fabs(re - ref[k].r) + fabs(im - rim);
            if (e > err) err = e;
        }
        ok = err <= 1e-4 * (peak > 1 ? peak : 1);
    }
    free(x);
    free(ref);
    return ok;
}

es_rfft *es_rfft_create_with(int n, int force_kiss)
{
    if (n < 2 || n % 2) return NULL;
    es_rfft *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = n;
    /* Padding: av_tx's SIMD code may touch whole vectors past the end. */
    p->in = av_malloc(sizeof(float) * (size_t)(n + 16));
    p->out = av_malloc(sizeof(float) * (size_t)(n + 16));
    if (!p->in || !p->out) goto fail;
    if (!(p->kiss = kiss_fftr_alloc(n, 0, NULL, NULL))) goto fail;
    /* av_tx is fast for powers of two; for other sizes FFmpeg 5.1 may take
     * an O(n²) path (n = 400: 300× slower than KissFFT), so those stay on
     * KissFFT. A fixed rule, not a timing, keeps results reproducible. */
    float scale = 1.0f;
    if (force_kiss || (n & (n - 1)) != 0 ||
        av_tx_init(&p->tx, &p->tx_fn, AV_TX_FLOAT_RDFT, 0, n, &scale, 0) < 0)
        p->tx = NULL;
    if (p->tx && !av_tx_agrees_with_kiss(p)) av_tx_uninit(&p->tx);
    if (p->tx) {               /* keep only the back end in use */
        kiss_fftr_free(p->kiss);
        p->kiss = NULL;
    }
    return p;
fail:
    es_rfft_free(p);
    return NULL;
}

void es_rfft_free(es_rfft *p)
{
    if (!p) return;
    av_tx_uninit(&p->tx);
    kiss_fftr_free(p->kiss);
    av_free(p->in);
    av_free(p->out);
    free(p);
}

int es_rfft_size(const es_rfft *p) { return p->n; }
int es_rfft_uses_av_tx(const es_rfft *p) { return p->tx != NULL; }
float *es_rfft_input(es_rfft *p) { return p->in; }

void es_rfft_power_of_input(es_rfft *p, float *power)
{
    const int half = p->n / 2;
    const float *c = p->out;
    if (p->tx) {
        p->tx_fn(p->tx, p->out, p->in, sizeof(float));
    } else {
        kiss_fftr(p->kiss, p->in, (kiss_fft_cpx *)p->out);
    }
    /* DC and Nyquist are real. FFmpeg 5.1's RDFT leaves the Nyquist
     * imaginary slot unwritten, so it is never read. */
    power[0] = c[0] * c[0];
    for (int k = 1; k < half; k++)
        power[k] = c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1];
    power[half] = c[2 * half] * c[2 * half];
}

void es_rfft_power(es_rfft *p, const float *frame, float *power)
{
    memcpy(p->in, frame, sizeof(float) * (size_t)p->n);
    es_rfft_power_of_input(p, power);
}

void es_rfft_magnitude(es_rfft *p, const float *frame, float *mag)
{
    es_rfft_power(p, frame, mag);
    for (int k = 0; k <= p->n / 2; k++) mag[k] = sqrtf(mag[k]);
}
