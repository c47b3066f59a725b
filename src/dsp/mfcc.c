/* mfcc.c — mel power → dB → MFCC → deltas.
 *
 * Deltas: with polyorder equal to the derivative order, the fitted
 * polynomial's order-th derivative is a constant, so savgol_filter's 'interp'
 * edge handling (fit the first/last window, evaluate there) equals the
 * interior filter applied at the nearest full window. Every frame is
 * therefore one dot product with the window centre clamped to
 * [h, n_frames − 1 − h]. */
#include "dsp/mfcc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/mel.h"

int es_melbank_init(es_melbank *b, int sample_rate, int n_fft, int n_mels,
                    double fmin, double fmax)
{
    memset(b, 0, sizeof *b);
    int nb = n_fft / 2 + 1;
    float *dense = malloc(sizeof(float) * (size_t)n_mels * (size_t)nb);
    if (!dense) return -1;
    if (es_mel_filters(sample_rate, n_fft, n_mels, fmin, fmax, dense) != 0) {
        free(dense);
        return -1;
    }
    b->n_mels = n_mels;
    b->n_bins = nb;
    b->start = calloc((size_t)n_mels, sizeof(int));
    b->len = calloc((size_t)n_mels, sizeof(int));
    b->offset = calloc((size_t)n_mels, sizeof(int));
    size_t total = 0;
    for (int m = 0; m < n_mels; m++) {
        const float *row = dense + (size_t)m * nb;
        int lo = 0, hi = nb;
        while (lo < nb && row[lo] == 0.0f) lo++;
        while (hi > lo && row[hi - 1] == 0.0f) hi--;
        total += (size_t)(hi - lo);
    }
    b->w = malloc(sizeof(float) * (total ? total : 1));
    if (!b->start || !b->len || !b->offset || !b->w) {
        free(dense);
        es_melbank_free(b);
        return -1;
    }
    int off = 0;
    for (int m = 0; m < n_mels; m++) {
        const float *row = dense + (size_t)m * nb;
        int lo = 0, hi = nb;
        while (lo < nb && row[lo] == 0.0f) lo++;
        while (hi > lo && row[hi - 1] == 0.0f) hi--;
        b->start[m] = lo;
        b->len[m] = hi - lo;
        b->offset[m] = off;
        memcpy(b->w + off, row + lo, sizeof(float) * (size_t)(hi - lo));
        off += hi - lo;
    }
    free(dense);
    return 0;
}

void es_melbank_free(es_melbank *b)
{
    if (!b) return;
    free(b->start);
    free(b->len);
    free(b->offset);
    free(b->w);
    memset(b, 0, sizeof *b);
}

void es_melbank_apply(const es_melbank *b, const float *power, float *mel)
{
    for (int m = 0; m < b->n_mels; m++) {
        const float *w = b->w + b->offset[m];
        const float *p = power + b->start[m];
        int n = b->len[m], k = 0;
        /* four partial sums: the filters are short, the adds are latency
         * bound otherwise */
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (; k + 4 <= n; k += 4) {
            a0 += w[k] * p[k];
            a1 += w[k + 1] * p[k + 1];
            a2 += w[k + 2] * p[k + 2];
            a3 += w[k + 3] * p[k + 3];
        }
        for (; k < n; k++) a0 += w[k] * p[k];
        mel[m] = (a0 + a1) + (a2 + a3);
    }
}

void es_power_to_db(float *x, size_t n, float top_db)
{
    /* 10·log10(v) = 10·log10(2)·log2(v); glibc's log2f is several times
     * faster than log10f and as accurate. */
    const float k = 3.01029995663981195f;
    float mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        float v = x[i] > 1e-10f ? x[i] : 1e-10f;
        v = k * log2f(v);
        x[i] = v;
        if (v > mx) mx = v;
    }
    float floor_db = mx - top_db;
    for (size_t i = 0; i < n; i++)
        if (x[i] < floor_db) x[i] = floor_db;
}

void es_dct_ortho_matrix(int n_in, int n_out, float *out)
{
    for (int i = 0; i < n_in; i++)
        for (int j = 0; j < n_out; j++) {
            double s = j == 0 ? sqrt(1.0 / n_in) : sqrt(2.0 / n_in);
            out[(size_t)i * n_out + j] =
                (float)(s * cos(M_PI * j * (2.0 * i + 1.0) / (2.0 * n_in)));
        }
}

void es_dct_apply(const float *dct, int n_in, int n_out, const float *x,
                  float *y)
{
    for (int j = 0; j < n_out; j++) y[j] = 0.0f;
    for (int i = 0; i < n_in; i++) {
        const float xi = x[i];
        const float *row = dct + (size_t)i * n_out;
        for (int j = 0; j < n_out; j++) y[j] += xi * row[j];
    }
}

int es_delta_width(size_t n_frames, int order, int width)
{
    if (n_frames >= (size_t)width) return width;
    int w = (int)n_frames;
    if (w % 2 == 0) w--;
    if (w < 3 || w <= order) return 0;
    return w;
}

/* Least-squares order-th derivative of a polyorder = order fit over
 * positions −h..h, as correlation weights c[0..2h]. */
static void savgol_derivative_weights(int order, int h, double *c)
{
    int w = 2 * h + 1;
    if (order == 1) {
        double den = 0;
        for (int j = -h; j <= h; j++) den += (double)j * j;
        for (int j = -h; j <= h; j++) c[j + h] = j / den;
        return;
    }
    /* order 2: the x² coefficient of the fit is the projection on
     * (j² − mean j²), which is orthogonal to 1 and j; derivative = 2·a2. */
    double mean = 0;
    for (int j = -h; j <= h; j++) mean += (double)j * j;
    mean /= w;
    double den = 0;
    for (int j = -h; j <= h; j++) den += ((double)j * j - mean) * ((double)j * j - mean);
    for (int j = -h; j <= h; j++) c[j + h] = 2.0 * ((double)j * j - mean) / den;
}

void es_delta(const float *x, size_t n_frames, int n_coef, int order,
              int width, float *out)
{
    size_t total = n_frames * (size_t)n_coef;
    if (width < 3 || (size_t)width > n_frames || width % 2 == 0 ||
        width <= order || (order != 1 && order != 2)) {
        memset(out, 0, sizeof(float) * total);
        return;
    }
    int h = width / 2;
    double cd[64];
    float c[64];
    if (h > 31) h = 31;
    savgol_derivative_weights(order, h, cd);
    for (int j = 0; j < 2 * h + 1; j++) c[j] = (float)cd[j];
    for (size_t t = 0; t < n_frames; t++) {
        size_t ctr = t;
        if (ctr < (size_t)h) ctr = (size_t)h;
        if (ctr > n_frames - 1 - (size_t)h) ctr = n_frames - 1 - (size_t)h;
        float *o = out + t * (size_t)n_coef;
        for (int k = 0; k < n_coef; k++) o[k] = 0.0f;
        for (int j = 0; j < 2 * h + 1; j++) {
            if (c[j] == 0.0f) continue;
            const float *xr = x + (ctr - (size_t)h + (size_t)j) * (size_t)n_coef;
            const float cj = c[j];
            for (int k = 0; k < n_coef; k++) o[k] += cj * xr[k];
        }
    }
}
