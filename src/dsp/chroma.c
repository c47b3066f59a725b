/* chroma.c — librosa.filters.chroma, transcribed in double: Gaussian bumps
 * around each pitch class in units of semitone-bins, each FFT bin's column
 * normalised to unit L2 norm, weighted by a Gaussian over octaves centred on
 * ctroct, rolled so that row 0 is C. No entry is exactly zero (the narrowest
 * bump is exp(−72)), so the matrix is applied dense, bin by bin. */
#include "dsp/chroma.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

int es_chroma_filters(int sample_rate, int n_fft, double *out)
{
    if (sample_rate <= 0 || n_fft < 2) return -1;
    const int nc = ES_N_CHROMA, nb = n_fft / 2 + 1;
    const double ctroct = 5.0, octwidth = 2.0, a440 = 440.0;
    double *frq = malloc(sizeof(double) * (size_t)n_fft);
    double *bw = malloc(sizeof(double) * (size_t)n_fft);
    double *w = malloc(sizeof(double) * (size_t)nc * (size_t)n_fft);
    if (!frq || !bw || !w) {
        free(frq);
        free(bw);
        free(w);
        return -1;
    }
    /* frqbins: bins 1..n_fft-1 in chroma units, bin 0 made up 1.5 octaves
     * below bin 1 */
    for (int k = 1; k < n_fft; k++) {
        double f = (double)sample_rate * k / n_fft;
        frq[k] = nc * log2(f / (a440 / 16.0));
    }
    frq[0] = frq[1] - 1.5 * nc;
    for (int k = 0; k < n_fft - 1; k++) {
        double d = frq[k + 1] - frq[k];
        bw[k] = d > 1.0 ? d : 1.0;
    }
    bw[n_fft - 1] = 1.0;
    const double half = round(nc / 2.0);
    for (int k = 0; k < n_fft; k++) {
        double norm = 0;
        for (int c = 0; c < nc; c++) {
            double d = fmod(frq[k] - c + half + 10.0 * nc, (double)nc);
            if (d < 0) d += nc;     /* np.remainder: sign of the divisor */
            d -= half;
            double g = exp(-0.5 * pow(2.0 * d / bw[k], 2.0));
            w[(size_t)c * n_fft + k] = g;
            norm += g * g;
        }
        norm = sqrt(norm);
        double oct = exp(-0.5 * pow((frq[k] / nc - ctroct) / octwidth, 2.0));
        for (int c = 0; c < nc; c++) {
            double *v = &w[(size_t)c * n_fft + k];
            if (norm > 0) *v /= norm;
            *v *= oct;
        }
    }
    /* base_c: np.roll(wts, -3, axis=0) → out row c = w row (c + 3) mod 12 */
    for (int c = 0; c < nc; c++)
        for (int k = 0; k < nb; k++)
            out[(size_t)c * nb + k] = w[(size_t)((c + 3) % nc) * n_fft + k];
    free(frq);
    free(bw);
    free(w);
    return 0;
}

int es_chromabank_init(es_chromabank *b, int sample_rate, int n_fft)
{
    b->n_bins = 0;
    b->wt = NULL;
    int nb = n_fft / 2 + 1;
    double *dense = malloc(sizeof(double) * ES_N_CHROMA * (size_t)nb);
    b->wt = malloc(sizeof(float) * ES_N_CHROMA * (size_t)nb);
    if (!dense || !b->wt || es_chroma_filters(sample_rate, n_fft, dense) != 0) {
        free(dense);
        free(b->wt);
        b->wt = NULL;
        return -1;
    }
    b->n_bins = nb;
    for (int k = 0; k < nb; k++)
        for (int c = 0; c < ES_N_CHROMA; c++)
            b->wt[(size_t)k * ES_N_CHROMA + c] =
                (float)dense[(size_t)c * nb + k];
    free(dense);
    return 0;
}

void es_chromabank_free(es_chromabank *b)
{
    if (!b) return;
    free(b->wt);
    b->wt = NULL;
    b->n_bins = 0;
}

void es_chromabank_apply(const es_chromabank *b, const float *power,
                         float *out)
{
    float acc[ES_N_CHROMA] = {0};
    const float *w = b->wt;
    for (int k = 0; k < b->n_bins; k++, w += ES_N_CHROMA) {
        const float p = power[k];
        for (int c = 0; c < ES_N_CHROMA; c++) acc[c] += p * w[c];
    }
    float mx = 0.0f;
    for (int c = 0; c < ES_N_CHROMA; c++)
        if (acc[c] > mx) mx = acc[c];
    if (!(mx >= FLT_MIN)) mx = 1.0f;
    for (int c = 0; c < ES_N_CHROMA; c++) out[c] = acc[c] / mx;
}
