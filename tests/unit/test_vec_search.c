/* test_vec_search.c — the exact vector search (src/index/vec_search.c and
 * its kernels): scores against a double-precision reference for both
 * kernels and awkward dimensions, exact int8 dot products, top-k against a
 * brute-force ranking (masks, ties, k past the rows, empty matrices), the
 * same answer for 1, 2 and 8 threads, NaN handling in es_vec_select_topk,
 * int8 quantisation, the precision int8 costs, and argument errors.
 *
 * main sets ES_VEC_KERNEL=scalar before any call, so the public functions
 * run the portable kernel here; the tests that compare kernels name them
 * (es_vec_*_with). */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/vec_kernel.h"
#include "index/vec_search.h"
#include "util/rng.h"

static const int DIMS[] = {1, 7, 8, 31, 32, 33, 100, 384, 385};
#define N_DIMS (int)(sizeof DIMS / sizeof DIMS[0])

/* The kernels to compare: scalar always, avx2 when the CPU has it. */
static int kernels(const es_vec_kernel **out)
{
    int n = 0;
    out[n++] = es_vec_kernel_by_name("scalar");
    if (es_vec_avx2_usable())
        out[n++] = es_vec_kernel_by_name("avx2");
    return n;
}

static double gauss(uint64_t *s)
{
    double u = es_rng_uniform(s), v = es_rng_uniform(s);
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

/* n random unit vectors of dim d (caller frees). */
static float *unit_vectors(size_t n, int d, uint64_t seed)
{
    float *x = malloc(n * (size_t)d * sizeof *x + 1);
    assert_non_null(x);
    uint64_t s = seed;
    for (size_t r = 0; r < n; r++) {
        double norm = 0;
        float *v = x + r * (size_t)d;
        for (int j = 0; j < d; j++) {
            v[j] = (float)gauss(&s);
            norm += (double)v[j] * v[j];
        }
        norm = sqrt(norm);
        for (int j = 0; j < d; j++)
            v[j] = (float)(v[j] / norm);
    }
    return x;
}

static double dot_ref(const float *a, const float *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++)
        s += (double)a[j] * b[j];
    return s;
}

typedef struct int8_matrix {
    int8_t *i8;
    float *scale;
    es_vec_matrix m;
} int8_matrix;

static void make_i8(const float *x, size_t n, int d, int8_matrix *o)
{
    o->i8 = malloc(n * (size_t)d + 1);
    o->scale = malloc(n * sizeof *o->scale + 1);
    assert_non_null(o->i8);
    assert_non_null(o->scale);
    es_vec_quantize(x, n, d, o->i8, o->scale);
    o->m = (es_vec_matrix){ES_VEC_I8, d, n, NULL, o->i8, o->scale};
}

static void free_i8(int8_matrix *o)
{
    free(o->i8);
    free(o->scale);
}

/* ------------------------------------------------------------ scores */

static void test_f32_scores_match_reference(void **state)
{
    (void)state;
    const es_vec_kernel *ks[2];
    int nk = kernels(ks);
    const size_t ns[] = {1, 3, 4, 5, 257, 1030};
    for (int di = 0; di < N_DIMS; di++) {
        int d = DIMS[di];
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
            size_t n = ns[ni];
            float *x = unit_vectors(n, d, 100 + (uint64_t)d * 7 + n);
            float *q = unit_vectors(1, d, 9 + (uint64_t)d);
            float *out = malloc(n * sizeof *out);
            es_vec_matrix m = {ES_VEC_F32, d, n, x, NULL, NULL};
            for (int k = 0; k < nk; k++) {
                for (size_t r = 0; r < n; r++)
                    out[r] = NAN;
                assert_int_equal(es_vec_scores_with(ks[k], &m, q, 1, out,
                                                    NULL), ES_OK);
                for (size_t r = 0; r < n; r++) {
                    double ref = dot_ref(q, x + r * (size_t)d, d);
                    if (!(fabs(out[r] - ref) <= 1e-6 + 2e-7 * d)) {
                        print_error("%s d=%d n=%zu row %zu: %.9g vs %.9g\n",
                                    ks[k]->name, d, n, r, out[r], ref);
                        fail();
                    }
                }
            }
            free(x);
            free(q);
            free(out);
        }
    }
}

