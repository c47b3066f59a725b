/* mel.c — mel filterbank and window construction. Computed in double and
 * rounded once, so the filters match librosa/openai's float32 tables to
 * ~1e-8. */
#include "dsp/mel.h"

#include <math.h>
#include <stdlib.h>

#define F_SP (200.0 / 3.0)     /* Hz per mel below the break */
#define MIN_LOG_HZ 1000.0
#define MIN_LOG_MEL (MIN_LOG_HZ / F_SP)
#define LOGSTEP (log(6.4) / 27.0)

double es_hz_to_mel(double hz)
{
    if (hz >= MIN_LOG_HZ) return MIN_LOG_MEL + log(hz / MIN_LOG_HZ) / LOGSTEP;
    return hz / F_SP;
}

double es_mel_to_hz(double mel)
{
    if (mel >= MIN_LOG_MEL) return MIN_LOG_HZ * exp(LOGSTEP * (mel - MIN_LOG_MEL));
    return F_SP * mel;
}

int es_mel_filters(int sample_rate, int n_fft, int n_mels, double fmin,
                   double fmax, float *out)
{
    if (sample_rate <= 0 || n_fft < 2 || n_mels < 1 || fmin < 0 || fmax <= fmin)
        return -1;
    int n_bins = n_fft / 2 + 1;
    double *pts = malloc(sizeof(double) * (size_t)(n_mels + 2));
    if (!pts) return -1;
    double mlo = es_hz_to_mel(fmin), mhi = es_hz_to_mel(fmax);
    for (int i = 0; i < n_mels + 2; i++)
        pts[i] = es_mel_to_hz(mlo + (mhi - mlo) * i / (n_mels + 1));
    for (int m = 0; m < n_mels; m++) {
        double lo = pts[m], ce = pts[m + 1], hi = pts[m + 2];
        double enorm = 2.0 / (hi - lo);
        for (int k = 0; k < n_bins; k++) {
            double f = (double)k * sample_rate / n_fft;
            double up = (f - lo) / (ce - lo), down = (hi - f) / (hi - ce);
            double w = up < down ? up : down;
            out[(size_t)m * n_bins + k] = (float)((w > 0 ? w : 0) * enorm);
        }
    }
    free(pts);
    return 0;
}

void es_hann_periodic(int n, float *out)
{
    for (int i = 0; i < n; i++)
        out[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / n));
}
