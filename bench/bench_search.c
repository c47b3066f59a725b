/* bench_search.c — the exact vector search (src/index/vec_search.c): top-k
 * latency per query over random unit vectors, f32 and int8, both kernels,
 * 1 and 2 threads; the memory bandwidth each reaches, against a measured
 * ceiling (a plain streaming read of the same bytes on one core, timed
 * interleaved with the one-thread AVX2 queries so both see the same
 * machine); and, with --precision, what int8 costs in score error and
 * top-10 overlap. Prints markdown tables.
 *
 * Usage: bench_search [--n 10000,100000,1000000] [--dim 384] [--queries 100]
 *        [--scalar-queries 20] [--warmup 5] [--k 10] [--types f32,i8]
 *        [--kernels avx2,scalar] [--threads 1,2] [--no-hugepages]
 *        [--precision] */
#include "earshot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "index/vec_kernel.h"
#include "index/vec_search.h"
#include "util/rng.h"

#define MAX_LIST 8

typedef struct options {
    size_t n[MAX_LIST];
    int n_n;
    int dim, queries, scalar_queries, warmup, k;
    int f32, i8, avx2, scalar;
    int threads[MAX_LIST], n_threads;
    int hugepages, precision;
} options;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* p in [0, 1]: nearest-rank percentile of v (sorted in place). */
static double percentile(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int i = (int)ceil(p * n) - 1;
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* Anonymous memory for the big arrays, so that --no-hugepages can ask the
 * kernel for 4 KiB pages (an index file mapped from the page cache has
 * those) before the first touch. */
static void *big_alloc(size_t bytes, int hugepages)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, bytes, hugepages ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    return p;
}

static void fill_unit(float *x, size_t n, int d, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t r = 0; r < n; r++) {
        float *v = x + r * (size_t)d;
        double norm = 0;
        for (int j = 0; j < d; j += 2) {
            double u = es_rng_uniform(&s) + 1e-300, w = es_rng_uniform(&s);
            double m = sqrt(-2.0 * log(u));
            v[j] = (float)(m * cos(2 * M_PI * w));
            if (j + 1 < d)
                v[j + 1] = (float)(m * sin(2 * M_PI * w));
        }
        for (int j = 0; j < d; j++)
            norm += (double)v[j] * v[j];
        float inv = (float)(1.0 / sqrt(norm));
        for (int j = 0; j < d; j++)
            v[j] *= inv;
    }
}

/* The ceiling: read every byte once, 64 bytes per step, on this thread. */
static unsigned stream_read(const void *p, size_t bytes)
{
    const unsigned char *c = p;
    size_t n = bytes & ~(size_t)63;
#if defined(__SSE2__)
    __m128i a = _mm_setzero_si128(), b = a, x = a, y = a;
    for (size_t i = 0; i < n; i += 64) {
        a = _mm_xor_si128(a, _mm_loadu_si128((const __m128i *)(c + i)));
        b = _mm_xor_si128(b, _mm_loadu_si128((const __m128i *)(c + i + 16)));
        x = _mm_xor_si128(x, _mm_loadu_si128((const __m128i *)(c + i + 32)));
        y = _mm_xor_si128(y, _mm_loadu_si128((const __m128i *)(c + i + 48)));
    }
    a = _mm_xor_si128(_mm_xor_si128(a, b), _mm_xor_si128(x, y));
    unsigned r = (unsigned)_mm_cvtsi128_si32(a);
#else
    uint64_t r64 = 0;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w;
        memcpy(&w, c + i, 8);
        r64 ^= w;
    }
    unsigned r = (unsigned)r64;
#endif
    for (size_t i = n; i < bytes; i++)
        r ^= c[i];
    return r;
}

static volatile unsigned g_sink;

typedef struct result {
    double p50, p95, min;
} result;

/* Times q queries (after the warm-up); with ceil != NULL, a streaming read
 * of `bytes` from `data` before each query, timed into ceil. */