/* int8 scores are q_scale · row_scale · (exact integer dot): check that
 * against a double reference, and that both kernels agree bit for bit. */
static void test_i8_scores_exact_and_kernels_agree(void **state)
{
    (void)state;
    const es_vec_kernel *ks[2];
    int nk = kernels(ks);
    for (int di = 0; di < N_DIMS; di++) {
        int d = DIMS[di];
        size_t n = 1029;
        float *x = unit_vectors(n, d, 200 + (uint64_t)d);
        float *q = unit_vectors(1, d, 300 + (uint64_t)d);
        int8_matrix im, iq;
        make_i8(x, n, d, &im);
        make_i8(q, 1, d, &iq);
        float *out[2] = {malloc(n * sizeof(float)), malloc(n * sizeof(float))};
        for (int k = 0; k < nk; k++) {
            assert_int_equal(es_vec_scores_with(ks[k], &im.m, q, 1, out[k],
                                                NULL), ES_OK);
            for (size_t r = 0; r < n; r++) {
                double idot = 0;
                for (int j = 0; j < d; j++)
                    idot += (double)iq.i8[j] * im.i8[r * (size_t)d + j];
                double ref = (double)iq.scale[0] * im.scale[r] * idot;
                assert_true(fabs(out[k][r] - ref) <= 1e-6 * fabs(ref) + 1e-12);
                /* ... and close to the exact f32 cosine. */
                double exact = dot_ref(q, x + r * (size_t)d, d);
                assert_true(fabs(out[k][r] - exact) < 0.03);
            }
        }
        if (nk == 2)
            assert_memory_equal(out[0], out[1], n * sizeof(float));
        free(out[0]);
        free(out[1]);
        free(x);
        free(q);
        free_i8(&im);
        free_i8(&iq);
    }
}

/* The raw int8 kernel over the full byte range (rows may hold -128). */
static void test_i8_kernel_full_range(void **state)
{
    (void)state;
    const es_vec_kernel *ks[2];
    int nk = kernels(ks);
    uint64_t s = 77;
    for (int di = 0; di < N_DIMS; di++) {
        int d = DIMS[di];
        size_t n = 13;
        int8_t *rows = malloc(n * (size_t)d), *q = malloc((size_t)d);
        for (size_t i = 0; i < n * (size_t)d; i++)
            rows[i] = (int8_t)((int)es_rng_below(&s, 256) - 128);
        for (int j = 0; j < d; j++)
            q[j] = (int8_t)((int)es_rng_below(&s, 255) - 127);
        /* Extremes: a row of -128 against a query of ±127. */
        for (int j = 0; j < d; j++)
            rows[j] = -128;
        for (int j = 0; j < d; j++)
            q[j] = (int8_t)(j % 3 ? -127 : 127);
        /* Scales of 1: out = (float)dot, exact below 2^24 (|dot| ≤
         * 128 · 127 · 385 here). */
        float ones[13], out[13];
        for (size_t r = 0; r < n; r++)
            ones[r] = 1;
        for (int k = 0; k < nk; k++) {
            ks[k]->dot_i8(q, 1.0f, rows, ones, d, n, out);
            for (size_t r = 0; r < n; r++) {
                int32_t ref = 0;
                for (int j = 0; j < d; j++)
                    ref += (int32_t)q[j] * rows[r * (size_t)d + j];
                assert_true(out[r] == (float)ref);
            }
        }
        free(rows);
        free(q);
    }
}

/* A row's score does not depend on where it sits in a block: scoring the
 * matrix from row 1 gives the same bits for every row (f32, both kernels). */
static void test_f32_score_independent_of_position(void **state)
{
    (void)state;
    const es_vec_kernel *ks[2];
    int nk = kernels(ks);
    int d = 385;
    size_t n = 1030;
    float *x = unit_vectors(n, d, 5);
    float *q = unit_vectors(1, d, 6);
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    for (int k = 0; k < nk; k++) {
        for (size_t off = 1; off < 4; off++) {
            es_vec_matrix m = {ES_VEC_F32, d, n, x, NULL, NULL};
            es_vec_matrix m2 = {ES_VEC_F32, d, n - off, x + off * (size_t)d,
                                NULL, NULL};
            assert_int_equal(es_vec_scores_with(ks[k], &m, q, 1, a, NULL), 0);
            assert_int_equal(es_vec_scores_with(ks[k], &m2, q, 1, b, NULL), 0);
            assert_memory_equal(a + off, b, (n - off) * sizeof *a);
        }
    }
    free(x);
    free(q);
    free(a);
    free(b);
}

