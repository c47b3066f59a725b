/* fft.h — real-input FFT (KissFFT, mixed radix so n_fft 400 works) and the
 * power spectrum every front end starts from. */
#ifndef ES_DSP_FFT_H
#define ES_DSP_FFT_H

#include <stddef.h>

typedef struct es_rfft es_rfft;

/* n must be even. Returns NULL on allocation failure. */
es_rfft *es_rfft_create(int n);
void es_rfft_free(es_rfft *p);
int es_rfft_size(const es_rfft *p);

/* power[k] = |X[k]|² for k = 0..n/2 of the n real samples in frame. */
void es_rfft_power(es_rfft *p, const float *frame, float *power);

/* Magnitudes |X[k]| for k = 0..n/2. */
void es_rfft_magnitude(es_rfft *p, const float *frame, float *mag);

#endif