static int time_queries(const es_vec_kernel *kern, const es_vec_matrix *m,
                        const float *qs, int n_qs, int nq, int warm, int k, int threads,
                        const void *data, size_t bytes, result *res,
                        result *ceil_res)
{
    double *t = malloc((size_t)nq * sizeof *t);
    double *tc = malloc((size_t)nq * sizeof *tc);
    es_vec_hit *h = malloc((size_t)k * sizeof *h);
    if (!t || !tc || !h)
        return -1;
    es_error err;
    size_t nh;
    for (int i = 0; i < warm + nq; i++) {
        const float *q = qs + (size_t)(i % n_qs) * (size_t)m->dim;
        if (ceil_res) {
            double c0 = now();
            g_sink ^= stream_read(data, bytes);
            if (i >= warm)
                tc[i - warm] = now() - c0;
        }
        double t0 = now();
        if (es_vec_topk_with(kern, m, q, k, NULL, threads, h, &nh, &err)) {
            fprintf(stderr, "search failed: %s\n", err.message);
            return -1;
        }
        if (i >= warm)
            t[i - warm] = now() - t0;
    }
    res->p50 = percentile(t, nq, 0.5) * 1e3;
    res->p95 = percentile(t, nq, 0.95) * 1e3;
    res->min = t[0] * 1e3; /* sorted by percentile() */
    if (ceil_res) {
        ceil_res->p50 = percentile(tc, nq, 0.5) * 1e3;
        ceil_res->p95 = percentile(tc, nq, 0.95) * 1e3;
        ceil_res->min = tc[0] * 1e3;
    }
    free(t);
    free(tc);
    free(h);
    return 0;
}

static void row(size_t n, const char *type, const char *what, const char *th,
                result r, double bytes, double ceil_p50)
{
    double gbs = bytes / (r.p50 * 1e-3) / 1e9;
    printf("| %zu | %s | %s | %s | %.2f | %.2f | %.2f | %.1f | %.0f %% |\n", n,
           type, what, th, r.p50, r.p95, r.min, gbs, 100.0 * ceil_p50 / r.p50);
}

static int bench_size(const options *o, size_t n, const float *qs, int n_qs)
{
    int d = o->dim;
    size_t fbytes = n * (size_t)d * sizeof(float);
    float *x = big_alloc(fbytes, o->hugepages);
    int8_t *i8 = big_alloc(n * (size_t)d, o->hugepages);
    float *scale = malloc(n * sizeof *scale);
    if (!x || !i8 || !scale) {
        fprintf(stderr, "out of memory for %zu × %d\n", n, d);
        return -1;
    }
    double t0 = now();
    fill_unit(x, n, d, 1000 + n);
    es_vec_quantize(x, n, d, i8, scale);
    fprintf(stderr, "n = %zu: data made in %.1f s\n", n, now() - t0);
    es_vec_matrix mf = {ES_VEC_F32, d, n, x, NULL, NULL};
    es_vec_matrix mi = {ES_VEC_I8, d, n, NULL, i8, scale};
    const es_vec_kernel *ks[2] = {o->avx2 ? es_vec_kernel_by_name("avx2") : NULL,
                                  o->scalar ? es_vec_kernel_by_name("scalar")
                                            : NULL};
    for (int t = 0; t < 2; t++) {
        if ((t == 0 && !o->f32) || (t == 1 && !o->i8))
            continue;
        const es_vec_matrix *m = t ? &mi : &mf;
        const char *tn = t ? "int8" : "f32";
        /* Bytes one scan reads: values, and the scales for int8. */
        double bytes = t ? (double)n * d + n * sizeof(float) : (double)fbytes;
        const void *data = t ? (const void *)i8 : (const void *)x;
        size_t dbytes = t ? n * (size_t)d : fbytes;
        result ceil_r = {0, 0, 0};
        int have_ceil = 0;
        for (int ki = 0; ki < 2; ki++) {
            if (!ks[ki])
                continue;
            int nq = ki ? o->scalar_queries : o->queries;
            for (int ti = 0; ti < o->n_threads; ti++) {
                int th = o->threads[ti];
                int measure_ceil = !have_ceil && th == 1;
                result r;
                if (time_queries(ks[ki], m, qs, n_qs, nq, o->warmup, o->k, th, data,
                                 dbytes, &r, measure_ceil ? &ceil_r : NULL))
                    return -1;
                if (measure_ceil) {
                    have_ceil = 1;
                    /* The scales are read too: count them at the same rate. */
                    ceil_r.p50 *= bytes / (double)dbytes;
                    ceil_r.p95 *= bytes / (double)dbytes;
                    ceil_r.min *= bytes / (double)dbytes;
                    row(n, tn, "streaming read (ceiling)", "1", ceil_r, bytes,
                        ceil_r.p50);
                }
                char ths[16];
                snprintf(ths, sizeof ths, "%d", th);
                char what[64];
                snprintf(what, sizeof what, "top-%d, %s%s", o->k,
                         ks[ki]->name, nq != o->queries ? " *" : "");
                row(n, tn, what, ths, r, bytes, have_ceil ? ceil_r.p50 : 0);
                fflush(stdout);
            }
        }
    }
    munmap(x, fbytes);
    munmap(i8, n * (size_t)d);
    free(scale);
    return 0;
}

