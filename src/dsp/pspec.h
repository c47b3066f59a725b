/* pspec.h — the power spectrogram behind the sound feature vector:
 * centred frames (zero padding of n_fft/2 on each side, librosa ≥ 0.10's
 * default), periodic Hann window, |X|², one frame at a time. */
#ifndef ES_DSP_PSPEC_H
#define ES_DSP_PSPEC_H

#include <stddef.h>

typedef struct es_pspec es_pspec;

/* n_fft even, hop ≥ 1. Returns NULL on bad arguments or allocation failure. */
es_pspec *es_pspec_create(int n_fft, int hop);
void es_pspec_free(es_pspec *s);

/* Frames of a centred STFT of n samples: 1 + n / hop. */
size_t es_pspec_n_frames(const es_pspec *s, size_t n);

/* power[0 .. n_fft/2] = |FFT(window · frame t)|², frame t covering samples
 * [t·hop − n_fft/2, t·hop + n_fft/2) with zeros outside [0, n). */
void es_pspec_frame(es_pspec *s, const float *x, size_t n, size_t t,
                    float *power);

#endif
