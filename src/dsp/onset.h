/* onset.h — rhythm part of the feature vector: an onset-strength envelope
 * from the mel dB spectrogram and a global tempo from its autocorrelation. */
#ifndef ES_DSP_ONSET_H
#define ES_DSP_ONSET_H

#include <stddef.h>

/* onset[t] = mean over mels of max(0, db[t][m] − db[t−1][m]) for t ≥ 1,
 * onset[0] = 0. db is [n_frames × n_mels] frame-major. */
void es_onset_envelope(const float *db, size_t n_frames, int n_mels,
                       float *onset);

#define ES_TEMPO_MIN_BPM 30.0
#define ES_TEMPO_MAX_BPM 300.0
#define ES_TEMPO_PRIOR_BPM 120.0
#define ES_TEMPO_PRIOR_STD 1.0   /* octaves */

/* Tempo of an envelope sampled at fps frames per second: the lag in
 * [ceil(60·fps/300), floor(60·fps/30)] maximising ac[lag]·prior(bpm(lag)),
 * refined by a parabola through its neighbours; *confidence =
 * ac[best]/ac[0]. Both are 0 when n_frames ≤ the largest lag or ac[0] = 0. */
void es_tempo(const float *onset, size_t n_frames, double fps, double *bpm,
              double *confidence);

#endif