static void test_zero_rows_and_zero_query(void **state)
{
    (void)state;
    int d = 33;
    float *x = unit_vectors(4, d, 11);
    memset(x + 2 * d, 0, (size_t)d * sizeof *x); /* row 2 is all zeros */
    float *q = unit_vectors(1, d, 12);
    float zq[33] = {0};
    int8_matrix im;
    make_i8(x, 4, d, &im);
    assert_true(im.scale[2] == 0.0f);
    es_vec_matrix mf = {ES_VEC_F32, d, 4, x, NULL, NULL};
    float out[4];
    const es_vec_matrix *ms[2] = {&mf, &im.m};
    for (int t = 0; t < 2; t++) {
        assert_int_equal(es_vec_scores(ms[t], q, 1, out, NULL), ES_OK);
        assert_true(out[2] == 0.0f);
        assert_true(fabsf(out[0]) > 0.0f);
        assert_int_equal(es_vec_scores(ms[t], zq, 1, out, NULL), ES_OK);
        for (int r = 0; r < 4; r++)
            assert_true(out[r] == 0.0f);
    }
    free(x);
    free(q);
    free_i8(&im);
}

/* ------------------------------------------------------------ top-k */

/* Brute force: scores, masked rows as NaN, then es_vec_select_topk — whose
 * own correctness test_select_topk_* checks against a sort. */
static size_t brute_topk(const es_vec_matrix *m, const float *q, int k,
                         const uint8_t *mask, const es_vec_kernel *kern,
                         es_vec_hit *hits)
{
    float *s = malloc((m->n_rows + 1) * sizeof *s);
    assert_int_equal(es_vec_scores_with(kern, m, q, 1, s, NULL), ES_OK);
    for (size_t r = 0; r < m->n_rows; r++)
        if (mask && !mask[r])
            s[r] = NAN;
    size_t n = es_vec_select_topk(s, m->n_rows, k, hits);
    free(s);
    return n;
}

static void check_topk(const es_vec_matrix *m, const float *q, int k,
                       const uint8_t *mask, size_t allowed)
{
    const es_vec_kernel *ks[2];
    int nk = kernels(ks);
    es_vec_hit *h = calloc((size_t)k + 1, sizeof *h);
    es_vec_hit *ref = calloc((size_t)k + 1, sizeof *ref);
    for (int kk = 0; kk < nk; kk++) {
        size_t nh = 12345;
        assert_int_equal(es_vec_topk_with(ks[kk], m, q, k, mask, 1, h, &nh,
                                          NULL), ES_OK);
        size_t want = allowed < (size_t)k ? allowed : (size_t)k;
        assert_int_equal(nh, want);
        assert_int_equal(brute_topk(m, q, k, mask, ks[kk], ref), want);
        for (size_t i = 0; i < nh; i++) {
            assert_int_equal(h[i].row, ref[i].row);
            assert_true(h[i].score == ref[i].score);
            if (mask)
                assert_true(mask[h[i].row]);
            if (i)
                assert_true(h[i - 1].score >= h[i].score);
        }
    }
    free(h);
    free(ref);
}

static void test_topk_sizes(void **state)
{
    (void)state;
    int d = 100;
    const size_t ns[] = {0, 1, 3, 9, 10, 11, 300, 5000};
    const int kv[] = {1, 10, 64};
    float *q = unit_vectors(1, d, 1);
    for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
        size_t n = ns[ni];
        float *x = unit_vectors(n, d, 1000 + n);
        int8_matrix im;
        make_i8(x, n, d, &im);
        es_vec_matrix mf = {ES_VEC_F32, d, n, x, NULL, NULL};
        for (size_t ki = 0; ki < sizeof kv / sizeof kv[0]; ki++) {
            check_topk(&mf, q, kv[ki], NULL, n);
            check_topk(&im.m, q, kv[ki], NULL, n);
        }
        free(x);
        free_i8(&im);
    }
    free(q);
}

