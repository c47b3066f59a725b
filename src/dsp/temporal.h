/* temporal.h — time-domain frame descriptors of the feature vector: zero
 * crossing rate (librosa.feature.zero_crossing_rate, centred with edge
 * padding) and RMS (librosa.feature.rms, centred with zero padding), both on
 * frames of 2·hop samples, hop apart — the STFT's grid. */
#ifndef ES_DSP_TEMPORAL_H
#define ES_DSP_TEMPORAL_H

#include <stddef.h>

/* Frames: 1 + n / hop. block is scratch of (n / hop + 2) doubles and the
 * same number of ints. zcr / rms receive one value per frame. */
void es_zcr_rms(const float *x, size_t n, int hop, double *block_energy,
                int *block_crossings, float *zcr, float *rms);

#endif
