/* gemm_f32.c — packing and the AVX-512 kernel (see gemm_f32.h). */
#include "nn/gemm_f32.h"
#include "core/error.h"

#include <cblas.h>
#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PANEL 16
#define ROWS 6        /* 6 rows × 2 panels = 12 accumulators */
#define CHUNK 60      /* rows per cache chunk: a multiple of ROWS */
/* Below this many multiply-adds a product runs on the calling thread only:
 * starting threads would cost more than it saves. */
#define PARALLEL_MIN_MACS (8u << 20)

int es_f32_avx512_usable(void)
{
    const char *off = getenv("EARSHOT_NO_AVX512");
    if (off && off[0] == '1') return 0;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

es_status es_f32_pack(const float *w, int n_out, int n_in, es_f32_packed *p,
                      es_error *err)
{
    memset(p, 0, sizeof *p);
    p->n_out = n_out;
    p->n_in = n_in;
    p->panels = (n_out + 2 * PANEL - 1) / (2 * PANEL) * 2;
    size_t n = (size_t)p->panels * PANEL * (size_t)n_in;
    p->w = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    if (!p->w)
        return es_fail(err, ES_ERR_NOMEM, "out of memory packing a %d × %d "
                       "matrix", n_out, n_in);
    memset(p->w, 0, n * sizeof(float));
    for (int o = 0; o < n_out; o++) {
        float *panel = p->w + (size_t)(o / PANEL) * PANEL * n_in;
        for (int k = 0; k < n_in; k++)
            panel[(size_t)k * PANEL + o % PANEL] = w[(size_t)o * n_in + k];
    }
    return ES_OK;
}

void es_f32_packed_free(es_f32_packed *p)
{
    if (!p) return;
    free(p->w);
    memset(p, 0, sizeof *p);
}

void es_f32_packed_row(const es_f32_packed *p, int r, float *dst)
{
    const float *panel = p->w + (size_t)(r / PANEL) * PANEL * p->n_in;
    for (int k = 0; k < p->n_in; k++) dst[k] = panel[(size_t)k * PANEL + r % PANEL];
}

typedef struct job {
    const es_f32_packed *p;
    const float *x;
    int T;
    const float *bias;
    float *y;
    int pair0, pair1;     /* panel pairs [pair0, pair1) */
} job;

/* One block of R rows (R ≤ ROWS, a constant after inlining) × one panel
 * pair: 2R accumulators, one pass over n_in. */
__attribute__((target("avx512f"), always_inline))
static inline void block(const job *j, int pp, int t0, const int R)
{
    const es_f32_packed *p = j->p;
    const int n_in = p->n_in;
    const float *xr[ROWS];
    for (int r = 0; r < R; r++) xr[r] = j->x + (size_t)(t0 + r) * n_in;
    const float *w0 = p->w + (size_t)(2 * pp) * PANEL * n_in;
    const float *w1 = w0 + (size_t)PANEL * n_in;
    __m512 a0[ROWS], a1[ROWS];
    for (int r = 0; r < R; r++) {
        a0[r] = _mm512_setzero_ps();
        a1[r] = _mm512_setzero_ps();
    }
    for (int k = 0; k < n_in; k++) {
        __m512 v0 = _mm512_load_ps(w0 + (size_t)k * PANEL);
        __m512 v1 = _mm512_load_ps(w1 + (size_t)k * PANEL);
        for (int r = 0; r < R; r++) {
            __m512 xb = _mm512_set1_ps(xr[r][k]);
            a0[r] = _mm512_fmadd_ps(xb, v0, a0[r]);
            a1[r] = _mm512_fmadd_ps(xb, v1, a1[r]);
        }
    }
    for (int half = 0; half < 2; half++) {
        int n0 = (2 * pp + half) * PANEL;
        if (n0 >= p->n_out) break;
        int cols = p->n_out - n0 < PANEL ? p->n_out - n0 : PANEL;
        __mmask16 m = (__mmask16)((1u << cols) - 1u);
        __m512 b = j->bias ? _mm512_maskz_loadu_ps(m, j->bias + n0) : _mm512_setzero_ps();
        for (int r = 0; r < R; r++)
            _mm512_mask_storeu_ps(j->y + (size_t)(t0 + r) * p->n_out + n0, m,
                                  _mm512_add_ps(half ? a1[r] : a0[r], b));
    }
}

/* Rows in chunks of CHUNK (≤ 400 KB of input, kept in L2); within a chunk,
 * panels outside and rows inside, so a panel pair stays in L1/L2 while every
 * row block passes over it: a short input reads the weights from memory
 * once. */
__attribute__((target("avx512f")))
static void kernel(const job *j)
{
    for (int c0 = 0; c0 < j->T; c0 += CHUNK) {
        const int c1 = c0 + CHUNK < j->T ? c0 + CHUNK : j->T;
        for (int pp = j->pair0; pp < j->pair1; pp++)
            for (int t0 = c0; t0 < c1; t0 += ROWS) {
                switch (c1 - t0 < ROWS ? c1 - t0 : ROWS) {
                case 1: block(j, pp, t0, 1); break;
                case 2: block(j, pp, t0, 2); break;
                case 3: block(j, pp, t0, 3); break;
                case 4: block(j, pp, t0, 4); break;
                case 5: block(j, pp, t0, 5); break;
                default: block(j, pp, t0, 6); break;
                }
            }
    }
}

static void *run_job(void *arg)
{
    kernel(arg);
    return NULL;
}

void es_f32_gemm(const es_f32_packed *p, const float *x, int T,
                 const float *bias, float *y)
{
    if (T <= 0) return;
    int pairs = p->panels / 2;
    int threads = openblas_get_num_threads();
    double macs = (double)T * p->n_out * p->n_in;
    if (threads < 1 || macs < PARALLEL_MIN_MACS) threads = 1;
    if (threads > pairs) threads = pairs;
    if (threads > 16) threads = 16;
    job jobs[16];
    pthread_t tid[16];
    int started = 0;
    for (int i = 0; i < threads; i++) {
        jobs[i] = (job){p, x, T, bias, y, pairs * i / threads,
                        pairs * (i + 1) / threads};
    }
    for (int i = 1; i < threads; i++)
        if (pthread_create(&tid[started], NULL, run_job, &jobs[i]) == 0) started++;
        else kernel(&jobs[i]);
    kernel(&jobs[0]);
    for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
}
