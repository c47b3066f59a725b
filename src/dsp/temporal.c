/* temporal.c — ZCR and RMS on the STFT's frame grid in one pass over the
 * samples. Frame length is two hops, so centred frame t covers exactly the
 * sample blocks t−1 and t (block b = samples [b·hop, (b+1)·hop)); per-block
 * sums are computed once and each frame adds two of them.
 *
 * ZCR (librosa): values with |x| ≤ 1e-10 count as +0, a crossing is a change
 * of sign bit between neighbours, the first position of each frame counts
 * none, rate = crossings / frame_length. Edge padding adds no crossings, so
 * frame t counts the changes between x[j−1] and x[j] for
 * j ∈ [t·hop − hop + 1, t·hop + hop − 1] ∩ [1, n − 1]. */
#include "dsp/temporal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* 1 if x is negative and not within the 1e-10 "zero" threshold. */
static inline int neg_bit(float x, uint32_t thr_bits)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (int)((u >> 31) & ((u & 0x7fffffffu) > thr_bits));
}

void es_zcr_rms(const float *x, size_t n, int hop, double *block_energy,
                int *block_crossings, float *zcr, float *rms)
{
    const size_t h = (size_t)hop;
    const size_t n_frames = 1 + n / h;
    const size_t n_blocks = (n + h - 1) / h;
    /* largest float ≤ 1e-10 (double), so |x| ≤ 1e-10 ⇔ bits ≤ thr_bits */
    float thr = 1e-10f;
    if ((double)thr > 1e-10) thr = nextafterf(thr, 0.0f);
    uint32_t thr_bits;
    memcpy(&thr_bits, &thr, sizeof thr_bits);

    for (size_t b = 0; b < n_blocks; b++) {
        size_t lo = b * h, hi = lo + h < n ? lo + h : n;
        float acc[8] = {0};
        size_t i = lo;
        for (; i + 8 <= hi; i += 8)
            for (int j = 0; j < 8; j++) acc[j] += x[i + j] * x[i + j];
        double e = 0;
        for (int j = 0; j < 8; j++) e += acc[j];
        for (; i < hi; i++) e += (double)x[i] * x[i];
        block_energy[b] = e;
        /* changes at j ∈ [lo, hi), j ≥ 1; lanes of 8 without a loop-carried
         * "previous sign" so the compiler can vectorise */
        size_t j0 = lo > 0 ? lo : 1;
        int lane[8] = {0};
        i = j0;
        for (; i + 8 <= hi; i += 8)
            for (int j = 0; j < 8; j++)
                lane[j] += neg_bit(x[i + j], thr_bits) ^
                           neg_bit(x[i + j - 1], thr_bits);
        int c = 0;
        for (int j = 0; j < 8; j++) c += lane[j];
        for (; i < hi; i++)
            c += neg_bit(x[i], thr_bits) ^ neg_bit(x[i - 1], thr_bits);
        block_crossings[b] = c;
    }
    for (size_t t = 0; t < n_frames; t++) {
        double e = 0;
        int c = 0;
        if (t >= 1 && t - 1 < n_blocks) {
            e += block_energy[t - 1];
            c += block_crossings[t - 1];
            /* j = (t−1)·hop is the frame's first position: not counted */
            size_t j = (t - 1) * h;
            if (j >= 1 && j < n)
                c -= neg_bit(x[j], thr_bits) ^ neg_bit(x[j - 1], thr_bits);
        }
        if (t < n_blocks) {
            e += block_energy[t];
            c += block_crossings[t];
        }
        rms[t] = (float)sqrt(e / (2.0 * h));
        zcr[t] = (float)((double)c / (2.0 * h));
    }
}
