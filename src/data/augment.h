/* augment.h — the signal transforms behind the augmented copies of
 * dataset.h (gain, white noise, circular time shift, mixing two chunks),
 * each a plain function on a sample buffer, and the draw of one copy's
 * random parameters from a key (seed, row, chunk, copy), so that a copy is
 * the same whatever order the dataset is built in.
 *
 * One augmented copy, in this order (es_augment_apply):
 *   1. mix   x ← w·x + (1 − w)·g·b', b' the partner chunk fitted to n
 *            samples (shorter: looped, b'[i] = b[i mod nb]; longer: its
 *            first n samples) and g = rms(x) / rms(b') (the partner is
 *            brought to x's loudness first, so w is the share of each in
 *            the mix; g = 1 when either is silent).
 *   2. shift x ← rotate(x, k): y[i] = x[(i − k) mod n], k = ⌊u·n⌋.
 *   3. gain  x ← x · 10^(gain_db / 20).
 *   4. noise x ← x + e, e Gaussian white noise scaled so that
 *            10·log10(Σx² / Σe²) is exactly snr_db (no noise when x is
 *            silent: an SNR of silence is undefined).
 * Disabled transforms are skipped, but every value is always drawn, in a
 * fixed order, so turning one transform on or off leaves the others'
 * values unchanged.
 *
 * Owned by augment.c (with es_augment_default_params / es_augment_parse of
 * dataset.h). */
#ifndef ES_DATA_AUGMENT_H
#define ES_DATA_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"

/* The random values of one augmented copy. */
typedef struct es_augment_draw {
    int mix;              /* 1: mixing was drawn (p->mix and u < mix_prob)   */
    double partner_u;     /* uniform [0, 1): picks the partner chunk         */
    float mix_w;          /* weight of the chunk itself, uniform [0.3, 0.7]  */
    float gain_db;        /* uniform [−gain_db, gain_db]                     */
    float snr_db;         /* uniform [snr_min_db, snr_max_db]                */
    double shift_u;       /* uniform [0, 1): shift by ⌊shift_u · n⌋ samples  */
    uint64_t noise_seed;  /* seeds the noise samples                         */
} es_augment_draw;

/* Key of copy `copy` of chunk `chunk` of manifest row `row` under seed. */
uint64_t es_augment_key(uint64_t seed, uint64_t row, uint64_t chunk,
                        uint64_t copy);

/* Draws every value of one copy from key (p: which transforms are on and
 * their ranges; disabled ones are drawn too, and left unused). */
void es_augment_draw_copy(const es_augment_params *p, uint64_t key,
                          es_augment_draw *d);

/* The transforms (x in place, n ≥ 1). */
void es_augment_gain(float *x, size_t n, float gain_db);
void es_augment_noise(float *x, size_t n, float snr_db, uint64_t seed);
void es_augment_shift(float *x, size_t n, size_t k);
void es_augment_mix(float *x, size_t n, const float *b, size_t nb, float w);

/* Applies the enabled transforms of d to x[n] in the order above. Mixing
 * happens only when d->mix and a partner b[nb] (nb ≥ 1) is given. */
void es_augment_apply(const es_augment_params *p, const es_augment_draw *d,
                      float *x, size_t n, const float *b, size_t nb);

#endif
