/* fft.h — the one real-input FFT of earshot and the power spectrum every
 * front end starts from. FFmpeg's av_tx (SIMD; already linked for decoding)
 * does power-of-two sizes (after a cross-check with KissFFT when the plan is
 * made); KissFFT (mixed radix) does every other size, e.g. Whisper's 400. Both agree to float32 rounding (tests/unit/test_fft.c). */
#ifndef ES_DSP_FFT_H
#define ES_DSP_FFT_H

#include <stddef.h>

typedef struct es_rfft es_rfft;

/* n must be even. Returns NULL on bad size or allocation failure.
 * force_kiss = 1 selects the KissFFT path (for tests and comparisons). */
es_rfft *es_rfft_create(int n);
es_rfft *es_rfft_create_with(int n, int force_kiss);
void es_rfft_free(es_rfft *p);
int es_rfft_size(const es_rfft *p);
/* 1 when av_tx does the transform, 0 for KissFFT. */
int es_rfft_uses_av_tx(const es_rfft *p);

/* The plan's aligned input buffer of n floats: fill it, then call
 * es_rfft_power_of_input. Saves a copy on hot paths. */
float *es_rfft_input(es_rfft *p);
/* power[k] = |X[k]|², k = 0..n/2, of the samples in es_rfft_input(p). The
 * input buffer's contents are unspecified afterwards. */
void es_rfft_power_of_input(es_rfft *p, float *power);

/* Same, from any buffer of n samples (copied into the input buffer). */
void es_rfft_power(es_rfft *p, const float *frame, float *power);
/* Magnitudes |X[k]|, k = 0..n/2. */
void es_rfft_magnitude(es_rfft *p, const float *frame, float *mag);

#endif