/* int8 against exact f32 on n random unit rows: the score error of the
 * whole int8 path (rows and query quantised), of the rows alone (query in
 * f32, in double), and the overlap of the top 10. */
static int bench_precision(const options *o, const float *qs, int n_qs)
{
    int d = o->dim, nq = o->queries < n_qs ? o->queries : n_qs;
    size_t n = 100000;
    float *x = malloc(n * (size_t)d * sizeof *x);
    int8_t *i8 = malloc(n * (size_t)d);
    float *scale = malloc(n * sizeof *scale);
    float *sf = malloc(n * sizeof *sf), *si = malloc(n * sizeof *si);
    if (!x || !i8 || !scale || !sf || !si)
        return -1;
    fill_unit(x, n, d, 77);
    es_vec_quantize(x, n, d, i8, scale);
    es_vec_matrix mf = {ES_VEC_F32, d, n, x, NULL, NULL};
    es_vec_matrix mi = {ES_VEC_I8, d, n, NULL, i8, scale};
    double max_err = 0, sum_err = 0, max_row_err = 0, sum_row_err = 0;
    int overlap = 0, min_overlap = 10, row_queries = nq < 20 ? nq : 20;
    for (int t = 0; t < nq; t++) {
        const float *q = qs + (size_t)t * d;
        es_vec_hit hf[10], hi[10];
        size_t a, b;
        if (es_vec_scores(&mf, q, 1, sf, NULL) ||
            es_vec_scores(&mi, q, 1, si, NULL) ||
            es_vec_topk(&mf, q, 10, NULL, 1, hf, &a, NULL) ||
            es_vec_topk(&mi, q, 10, NULL, 1, hi, &b, NULL))
            return -1;
        for (size_t r = 0; r < n; r++) {
            double e = fabs((double)sf[r] - si[r]);
            max_err = fmax(max_err, e);
            sum_err += e;
        }
        if (t < row_queries) {
            for (size_t r = 0; r < n; r++) {
                double s = 0;
                for (int j = 0; j < d; j++)
                    s += (double)q[j] * i8[r * (size_t)d + j];
                double e = fabs(s * scale[r] - (double)sf[r]);
                max_row_err = fmax(max_row_err, e);
                sum_row_err += e;
            }
        }
        int ov = 0;
        for (int i = 0; i < 10; i++)
            for (int j = 0; j < 10; j++)
                ov += hf[i].row == hi[j].row;
        overlap += ov;
        if (ov < min_overlap)
            min_overlap = ov;
    }
    printf("\n| int8 precision (%zu × %d random unit rows, %d queries) | "
           "value |\n|---|---|\n", n, d, nq);
    printf("| max \\|score error\\|, int8 rows + int8 query (what runs) | "
           "%.2e |\n", max_err);
    printf("| mean \\|score error\\|, int8 rows + int8 query | %.2e |\n",
           sum_err / ((double)n * nq));
    printf("| max \\|score error\\|, int8 rows, f32 query (%d queries) | "
           "%.2e |\n", row_queries, max_row_err);
    printf("| mean \\|score error\\|, int8 rows, f32 query | %.2e |\n",
           sum_row_err / ((double)n * row_queries));
    printf("| top-10 overlap with exact f32, mean (min) | %.2f (%d) / 10 |\n",
           overlap / (double)nq, min_overlap);
    free(x);
    free(i8);
    free(scale);
    free(sf);
    free(si);
    return 0;
}