static void test_topk_k_zero_and_empty(void **state)
{
    (void)state;
    float q[4] = {1, 0, 0, 0}, x[8] = {1, 0, 0, 0, 0, 1, 0, 0};
    es_vec_matrix m = {ES_VEC_F32, 4, 2, x, NULL, NULL};
    es_vec_hit h[2] = {{99, 9}, {99, 9}};
    size_t nh = 7;
    assert_int_equal(es_vec_topk(&m, q, 0, NULL, 1, h, &nh, NULL), ES_OK);
    assert_int_equal(nh, 0);
    assert_int_equal(h[0].row, 99);
    m.n_rows = 0;
    m.f32 = NULL;
    nh = 7;
    assert_int_equal(es_vec_topk(&m, q, 2, NULL, 1, h, &nh, NULL), ES_OK);
    assert_int_equal(nh, 0);
    float out[1] = {5};
    assert_int_equal(es_vec_scores(&m, q, 1, out, NULL), ES_OK);
    assert_true(out[0] == 5);
}

static void test_topk_masks(void **state)
{
    (void)state;
    int d = 7;
    size_t n = 1000;
    float *x = unit_vectors(n, d, 3);
    float *q = unit_vectors(1, d, 4);
    int8_matrix im;
    make_i8(x, n, d, &im);
    es_vec_matrix mf = {ES_VEC_F32, d, n, x, NULL, NULL};
    uint8_t *mask = malloc(n);
    const es_vec_matrix *ms[2] = {&mf, &im.m};
    for (int t = 0; t < 2; t++) {
        memset(mask, 0, n);                               /* nothing */
        check_topk(ms[t], q, 10, mask, 0);
        mask[517] = 1;                                    /* one row */
        check_topk(ms[t], q, 10, mask, 1);
        size_t allowed = 0;                               /* every 3rd */
        for (size_t r = 0; r < n; r++)
            allowed += (mask[r] = (r % 3 == 1));
        check_topk(ms[t], q, 10, mask, allowed);
        check_topk(ms[t], q, 500, mask, allowed);        /* k > allowed */
        allowed = 0;                                      /* runs */
        for (size_t r = 0; r < n; r++)
            allowed += (mask[r] = ((r / 37) % 2 == 0));
        check_topk(ms[t], q, 25, mask, allowed);
        memset(mask, 1, n);                               /* everything */
        check_topk(ms[t], q, 10, mask, n);
    }
    /* The best row masked out is not returned. */
    es_vec_hit best, h[3];
    size_t nh;
    assert_int_equal(es_vec_topk(&mf, q, 1, NULL, 1, &best, &nh, NULL), 0);
    memset(mask, 1, n);
    mask[best.row] = 0;
    assert_int_equal(es_vec_topk(&mf, q, 3, mask, 1, h, &nh, NULL), 0);
    assert_int_equal(nh, 3);
    for (int i = 0; i < 3; i++)
        assert_true(h[i].row != best.row && h[i].score <= best.score);
    free(mask);
    free(x);
    free(q);
    free_i8(&im);
}

/* Equal scores: lower rows first, in the heap as in the merge of shards. */
static void test_topk_ties(void **state)
{
    (void)state;
    int d = 5;
    size_t n = 40000;       /* enough rows for several shards */
    float *x = calloc(n * (size_t)d, sizeof *x);
    for (size_t r = 0; r < n; r++)
        x[r * (size_t)d + (r % 2)] = 1; /* even rows e0, odd rows e1 */
    float q[5] = {1, 0, 0, 0, 0};
    es_vec_matrix m = {ES_VEC_F32, d, n, x, NULL, NULL};
    int8_matrix im;
    make_i8(x, n, d, &im);
    const es_vec_matrix *ms[2] = {&m, &im.m};
    const int threads[] = {1, 2, 8};
    const es_vec_kernel *ks[2];
    int nk = kernels(ks);
    es_vec_hit h[20];
    for (int t = 0; t < 2 * nk; t++) {
        for (int ti = 0; ti < 3; ti++) {
            size_t nh;
            assert_int_equal(es_vec_topk_with(ks[t / 2], ms[t % 2], q, 20,
                                              NULL, threads[ti], h, &nh,
                                              NULL), ES_OK);
            assert_int_equal(nh, 20);
            for (int i = 0; i < 20; i++) {
                assert_int_equal(h[i].row, 2 * (uint64_t)i);
                assert_true(fabsf(h[i].score - 1) < 1e-6f);
            }
        }
    }
    free(x);
    free_i8(&im);
}

