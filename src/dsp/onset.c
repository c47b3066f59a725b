/* onset.c — onset envelope and tempo.
 *
 * The tempo is a single estimate for the chunk: the raw autocorrelation
 * ac[L] = Σ_t o[t]·o[t+L] (no mean removal, like librosa's tempogram) is
 * weighted by librosa's log-normal tempo prior
 * w = exp(−½((log2 bpm − log2 120)/1)²); the best lag is refined by
 * parabolic interpolation of the weighted curve, because at 31.25 frames/s
 * one lag step near 120 BPM is ~7.5 BPM. */
#include "dsp/onset.h"

#include <math.h>

void es_onset_envelope(const float *db, size_t n_frames, int n_mels,
                       float *onset)
{
    if (n_frames == 0) return;
    onset[0] = 0.0f;
    for (size_t t = 1; t < n_frames; t++) {
        const float *cur = db + t * (size_t)n_mels;
        const float *prev = cur - n_mels;
        float s = 0.0f;
        for (int m = 0; m < n_mels; m++) {
            float d = cur[m] - prev[m];
            s += d > 0.0f ? d : 0.0f;
        }
        onset[t] = s / (float)n_mels;
    }
}

void es_tempo(const float *onset, size_t n_frames, double fps, double *bpm,
              double *confidence)
{
    *bpm = 0.0;
    *confidence = 0.0;
    int lag_min = (int)ceil(60.0 * fps / ES_TEMPO_MAX_BPM);
    int lag_max = (int)floor(60.0 * fps / ES_TEMPO_MIN_BPM);
    if (lag_min < 1) lag_min = 1;
    if (lag_max < lag_min || n_frames <= (size_t)lag_max) return;

    double ac0 = 0;
    for (size_t t = 0; t < n_frames; t++) ac0 += (double)onset[t] * onset[t];
    if (!(ac0 > 0)) return;

    double score[512];
    if (lag_max - lag_min + 1 > 512) return;
    int best = -1;
    double best_score = -1, best_ac = 0;
    for (int L = lag_min; L <= lag_max; L++) {
        double ac = 0;
        for (size_t t = 0; t + (size_t)L < n_frames; t++)
            ac += (double)onset[t] * onset[t + (size_t)L];
        double b = 60.0 * fps / L;
        double z = (log2(b) - log2(ES_TEMPO_PRIOR_BPM)) / ES_TEMPO_PRIOR_STD;
        double s = ac * exp(-0.5 * z * z);
        score[L - lag_min] = s;
        if (s > best_score) {
            best_score = s;
            best = L;
            best_ac = ac;
        }
    }
    double lag = best;
    if (best > lag_min && best < lag_max) {
        double a = score[best - 1 - lag_min], b = score[best - lag_min],
               c = score[best + 1 - lag_min];
        double den = a - 2.0 * b + c;
        if (den < 0) lag += 0.5 * (a - c) / den;
    }
    *bpm = 60.0 * fps / lag;
    *confidence = best_ac / ac0;
}
