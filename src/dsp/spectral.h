/* spectral.h — per-frame spectral shape descriptors of the feature vector,
 * all from one power spectrum: centroid, bandwidth, rolloff (on magnitude),
 * flatness (on power) and octave-band contrast (on magnitude). Definitions
 * follow librosa.feature.spectral_*; docs/FEATURES.md states them exactly. */
#ifndef ES_DSP_SPECTRAL_H
#define ES_DSP_SPECTRAL_H

#define ES_CONTRAST_BANDS 7     /* n_bands 6 → 7 values */

typedef struct es_spectral {
    int n_bins;
    float *freq;                /* bin centre frequencies, Hz             */
    float *mag;                 /* scratch: |X| of the current frame      */
    /* contrast band b: bins [lo, hi) are ranked; q = bins averaged at each
     * end (librosa: max(1, rint(quantile · band size)))                 */
    int band_lo[ES_CONTRAST_BANDS], band_hi[ES_CONTRAST_BANDS];
    int band_q[ES_CONTRAST_BANDS];
} es_spectral;

typedef struct es_spectral_frame {
    float centroid, bandwidth, rolloff, flatness;
    float contrast[ES_CONTRAST_BANDS];
} es_spectral_frame;

/* Contrast bands: edges [0, fmin, 2·fmin, …, fmin·2^(n−1)], the last band
 * running to Nyquist. Returns 0, or -1 on bad arguments / no memory. */
int es_spectral_init(es_spectral *s, int sample_rate, int n_fft, double fmin,
                     double quantile);
void es_spectral_free(es_spectral *s);

void es_spectral_compute(es_spectral *s, const float *power,
                         es_spectral_frame *out);

#endif