/* 1, 2 and 8 threads: identical scores and identical hits, bit for bit. */
static void test_threads_identical(void **state)
{
    (void)state;
    const es_vec_kernel *ks[2];
    int nk = kernels(ks);
    int d = 33;
    size_t n = 70001;       /* 8 shards of ≥ 8192 rows, uneven edges */
    float *x = unit_vectors(n, d, 21);
    float *q = unit_vectors(1, d, 22);
    int8_matrix im;
    make_i8(x, n, d, &im);
    es_vec_matrix mf = {ES_VEC_F32, d, n, x, NULL, NULL};
    const es_vec_matrix *ms[2] = {&mf, &im.m};
    uint8_t *mask = malloc(n);
    for (size_t r = 0; r < n; r++)
        mask[r] = (r * 2654435761u >> 7) % 5 != 0;
    float *s1 = malloc(n * sizeof *s1), *s2 = malloc(n * sizeof *s2);
    es_vec_hit h1[100], h2[100];
    const int threads[] = {2, 8, 0};
    for (int k = 0; k < nk; k++)
        for (int t = 0; t < 2; t++)
            for (int mk = 0; mk < 2; mk++) {
                const uint8_t *mp = mk ? mask : NULL;
                size_t n1, n2;
                assert_int_equal(es_vec_scores_with(ks[k], ms[t], q, 1, s1,
                                                    NULL), ES_OK);
                assert_int_equal(es_vec_topk_with(ks[k], ms[t], q, 100, mp, 1,
                                                  h1, &n1, NULL), ES_OK);
                assert_int_equal(n1, 100);
                for (int ti = 0; ti < 3; ti++) {
                    memset(s2, 0, n * sizeof *s2);
                    assert_int_equal(es_vec_scores_with(ks[k], ms[t], q,
                                                        threads[ti], s2, NULL),
                                     ES_OK);
                    assert_memory_equal(s1, s2, n * sizeof *s1);
                    assert_int_equal(es_vec_topk_with(ks[k], ms[t], q, 100, mp,
                                                      threads[ti], h2, &n2,
                                                      NULL), ES_OK);
                    assert_int_equal(n2, n1);
                    for (size_t i = 0; i < n1; i++) {
                        assert_int_equal(h1[i].row, h2[i].row);
                        assert_memory_equal(&h1[i].score, &h2[i].score,
                                            sizeof(float));
                    }
                }
            }
    free(s1);
    free(s2);
    free(mask);
    free(x);
    free(q);
    free_i8(&im);
}

/* ------------------------------------------------------------ select */

static void test_select_topk_nan_and_ties(void **state)
{
    (void)state;
    const float s[] = {0.5f, NAN, 0.9f, 0.5f, NAN, -1.0f, 0.9f, 0.1f};
    es_vec_hit h[10];
    size_t n = es_vec_select_topk(s, 8, 10, h);
    assert_int_equal(n, 6);                      /* two NaN skipped */
    const uint64_t rows[] = {2, 6, 0, 3, 7, 5};  /* ties: lower row first */
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(h[i].row, rows[i]);
        assert_true(h[i].score == s[rows[i]]);
    }
    assert_int_equal(es_vec_select_topk(s, 8, 3, h), 3);
    assert_int_equal(h[0].row, 2);
    assert_int_equal(h[1].row, 6);
    assert_int_equal(h[2].row, 0);
    assert_int_equal(es_vec_select_topk(s, 8, 0, h), 0);
    assert_int_equal(es_vec_select_topk(s, 0, 5, h), 0);
    const float all_nan[] = {NAN, NAN};
    assert_int_equal(es_vec_select_topk(all_nan, 2, 5, h), 0);
    /* Infinities are scores like any other. */
    const float inf[] = {-INFINITY, 0, INFINITY};
    assert_int_equal(es_vec_select_topk(inf, 3, 3, h), 3);
    assert_int_equal(h[0].row, 2);
    assert_int_equal(h[2].row, 0);
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

