/* rng.h — a small seeded generator (splitmix64) for everything that must be
 * reproducible from a seed: weight init, shuffling, augmentation. Not for
 * cryptography. Header-only: the state is one uint64_t the caller owns. */
#ifndef ES_UTIL_RNG_H
#define ES_UTIL_RNG_H

#include <stdint.h>

static inline uint64_t es_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double es_rng_uniform(uint64_t *state)
{
    return (double)(es_rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, n), n ≥ 1 (Lemire's multiply-shift; the bias is
 * below 2^-32 for the sizes used here). */
static inline uint32_t es_rng_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(((es_rng_next(state) >> 32) * (uint64_t)n) >> 32);
}

#endif
