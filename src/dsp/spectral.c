/* spectral.c — centroid, bandwidth, rolloff, flatness and contrast of one
 * frame. Everything is a few linear passes over the n_fft/2+1 bins:
 *   - flatness needs mean(log P); instead of one log per bin it sums the
 *     binary exponents and multiplies the mantissas (each in [1, 2), so 513
 *     of them cannot overflow a double), then takes one log;
 *   - contrast keeps the q smallest / largest magnitudes of each band in
 *     small sorted arrays (a partial selection; q ≤ 6 here) instead of
 *     sorting the band. */
#include "dsp/spectral.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define MAX_Q 64
#define MAX_GROUPS 128     /* bands of up to 1024 bins */

int es_spectral_init(es_spectral *s, int sample_rate, int n_fft, double fmin,
                     double quantile)
{
    memset(s, 0, sizeof *s);
    const int nb = n_fft / 2 + 1, n_bands = ES_CONTRAST_BANDS - 1;
    if (sample_rate <= 0 || n_fft < 2 || fmin <= 0 ||
        fmin * pow(2.0, n_bands) >= sample_rate / 2.0)
        return -1;
    s->n_bins = nb;
    s->freq = malloc(sizeof(float) * (size_t)nb);
    s->mag = malloc(sizeof(float) * (size_t)nb);
    if (!s->freq || !s->mag) {
        es_spectral_free(s);
        return -1;
    }
    for (int k = 0; k < nb; k++)
        s->freq[k] = (float)((double)k * sample_rate / n_fft);
    /* librosa.feature.spectral_contrast's band membership */
    double edges[ES_CONTRAST_BANDS + 1];
    edges[0] = 0.0;
    for (int b = 1; b <= ES_CONTRAST_BANDS; b++)
        edges[b] = fmin * pow(2.0, b - 1);
    for (int b = 0; b < ES_CONTRAST_BANDS; b++) {
        int first = -1, last = -1;
        for (int k = 0; k < nb; k++) {
            double f = (double)k * sample_rate / n_fft;
            if (f >= edges[b] && f <= edges[b + 1]) {
                if (first < 0) first = k;
                last = k;
            }
        }
        if (first < 0) {
            es_spectral_free(s);
            return -1;
        }
        int lo = b > 0 ? first - 1 : first;    /* one bin below the band  */
        int hi_incl = b == n_bands ? nb - 1 : last; /* last runs to Nyquist */
        int count = hi_incl - lo + 1;
        /* all bands but the last drop their top bin from the ranking */
        s->band_lo[b] = lo;
        s->band_hi[b] = b < n_bands ? hi_incl : hi_incl + 1;
        int q = (int)rint(quantile * count);
        if (q < 1) q = 1;
        if (q > MAX_Q || q > s->band_hi[b] - s->band_lo[b] ||
            s->band_hi[b] - s->band_lo[b] > 8 * MAX_GROUPS) {
            es_spectral_free(s);
            return -1;
        }
        s->band_q[b] = q;
    }
    return 0;
}

void es_spectral_free(es_spectral *s)
{
    if (!s) return;
    free(s->freq);
    free(s->mag);
    memset(s, 0, sizeof *s);
}

/* Inserts x into the first n entries of a[] kept sorted so that a[0] is
 * the "best" (smallest if asc, else largest); keeps at most q. */
static inline void keep_best(float *a, int *n, int q, float x, int asc)
{
    if (*n == q && (asc ? !(x < a[q - 1]) : !(x > a[q - 1]))) return;
    int j = *n < q ? (*n)++ : q - 1;
    while (j > 0 && (asc ? a[j - 1] > x : a[j - 1] < x)) {
        a[j] = a[j - 1];
        j--;
    }
    a[j] = x;
}

/* Mean of the q smallest and the q largest of v[0..n): a partial selection.
 * Groups of 8 get a branch-free min and max; the q-th largest group maximum
 * τ is a lower bound of the q-th largest value (q groups reach it), so only
 * groups whose maximum reaches τ are scanned element by element (same for
 * the minima). */
static void extremes_mean(const float *v, int n, int q, float *lo_mean,
                          float *hi_mean)
{
    if (q == 1) {
        float mn = v[0], mx = v[0];
        for (int i = 1; i < n; i++) {
            mn = v[i] < mn ? v[i] : mn;
            mx = v[i] > mx ? v[i] : mx;
        }
        *lo_mean = mn;
        *hi_mean = mx;
        return;
    }
    float gmin[MAX_GROUPS], gmax[MAX_GROUPS];
    int ng = (n + 7) / 8;
    for (int g = 0; g < ng; g++) {
        int i = g * 8, end = i + 8 < n ? i + 8 : n;
        float mn = v[i], mx = v[i];
        for (int k = i + 1; k < end; k++) {
            mn = v[k] < mn ? v[k] : mn;
            mx = v[k] > mx ? v[k] : mx;
        }
        gmin[g] = mn;
        gmax[g] = mx;
    }
    float small[MAX_Q], big[MAX_Q];    /* small ascending, big descending */
    int ns = 0, nbg = 0;
    for (int g = 0; g < ng; g++) {
        keep_best(small, &ns, q, gmin[g], 1);
        keep_best(big, &nbg, q, gmax[g], 0);
    }
    /* ng ≥ q is not guaranteed for tiny bands: then scan everything */
    float tau_lo = ns == q ? small[q - 1] : INFINITY;
    float tau_hi = nbg == q ? big[q - 1] : -INFINITY;
    ns = nbg = 0;
    for (int g = 0; g < ng; g++) {
        int i = g * 8, end = i + 8 < n ? i + 8 : n;
        if (gmin[g] <= tau_lo)
            for (int k = i; k < end; k++)
                if (v[k] <= tau_lo) keep_best(small, &ns, q, v[k], 1);
        if (gmax[g] >= tau_hi)
            for (int k = i; k < end; k++)
                if (v[k] >= tau_hi) keep_best(big, &nbg, q, v[k], 0);
    }
    double a = 0, b = 0;
    for (int i = 0; i < q; i++) {
        a += small[i];
        b += big[i];
    }
    *lo_mean = (float)(a / q);
    *hi_mean = (float)(b / q);
}