static void test_select_topk_against_sort(void **state)
{
    (void)state;
    uint64_t seed = 4;
    size_t n = 5000;
    float *s = malloc(n * sizeof *s), *sorted = malloc(n * sizeof *s);
    size_t finite = 0;
    for (size_t i = 0; i < n; i++) {
        /* Few distinct values: many ties. */
        s[i] = es_rng_below(&seed, 10) == 0
                   ? NAN : (float)es_rng_below(&seed, 50) / 7.0f;
        if (!isnan(s[i]))
            sorted[finite++] = s[i];
    }
    qsort(sorted, finite, sizeof *sorted, cmp_desc);
    es_vec_hit *h = malloc(n * sizeof *h);
    const int kv[] = {1, 10, 100, 4000, 6000};
    for (int ki = 0; ki < 5; ki++) {
        size_t got = es_vec_select_topk(s, n, kv[ki], h);
        size_t want = finite < (size_t)kv[ki] ? finite : (size_t)kv[ki];
        assert_int_equal(got, want);
        for (size_t i = 0; i < got; i++) {
            assert_true(h[i].score == sorted[i]);
            assert_true(s[h[i].row] == h[i].score);
            if (i && h[i].score == h[i - 1].score)
                assert_true(h[i].row > h[i - 1].row);
        }
    }
    free(s);
    free(sorted);
    free(h);
}

/* ------------------------------------------------------------ quantise */

static void test_quantize_round_trip(void **state)
{
    (void)state;
    for (int di = 0; di < N_DIMS; di++) {
        int d = DIMS[di];
        size_t n = 50;
        float *x = unit_vectors(n, d, 40 + (uint64_t)d);
        int8_t *q = malloc(n * (size_t)d);
        float *sc = malloc(n * sizeof *sc);
        es_vec_quantize(x, n, d, q, sc);
        for (size_t r = 0; r < n; r++) {
            float mx = 0;
            int at127 = 0;
            for (int j = 0; j < d; j++)
                mx = fmaxf(mx, fabsf(x[r * (size_t)d + j]));
            assert_true(fabsf(sc[r] - mx / 127) <= 1e-7f * mx);
            for (int j = 0; j < d; j++) {
                float v = x[r * (size_t)d + j];
                int8_t c = q[r * (size_t)d + j];
                assert_true(c != -128);
                assert_true(fabsf(v - sc[r] * c) <= sc[r] * 0.5001f);
                at127 += (c == 127 || c == -127);
            }
            assert_true(at127 >= 1); /* the largest maps to ±127 */
        }
        free(x);
        free(q);
        free(sc);
    }
    /* Zeros, and a row with NaN / infinity entries (quantised to 0). */
    float z[6] = {0, 0, 0, 0.5f, NAN, -INFINITY};
    int8_t zq[6];
    float zs[2];
    es_vec_quantize(z, 2, 3, zq, zs);
    assert_true(zs[0] == 0.0f);
    assert_int_equal(zq[0] | zq[1] | zq[2], 0);
    assert_true(fabsf(zs[1] - 0.5f / 127) < 1e-9f);
    assert_int_equal(zq[3], 127);
    assert_int_equal(zq[4], 0);
    assert_int_equal(zq[5], 0);
}

/* int8 on random unit vectors, 384-d: the score error against the exact f32
 * cosine and the overlap of the top 10 (bounds well above what bench_search
 * measures, which is ~3e-3 and ~9.6 of 10). */
static void test_i8_precision(void **state)
{
    (void)state;
    int d = 384;
    size_t n = 20000;
    int nq = 10;
    float *x = unit_vectors(n, d, 91);
    float *qs = unit_vectors((size_t)nq, d, 92);
    int8_matrix im;
    make_i8(x, n, d, &im);
    es_vec_matrix mf = {ES_VEC_F32, d, n, x, NULL, NULL};
    float *sf = malloc(n * sizeof *sf), *si = malloc(n * sizeof *si);
    double max_err = 0;
    int overlap = 0;
    for (int t = 0; t < nq; t++) {
        const float *q = qs + (size_t)t * d;
        assert_int_equal(es_vec_scores(&mf, q, 1, sf, NULL), ES_OK);
        assert_int_equal(es_vec_scores(&im.m, q, 1, si, NULL), ES_OK);
        for (size_t r = 0; r < n; r++)
            max_err = fmax(max_err, fabs((double)sf[r] - si[r]));
        es_vec_hit hf[10], hi[10];
        size_t a, b;
        assert_int_equal(es_vec_topk(&mf, q, 10, NULL, 1, hf, &a, NULL), 0);
        assert_int_equal(es_vec_topk(&im.m, q, 10, NULL, 1, hi, &b, NULL), 0);
        for (int i = 0; i < 10; i++)
            for (int j = 0; j < 10; j++)
                overlap += hf[i].row == hi[j].row;
    }
    print_message("int8 vs f32: max |score error| %.4g, top-10 overlap "
                  "%.2f / 10\n", max_err, overlap / (double)nq);
    assert_true(max_err < 1e-2);
    assert_true(max_err > 0);   /* it is int8: some error must show */
    assert_true(overlap >= 8 * nq);
    free(sf);
    free(si);
    free(x);
    free(qs);
    free_i8(&im);
}

