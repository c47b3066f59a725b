/* mfcc.h — the cepstral part of the feature vector: a sparse Slaney mel
 * filterbank, power_to_db with librosa's top_db floor, the orthonormal
 * DCT-II and Savitzky–Golay deltas (librosa.feature.delta, mode 'interp'). */
#ifndef ES_DSP_MFCC_H
#define ES_DSP_MFCC_H

#include <stddef.h>

/* A mel filterbank with each filter's zero weights dropped: filter m covers
 * bins [start[m], start[m] + len[m]) with weights w + offset[m]. */
typedef struct es_melbank {
    int n_mels, n_bins;
    int *start, *len, *offset;
    float *w;
} es_melbank;

/* Slaney filters (librosa.filters.mel, htk=False, norm='slaney').
 * Returns 0, or -1 on bad arguments / allocation failure. */
int es_melbank_init(es_melbank *b, int sample_rate, int n_fft, int n_mels,
                    double fmin, double fmax);
void es_melbank_free(es_melbank *b);
/* mel[m] = Σ_k w[m,k]·power[k]. */
void es_melbank_apply(const es_melbank *b, const float *power, float *mel);

/* In place: x = 10·log10(max(1e-10, x)), then x = max(x, max(x) − top_db)
 * over all n values (librosa.power_to_db with ref 1.0, amin 1e-10). */
void es_power_to_db(float *x, size_t n, float top_db);

/* The n_in → n_out orthonormal DCT-II (scipy.fft.dct(type=2, norm='ortho'),
 * first n_out outputs), stored transposed: out[i·n_out + j] = basis j at
 * input i, so a frame is transformed with contiguous axpy updates. */
void es_dct_ortho_matrix(int n_in, int n_out, float *out);
/* y[j] = Σ_i x[i]·dct[i·n_out + j]. */
void es_dct_apply(const float *dct, int n_in, int n_out, const float *x,
                  float *y);

/* Width actually used for a delta of `order` over n_frames frames: 9, or
 * for short inputs the largest odd width ≤ n_frames that is ≥ 3 and > order;
 * 0 when there is none (then the delta is all zeros). */
int es_delta_width(size_t n_frames, int order, int width);

/* Savitzky–Golay derivative of order `order` (1 or 2) with polyorder =
 * order along time, scipy.signal.savgol_filter(mode='interp') semantics.
 * x and out are [n_frames × n_coef] frame-major; out must not alias x. */
void es_delta(const float *x, size_t n_frames, int n_coef, int order,
              int width, float *out);

#endif
