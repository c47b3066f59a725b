/* mel.h — Slaney-style mel filterbanks (librosa.filters.mel with htk=False,
 * norm='slaney'), the filters of both Whisper's front end and the MFCCs, and
 * the periodic Hann window. */
#ifndef ES_DSP_MEL_H
#define ES_DSP_MEL_H

/* Slaney mel scale: linear below 1 kHz, logarithmic above. */
double es_hz_to_mel(double hz);
double es_mel_to_hz(double mel);

/* Fills out[n_mels × (n_fft/2+1)] row-major with area-normalised triangular
 * filters between fmin and fmax (Hz). Returns 0, or -1 on bad arguments. */
int es_mel_filters(int sample_rate, int n_fft, int n_mels, double fmin,
                   double fmax, float *out);

/* Periodic Hann window of length n (scipy.signal.get_window('hann', n)). */
void es_hann_periodic(int n, float *out);

#endif
