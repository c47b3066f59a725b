/* fft.c — thin wrapper over kiss_fftr that owns its scratch buffers, so a
 * plan is reused across frames with no allocation per frame. */
#include "dsp/fft.h"

#include <kissfft/kiss_fftr.h>
#include <math.h>
#include <stdlib.h>

struct es_rfft {
    int n;
    kiss_fftr_cfg cfg;
    kiss_fft_cpx *spec;
};

es_rfft *es_rfft_create(int n)
{
    if (n < 2 || n % 2) return NULL;
    es_rfft *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = n;
    p->cfg = kiss_fftr_alloc(n, 0, NULL, NULL);
    p->spec = malloc(sizeof(kiss_fft_cpx) * (size_t)(n / 2 + 1));
    if (!p->cfg || !p->spec) {
        es_rfft_free(p);
        return NULL;
    }
    return p;
}

void es_rfft_free(es_rfft *p)
{
    if (!p) return;
    kiss_fftr_free(p->cfg);
    free(p->spec);
    free(p);
}

int es_rfft_size(const es_rfft *p) { return p->n; }

void es_rfft_power(es_rfft *p, const float *frame, float *power)
{
    kiss_fftr(p->cfg, frame, p->spec);
    for (int k = 0; k <= p->n / 2; k++)
        power[k] = p->spec[k].r * p->spec[k].r + p->spec[k].i * p->spec[k].i;
}

void es_rfft_magnitude(es_rfft *p, const float *frame, float *mag)
{
    es_rfft_power(p, frame, mag);
    for (int k = 0; k <= p->n / 2; k++) mag[k] = sqrtf(mag[k]);
}