static int parse_list(const char *s, size_t *out, int max)
{
    int n = 0;
    while (*s && n < max) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || v < 0)
            return -1;
        out[n++] = (size_t)v;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_search [--n 10000,100000,1000000] "
            "[--dim 384] [--queries 100] [--scalar-queries 20] [--warmup 5] "
            "[--k 10] [--types f32,i8] [--kernels avx2,scalar] "
            "[--threads 1,2] [--no-hugepages] [--precision]\n");
}

int main(int argc, char **argv)
{
    options o = {{10000, 100000, 1000000}, 3, 384, 100, 20, 5, 10,
                 1, 1, 1, 1, {1, 2}, 2, 1, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-hugepages")) {
            o.hugepages = 0;
            continue;
        }
        if (!strcmp(a, "--precision")) {
            o.precision = 1;
            continue;
        }
        if (!v) {
            usage();
            return 2;
        }
        i++;
        if (!strcmp(a, "--n")) {
            o.n_n = parse_list(v, o.n, MAX_LIST);
        } else if (!strcmp(a, "--dim")) {
            o.dim = atoi(v);
        } else if (!strcmp(a, "--queries")) {
            o.queries = atoi(v);
        } else if (!strcmp(a, "--scalar-queries")) {
            o.scalar_queries = atoi(v);
        } else if (!strcmp(a, "--warmup")) {
            o.warmup = atoi(v);
        } else if (!strcmp(a, "--k")) {
            o.k = atoi(v);
        } else if (!strcmp(a, "--types")) {
            o.f32 = strstr(v, "f32") != NULL;
            o.i8 = strstr(v, "i8") != NULL || strstr(v, "int8") != NULL;
        } else if (!strcmp(a, "--kernels")) {
            o.avx2 = strstr(v, "avx2") != NULL;
            o.scalar = strstr(v, "scalar") != NULL;
        } else if (!strcmp(a, "--threads")) {
            size_t t[MAX_LIST];
            o.n_threads = parse_list(v, t, MAX_LIST);
            for (int j = 0; j < o.n_threads; j++)
                o.threads[j] = (int)t[j];
        } else {
            usage();
            return 2;
        }
    }
    if (o.n_n < 1 || o.dim < 1 || o.dim > ES_VEC_MAX_DIM || o.queries < 1 ||
        o.scalar_queries < 1 || o.k < 1 || o.warmup < 0 || o.n_threads < 1) {
        usage();
        return 2;
    }
    if (o.avx2 && !es_vec_avx2_usable()) {
        fprintf(stderr, "this CPU has no AVX2 + FMA: scalar kernel only\n");
        o.avx2 = 0;
    }
    int nq_max = o.queries > o.scalar_queries ? o.queries : o.scalar_queries;
    int nq_made = nq_max < 1000 ? nq_max : 1000;
    float *qs = malloc((size_t)nq_made * (size_t)o.dim * sizeof *qs);
    if (!qs)
        return 1;
    fill_unit(qs, (size_t)nq_made, o.dim, 4242);
    printf("dim %d, top-%d, %d queries (* scalar: %d) after %d warm-up, "
           "%s pages; default kernel here: %s\n\n", o.dim, o.k, o.queries,
           o.scalar_queries, o.warmup, o.hugepages ? "huge (THP)" : "4 KiB",
           es_vec_kernel_name());
    printf("| rows | type | what | threads | p50 ms | p95 ms | min ms "
           "| GB/s at p50 | ceiling / p50 |\n"
           "|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < o.n_n; i++)
        if (bench_size(&o, o.n[i], qs, nq_made))
            return 1;
    if (o.precision && bench_precision(&o, qs, nq_made))
        return 1;
    free(qs);
    return 0;
}
