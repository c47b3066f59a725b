/* chroma.h — the 12 pitch-class energies of the feature vector:
 * librosa.filters.chroma (tuning 0, ctroct 5, octwidth 2, norm 2, base_c)
 * applied to the power spectrum, each frame scaled to max 1
 * (librosa.feature.chroma_stft with norm=inf). Class 0 is C. */
#ifndef ES_DSP_CHROMA_H
#define ES_DSP_CHROMA_H

#define ES_N_CHROMA 12

typedef struct es_chromabank {
    int n_bins;
    float *wt;              /* [n_bins × 12]: bin-major for axpy updates  */
} es_chromabank;

/* Returns 0, or -1 on bad arguments / allocation failure. */
int es_chromabank_init(es_chromabank *b, int sample_rate, int n_fft);
void es_chromabank_free(es_chromabank *b);

/* Fills the dense librosa matrix [12 × (n_fft/2+1)] (row-major, double) —
 * for tests; the bank stores the same values as float. */
int es_chroma_filters(int sample_rate, int n_fft, double *out);

/* out[c] = (W·power)[c] / max_c (W·power)[c]; a frame whose maximum is
 * below FLT_MIN is left unscaled (librosa.util.normalize's threshold). */
void es_chromabank_apply(const es_chromabank *b, const float *power,
                         float *out);

#endif