static inline uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* mag[k] = sqrt(power[k]); four at a time where SSE is there (sqrtf's errno
 * path keeps the compiler from vectorising it). */
static void magnitudes(const float *power, float *mag, int n)
{
    int k = 0;
#if defined(__SSE2__)
    for (; k + 4 <= n; k += 4)
        _mm_storeu_ps(mag + k, _mm_sqrt_ps(_mm_loadu_ps(power + k)));
#endif
    for (; k < n; k++) mag[k] = sqrtf(power[k]);
}

#define LANES 8

void es_spectral_compute(es_spectral *s, const float *power,
                         es_spectral_frame *out)
{
    const int nb = s->n_bins;
    const float *freq = s->freq;
    float *mag = s->mag;
    const float amin = 1e-10f;

    magnitudes(power, mag, nb);

    /* Lane-parallel sums (independent accumulators, so the compiler can use
     * SIMD without reassociating): Σm, Σf·m, Σmax(amin,p), and for the
     * geometric mean Σ exponent and Π mantissa of max(amin,p) — each
     * mantissa is in [1,2) and a lane multiplies ≤ 65 of them, < 2^65. */
    float sm[LANES] = {0}, sfm[LANES] = {0}, sp[LANES] = {0};
    float pm[LANES] = {1, 1, 1, 1, 1, 1, 1, 1};
    int32_t ex[LANES] = {0};
    const int nfull = nb / LANES * LANES;
    for (int k = 0; k < nfull; k += LANES) {
        for (int j = 0; j < LANES; j++) {
            float m = mag[k + j], p = power[k + j];
            sm[j] += m;
            sfm[j] += freq[k + j] * m;
            p = p > amin ? p : amin;
            sp[j] += p;
            uint32_t u = f2u(p);
            ex[j] += (int32_t)(u >> 23) - 127;
            pm[j] *= u2f((u & 0x007fffffu) | 0x3f800000u);
        }
    }
    double sum_m = 0, sum_fm = 0, sum_p = 0, prod = 1;
    int64_t expo = 0;
    for (int j = 0; j < LANES; j++) {
        sum_m += sm[j];
        sum_fm += sfm[j];
        sum_p += sp[j];
        prod *= pm[j];
        expo += ex[j];
    }
    for (int k = nfull; k < nb; k++) {
        float p = power[k] > amin ? power[k] : amin;
        sum_m += mag[k];
        sum_fm += (double)freq[k] * mag[k];
        sum_p += p;
        uint32_t u = f2u(p);
        expo += (int32_t)(u >> 23) - 127;
        prod *= u2f((u & 0x007fffffu) | 0x3f800000u);
    }
    double log_gmean = (expo * M_LN2 + log(prod)) / nb;
    out->flatness = (float)(exp(log_gmean) / (sum_p / nb));

    if (sum_m < FLT_MIN) {          /* a silent frame */
        out->centroid = 0.0f;
        out->bandwidth = 0.0f;
        out->rolloff = 0.0f;
    } else {
        const float c = (float)(sum_fm / sum_m);
        float dv[LANES] = {0};
        for (int k = 0; k < nfull; k += LANES)
            for (int j = 0; j < LANES; j++) {
                float d = freq[k + j] - c;
                dv[j] += mag[k + j] * d * d;
            }
        double dev = 0;
        for (int j = 0; j < LANES; j++) dev += dv[j];
        for (int k = nfull; k < nb; k++) {
            double d = freq[k] - (double)c;
            dev += mag[k] * d * d;
        }
        out->centroid = c;
        out->bandwidth = (float)sqrt(dev / sum_m);

        /* rolloff: first bin where the running sum reaches 0.85·Σm; the
         * running sum skips ahead in blocks of LANES bins */
        double thr = 0.85 * sum_m, cum = 0;
        int k = 0;
        for (; k + LANES <= nb; k += LANES) {
            const float *b = mag + k;
            double blk = (double)(((b[0] + b[1]) + (b[2] + b[3])) +
                                  ((b[4] + b[5]) + (b[6] + b[7])));
            if (cum + blk >= thr) break;
            cum += blk;
        }
        for (; k < nb - 1; k++) {
            cum += mag[k];
            if (cum >= thr) break;
        }
        out->rolloff = freq[k];
    }

    const float db = 3.01029995663981195f;   /* 10·log10(2) */
    for (int b = 0; b < ES_CONTRAST_BANDS; b++) {
        float lo, hi;
        extremes_mean(mag + s->band_lo[b], s->band_hi[b] - s->band_lo[b],
                      s->band_q[b], &lo, &hi);
        lo = lo > amin ? lo : amin;
        hi = hi > amin ? hi : amin;
        out->contrast[b] = db * (log2f(hi) - log2f(lo));
    }
}