/* ------------------------------------------------------------ the rest */

static void test_kernel_choice(void **state)
{
    (void)state;
    /* main set ES_VEC_KERNEL=scalar before the first call. */
    assert_string_equal(es_vec_kernel_name(), "scalar");
    assert_ptr_equal(es_vec_kernel_default(), &es_vec_kernel_scalar);
    assert_non_null(es_vec_kernel_by_name("scalar"));
    assert_null(es_vec_kernel_by_name("sse9"));
    assert_null(es_vec_kernel_by_name(NULL));
    if (es_vec_avx2_usable())
        assert_ptr_equal(es_vec_kernel_by_name("avx2"), &es_vec_kernel_avx2);
    else
        assert_null(es_vec_kernel_by_name("avx2"));
}

static void test_argument_errors(void **state)
{
    (void)state;
    float x[8] = {1, 0, 0, 0, 0, 1, 0, 0}, q[4] = {1, 0, 0, 0}, out[2];
    es_vec_matrix m = {ES_VEC_F32, 4, 2, x, NULL, NULL};
    es_vec_hit h[2];
    size_t nh;
    es_error err;
    assert_int_equal(es_vec_scores(NULL, q, 1, out, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_vec_scores(&m, NULL, 1, out, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_vec_scores(&m, q, 1, NULL, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_vec_topk(&m, q, -1, NULL, 1, h, &nh, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_vec_topk(&m, q, 2, NULL, 1, NULL, &nh, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_vec_topk(&m, q, 2, NULL, 1, h, NULL, &err),
                     ES_ERR_INVALID_ARG);
    float bad[4] = {1, NAN, 0, 0};
    assert_int_equal(es_vec_topk(&m, bad, 2, NULL, 1, h, &nh, &err),
                     ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "index 1"));
    m.dim = 0;
    assert_int_equal(es_vec_scores(&m, q, 1, out, &err), ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "dimension 0"));
    m.dim = 4;
    m.type = ES_VEC_I8;         /* no i8 data nor scales */
    assert_int_equal(es_vec_scores(&m, q, 1, out, &err), ES_ERR_INVALID_ARG);
    m.type = (es_vec_type)7;
    assert_int_equal(es_vec_scores(&m, q, 1, out, &err), ES_ERR_INVALID_ARG);
    m.type = ES_VEC_F32;
    assert_int_equal(es_vec_scores_with(NULL, &m, q, 1, out, &err),
                     ES_ERR_INVALID_ARG);
    /* And the valid call still works, with the expected scores. */
    assert_int_equal(es_vec_topk(&m, q, 2, NULL, 1, h, &nh, &err), ES_OK);
    assert_int_equal(nh, 2);
    assert_int_equal(h[0].row, 0);
    assert_true(h[0].score == 1.0f && h[1].score == 0.0f);
}

int main(void)
{
    setenv("ES_VEC_KERNEL", "scalar", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_choice),
        cmocka_unit_test(test_f32_scores_match_reference),
        cmocka_unit_test(test_i8_scores_exact_and_kernels_agree),
        cmocka_unit_test(test_i8_kernel_full_range),
        cmocka_unit_test(test_f32_score_independent_of_position),
        cmocka_unit_test(test_zero_rows_and_zero_query),
        cmocka_unit_test(test_topk_sizes),
        cmocka_unit_test(test_topk_k_zero_and_empty),
        cmocka_unit_test(test_topk_masks),
        cmocka_unit_test(test_topk_ties),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_select_topk_nan_and_ties),
        cmocka_unit_test(test_select_topk_against_sort),
        cmocka_unit_test(test_quantize_round_trip),
        cmocka_unit_test(test_i8_precision),
        cmocka_unit_test(test_argument_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
