/* augment.c — augmentation of training chunks (see augment.h for the
 * transforms and their order) and the parameters of dataset.h that turn
 * them on. Every random value comes from src/util/rng.h seeded by a key of
 * (seed, row, chunk, copy), so a dataset is reproducible from its seed. */
#include "data/augment.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "util/rng.h"

es_augment_params es_augment_default_params(void)
{
    es_augment_params p;
    memset(&p, 0, sizeof p);
    p.copies = 0;
    p.gain_db = 6.0f;
    p.snr_min_db = 10.0f;
    p.snr_max_db = 30.0f;
    p.mix_prob = 0.5f;
    p.seed = 0;
    return p;
}

es_status es_augment_parse(const char *list, es_augment_params *p,
                           es_error *err)
{
    if (!list || !p)
        return es_fail(err, ES_ERR_INVALID_ARG, "augment: NULL argument");
    int gain = 0, noise = 0, shift = 0, mix = 0, none = 0, any = 0;
    const char *s = list;
    for (;;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        while (len && (*s == ' ' || *s == '\t')) s++, len--;
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
        if (len == 4 && !strncmp(s, "gain", 4)) gain = 1;
        else if (len == 5 && !strncmp(s, "noise", 5)) noise = 1;
        else if (len == 5 && !strncmp(s, "shift", 5)) shift = 1;
        else if (len == 3 && !strncmp(s, "mix", 3)) mix = 1;
        else if (len == 4 && !strncmp(s, "none", 4)) none = 1;
        else
            return es_fail(err, ES_ERR_INVALID_ARG, "augment: unknown augmentation "
                           "'%.*s' in '%s' (use a comma list of gain, noise, shift, "
                           "mix, or none)", (int)(len > 64 ? 64 : len), s, list);
        any = 1;
        if (!e) break;
        s = e + 1;
    }
    if (!any) return es_fail(err, ES_ERR_INVALID_ARG, "augment: empty list");
    if (none && (gain || noise || shift || mix))
        return es_fail(err, ES_ERR_INVALID_ARG, "augment: 'none' cannot be combined "
                       "with other augmentations ('%s')", list);
    p->gain = gain;
    p->noise = noise;
    p->shift = shift;
    p->mix = mix;
    return ES_OK;
}

uint64_t es_augment_key(uint64_t seed, uint64_t row, uint64_t chunk,
                        uint64_t copy)
{
    uint64_t s = seed;
    uint64_t k = es_rng_next(&s);
    s = k ^ (row * 0xd1b54a32d192ed03ULL);
    k = es_rng_next(&s);
    s = k ^ (chunk * 0xabc98388fb8fac03ULL);
    k = es_rng_next(&s);
    s = k ^ (copy * 0x8cb92ba72f3d8dd7ULL);
    return es_rng_next(&s);
}

void es_augment_draw_copy(const es_augment_params *p, uint64_t key,
                          es_augment_draw *d)
{
    uint64_t s = key;
    /* fixed order: every value is drawn whether its transform is on or not */
    double u_mix = es_rng_uniform(&s);
    d->partner_u = es_rng_uniform(&s);
    d->mix_w = (float)(0.3 + 0.4 * es_rng_uniform(&s));
    d->gain_db = (float)((2.0 * es_rng_uniform(&s) - 1.0) * p->gain_db);
    d->snr_db = (float)(p->snr_min_db +
                        (p->snr_max_db - p->snr_min_db) * es_rng_uniform(&s));
    d->shift_u = es_rng_uniform(&s);
    d->noise_seed = es_rng_next(&s);
    d->mix = p->mix && u_mix < (double)p->mix_prob;
}

void es_augment_gain(float *x, size_t n, float gain_db)
{
    const float g = powf(10.0f, gain_db / 20.0f);
    for (size_t i = 0; i < n; i++) x[i] *= g;
}

/* Standard normal by Box–Muller (one value per call, the other dropped:
 * simpler to keep in step than a cached pair). */
static double gauss(uint64_t *s)
{
    double u1 = es_rng_uniform(s), u2 = es_rng_uniform(s);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
}

void es_augment_noise(float *x, size_t n, float snr_db, uint64_t seed)
{
    double px = 0.0, pe = 0.0;
    for (size_t i = 0; i < n; i++) px += (double)x[i] * x[i];
    if (px <= 0.0) return;
    /* two passes over the same noise sequence: its energy, then the sum,
     * so the SNR is exact without a scratch buffer */
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        double e = gauss(&s);
        pe += e * e;
    }
    if (pe <= 0.0) return;
    const double scale = sqrt(px / (pe * pow(10.0, snr_db / 10.0)));
    s = seed;
    for (size_t i = 0; i < n; i++) x[i] += (float)(scale * gauss(&s));
}

static void reverse(float *x, size_t a, size_t b)   /* [a, b) */
{
    while (a + 1 < b) {
        float t = x[a];
        x[a++] = x[--b];
        x[b] = t;
    }
}

void es_augment_shift(float *x, size_t n, size_t k)
{
    if (n == 0) return;
    k %= n;
    if (k == 0) return;
    /* right rotation by k: reverse all, then the two parts */
    reverse(x, 0, n);
    reverse(x, 0, k);
    reverse(x, k, n);
}

static double rms(const float *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return n ? sqrt(s / (double)n) : 0.0;
}

void es_augment_mix(float *x, size_t n, const float *b, size_t nb, float w)
{
    if (!b || nb == 0) return;
    /* the partner's loudness over what it contributes (looped or cut) */
    double sb = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = b[i % nb];
        sb += v * v;
    }
    double ra = rms(x, n), rb = sqrt(sb / (double)n);
    double g = ra > 0.0 && rb > 0.0 ? ra / rb : 1.0;
    const double wb = (1.0 - (double)w) * g;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((double)w * x[i] + wb * b[i % nb]);
}

void es_augment_apply(const es_augment_params *p, const es_augment_draw *d,
                      float *x, size_t n, const float *b, size_t nb)
{
    if (n == 0) return;
    if (p->mix && d->mix && b && nb) es_augment_mix(x, n, b, nb, d->mix_w);
    if (p->shift) {
        size_t k = (size_t)(d->shift_u * (double)n);
        es_augment_shift(x, n, k < n ? k : n - 1);
    }
    if (p->gain) es_augment_gain(x, n, d->gain_db);
    if (p->noise) es_augment_noise(x, n, d->snr_db, d->noise_seed);
}
