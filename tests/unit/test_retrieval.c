/* test_retrieval.c — retrieval metrics (src/eval/retrieval.c) on cases
 * worked out by hand, ties, skipped queries, more than 10 relevant items,
 * tiles of scores against a brute-force ranking, es_retrieval_ranks, and
 * the nearest-centroid baseline (src/eval/baselines.c). */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/retrieval.h"

#define CLOSE(x, y) assert_true(fabs((double)(x) - (double)(y)) < 1e-9)

/* ------------------------------------------------------------------ hand */

/* Six items and four queries in 2-D.
 *   a0 ( 1, 0) id 0    a1 (0, 1) id 1    a2 (-1, 0) id 2
 *   a3 (.6,.8) id 0    a4 (.8,.6) id 1   a5 ( 0,-1) id 0
 *   q0 (1, 0) id 0     q1 (0, 1) id 2    q2 (-.6,-.8) id 1   q3 (.6,-.8) id 7
 *
 * text→audio (ties: lower item index first)
 *   q0 scores 1 0 -1 .6 .8 0  → order a0 a4 a3 a1 a5 a2; relevant a0 a3 a5 at
 *      ranks 1 3 5, R = 3: AP = (1/1 + 2/3 + 3/5) / 3 = 34/45; hit@1.
 *   q1 scores 0 1 0 .8 .6 -1  → order a1 a3 a4 a0 a2 a5; relevant a2 at rank 5:
 *      AP = 1/5; hit@5, not @1.
 *   q2 scores -.6 -.8 .6 -1 -.96 .8 → order a5 a2 a0 a1 a4 a3; relevant a1 a4
 *      at ranks 4 5, R = 2: AP = (1/4 + 2/5) / 2 = 13/40; hit@5, not @1.
 *   q3 has no relevant item: not counted.
 *   R@1 = 1/3, R@5 = R@10 = 1, mAP@10 = (34/45 + 1/5 + 13/40) / 3 = 461/1080.
 *
 * audio→text (each item ranks q0..q3; ties: lower query index first)
 *   a0: q0 1, q1 0, q2 -.6, q3 .6   → q0 q3 q1 q2: q0 at 1, RR 1
 *   a1: q0 0, q1 1, q2 -.8, q3 -.8  → q1 q0 q2 q3 (tie): q2 at 3, RR 1/3
 *   a2: q0 -1, q1 0, q2 .6, q3 -.6  → q2 q1 q3 q0: q1 at 2, RR 1/2
 *   a3: q0 .6, q1 .8, q2 -1, q3 -.28 → q1 q0 q3 q2: q0 at 2, RR 1/2
 *   a4: q0 .8, q1 .6, q2 -.96, q3 0  → q0 q1 q3 q2: q2 at 4, RR 1/4
 *   a5: q0 0, q1 -1, q2 .8, q3 .8   → q2 q3 (tie) q0 q1: q0 at 3, RR 1/3
 *   R@1 = 1/6, R@5 = 1, mAP@10 = (1 + 1/3 + 1/2 + 1/2 + 1/4 + 1/3) / 6 = 35/72. */
static const float HA[] = {1, 0, 0, 1, -1, 0, .6f, .8f, .8f, .6f, 0, -1};
static const int HAID[] = {0, 1, 2, 0, 1, 0};
static const float HQ[] = {1, 0, 0, 1, -.6f, -.8f, .6f, -.8f};
static const int HQID[] = {0, 2, 1, 7};

static void test_hand_text_to_audio(void **state)
{
    (void)state;
    es_retrieval_scores s;
    assert_int_equal(es_retrieval_text_to_audio(HQ, HQID, 4, HA, HAID, 6, 2,
                                                &s, NULL), ES_OK);
    assert_int_equal(s.n_queries, 3);
    CLOSE(s.r1, 1.0 / 3);
    CLOSE(s.r5, 1.0);
    CLOSE(s.r10, 1.0);
    CLOSE(s.map10, 461.0 / 1080);
}

static void test_hand_audio_to_text(void **state)
{
    (void)state;
    es_retrieval_scores s;
    assert_int_equal(es_retrieval_audio_to_text(HQ, HQID, 4, HA, HAID, 6, 2,
                                                &s, NULL), ES_OK);
    assert_int_equal(s.n_queries, 6);
    CLOSE(s.r1, 1.0 / 6);
    CLOSE(s.r5, 1.0);
    CLOSE(s.r10, 1.0);
    CLOSE(s.map10, 35.0 / 72);
}

static void test_hand_ranks(void **state)
{
    (void)state;
    int r[6] = {-1, -1, -1, -1, -1, -1};
    assert_int_equal(es_retrieval_ranks(HQ, HA, HAID, 6, 2, 0, r, NULL), ES_OK);
    assert_int_equal(r[0], 1);
    assert_int_equal(r[1], 3);
    assert_int_equal(r[2], 5);
    assert_int_equal(r[3], -1);
    assert_int_equal(es_retrieval_ranks(HQ + 4, HA, HAID, 6, 2, 1, r, NULL),
                     ES_OK);
    assert_int_equal(r[0], 4);
    assert_int_equal(r[1], 5);
    /* q1 against id 2: a2 is tied with a0 at 0 and comes after it. */
    assert_int_equal(es_retrieval_ranks(HQ + 2, HA, HAID, 6, 2, 2, r, NULL),
                     ES_OK);
    assert_int_equal(r[0], 5);
    /* No item with the id: nothing written, ranks may even be NULL. */
    r[0] = -7;
    assert_int_equal(es_retrieval_ranks(HQ, HA, HAID, 6, 2, 42, r, NULL), ES_OK);
    assert_int_equal(r[0], -7);
    assert_int_equal(es_retrieval_ranks(HQ, HA, HAID, 6, 2, 42, NULL, NULL),
                     ES_OK);
}

/* ------------------------------------------------------------------ ties */

/* 15 identical items: the order is the item order. Relevant items 3 and 12
 * are at ranks 4 and 13: R@1 0, R@5 1, R@10 1, AP@10 = (1/4) / 2 = 1/8. */
static void test_all_tied(void **state)
{
    (void)state;
    float a[15 * 2], q[2] = {.6f, .8f};
    int aid[15], qid = 5;
    for (int j = 0; j < 15; j++) {
        a[2 * j] = .8f;
        a[2 * j + 1] = -.6f;
        aid[j] = j == 3 || j == 12 ? 5 : 1;
    }
    es_retrieval_scores s;
    assert_int_equal(es_retrieval_text_to_audio(q, &qid, 1, a, aid, 15, 2, &s,
                                                NULL), ES_OK);
    assert_int_equal(s.n_queries, 1);
    CLOSE(s.r1, 0);
    CLOSE(s.r5, 1);
    CLOSE(s.r10, 1);
    CLOSE(s.map10, 1.0 / 8);
    int r[2];
    assert_int_equal(es_retrieval_ranks(q, a, aid, 15, 2, 5, r, NULL), ES_OK);
    assert_int_equal(r[0], 4);
    assert_int_equal(r[1], 13);

    /* audio→text with 12 identical texts, the relevant one 11th: rank 11,
     * outside the top 10: RR truncated to 0, R@10 0. */
    float qs[12 * 2];
    int qids[12];
    for (int i = 0; i < 12; i++) {
        qs[2 * i] = .6f;
        qs[2 * i + 1] = .8f;
        qids[i] = i == 10 ? 1 : 100 + i;
    }
    float item[2] = {1, 0};
    int item_id = 1;
    assert_int_equal(es_retrieval_audio_to_text(qs, qids, 12, item, &item_id, 1,
                                                2, &s, NULL), ES_OK);
    assert_int_equal(s.n_queries, 1);
    CLOSE(s.r10, 0);
    CLOSE(s.map10, 0);
    /* ... and 10th: RR 1/10. */
    qids[10] = 110;
    qids[9] = 1;
    assert_int_equal(es_retrieval_audio_to_text(qs, qids, 12, item, &item_id, 1,
                                                2, &s, NULL), ES_OK);
    CLOSE(s.r5, 0);
    CLOSE(s.r10, 1);
    CLOSE(s.map10, 0.1);
}

/* ------------------------------------------------------- many relevant */

/* 1-D items with scores decreasing by index (item j has score (30-j)/32),
 * so item j has rank j + 1. */
static void test_more_than_ten_relevant(void **state)
{
    (void)state;
    float a[30], q = 1;
    int aid[30], qid = 3;
    for (int j = 0; j < 30; j++) a[j] = (float)(30 - j) / 32;
    es_retrieval_scores s;

    /* The first 12 items relevant: top 10 all relevant, AP = 10/10 = 1. */
    for (int j = 0; j < 30; j++) aid[j] = j < 12 ? 3 : 0;
    assert_int_equal(es_retrieval_text_to_audio(&q, &qid, 1, a, aid, 30, 1, &s,
                                                NULL), ES_OK);
    CLOSE(s.map10, 1);
    CLOSE(s.r1, 1);

    /* 15 relevant at ranks 1, 3, 5, ..., 29: in the top 10 at ranks
     * 1 3 5 7 9, AP = (1/10)(1 + 2/3 + 3/5 + 4/7 + 5/9). */
    for (int j = 0; j < 30; j++) aid[j] = j % 2 == 0 ? 3 : 0;
    assert_int_equal(es_retrieval_text_to_audio(&q, &qid, 1, a, aid, 30, 1, &s,
                                                NULL), ES_OK);
    CLOSE(s.map10, (1 + 2.0 / 3 + 3.0 / 5 + 4.0 / 7 + 5.0 / 9) / 10);

    /* 3 relevant at ranks 2, 9, 11: AP = (1/3)(1/2 + 2/9). */
    for (int j = 0; j < 30; j++) aid[j] = j == 1 || j == 8 || j == 10 ? 3 : 0;
    assert_int_equal(es_retrieval_text_to_audio(&q, &qid, 1, a, aid, 30, 1, &s,
                                                NULL), ES_OK);
    CLOSE(s.map10, (1.0 / 2 + 2.0 / 9) / 3);
    CLOSE(s.r1, 0);
    CLOSE(s.r5, 1);
    int r[3];
    assert_int_equal(es_retrieval_ranks(&q, a, aid, 30, 1, 3, r, NULL), ES_OK);
    assert_int_equal(r[0], 2);
    assert_int_equal(r[1], 9);
    assert_int_equal(r[2], 11);
}

/* ---------------------------------------------------------- no query */

static void test_nothing_counted(void **state)
{
    (void)state;
    es_retrieval_scores s;
    int qid[4] = {9, 9, 8, 7};
    memset(&s, 0x55, sizeof s);
    assert_int_equal(es_retrieval_text_to_audio(HQ, qid, 4, HA, HAID, 6, 2, &s,
                                                NULL), ES_OK);
    assert_int_equal(s.n_queries, 0);
    assert_true(s.r1 == 0 && s.r5 == 0 && s.r10 == 0 && s.map10 == 0);
    memset(&s, 0x55, sizeof s);
    assert_int_equal(es_retrieval_audio_to_text(HQ, qid, 4, HA, HAID, 6, 2, &s,
                                                NULL), ES_OK);
    assert_int_equal(s.n_queries, 0);
    assert_true(s.r1 == 0 && s.map10 == 0);
    /* Empty collections, with NULL arrays. */
    assert_int_equal(es_retrieval_text_to_audio(HQ, HQID, 4, NULL, NULL, 0, 2,
                                                &s, NULL), ES_OK);
    assert_int_equal(s.n_queries, 0);
    assert_int_equal(es_retrieval_audio_to_text(NULL, NULL, 0, HA, HAID, 6, 2,
                                                &s, NULL), ES_OK);
    assert_int_equal(s.n_queries, 0);
}

/* ------------------------------------------------------ tiles vs brute */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Ranking order: does item i come before item j? */
static int before(const float *s, int i, int j)
{
    return s[i] > s[j] || (s[i] == s[j] && i < j);
}

/* R@1/5/10 and AP@10 of one query by ten passes of "best remaining". */
static void brute_query(const float *s, const int *aid, int na, int id,
                        double acc[4])
{
    int r = 0;
    for (int j = 0; j < na; j++) r += aid[j] == id;
    if (!r) return;
    int top[10], n = 0;
    char *taken = calloc((size_t)na, 1);
    for (; n < 10 && n < na; n++) {
        int b = -1;
        for (int j = 0; j < na; j++)
            if (!taken[j] && (b < 0 || before(s, j, b))) b = j;
        taken[b] = 1;
        top[n] = b;
    }
    free(taken);
    int hits = 0, first = 0;
    double ap = 0;
    for (int k = 0; k < n; k++)
        if (aid[top[k]] == id) {
            hits++;
            if (!first) first = k + 1;
            ap += (double)hits / (k + 1);
        }
    acc[0] += first == 1;
    acc[1] += first >= 1 && first <= 5;
    acc[2] += first >= 1;
    acc[3] += ap / (r < 10 ? r : 10);
}

/* 400 queries × 70000 items: more than one tile of queries (256) and of
 * items (65536). Vectors on a grid of halves, so float scores are exact
 * and heavily tied. */
static void test_tiles_against_brute_force(void **state)
{
    (void)state;
    const int nq = 400, na = 70000, dim = 3;
    uint32_t seed = 12345;
    float *q = malloc(sizeof(float) * nq * dim), *a = malloc(sizeof(float) * na * dim);
    int *qid = malloc(sizeof(int) * nq), *aid = malloc(sizeof(int) * na);
    float *s = malloc(sizeof(float) * na);
    for (int i = 0; i < nq * dim; i++) q[i] = (float)((int)(lcg(&seed) % 5) - 2) / 2;
    for (int i = 0; i < na * dim; i++) a[i] = (float)((int)(lcg(&seed) % 5) - 2) / 2;
    for (int i = 0; i < nq; i++) qid[i] = (int)(lcg(&seed) % 60);
    for (int j = 0; j < na; j++) aid[j] = (int)(lcg(&seed) % 50);
    /* A few rare ids so some queries have one or two relevant items. */
    for (int i = 0; i < 20; i++) {
        qid[i * 15] = 1000 + i;
        aid[(int)(lcg(&seed) % (uint32_t)na)] = 1000 + i;
        if (i % 2) aid[(int)(lcg(&seed) % (uint32_t)na)] = 1000 + i;
    }
    double acc[4] = {0, 0, 0, 0};
    int counted = 0;
    for (int i = 0; i < nq; i++) {
        for (int j = 0; j < na; j++)
            s[j] = q[i * dim] * a[j * dim] + q[i * dim + 1] * a[j * dim + 1] +
                   q[i * dim + 2] * a[j * dim + 2];
        int r = 0;
        for (int j = 0; j < na; j++) r += aid[j] == qid[i];
        brute_query(s, aid, na, qid[i], acc);
        counted += r > 0;
    }
    es_retrieval_scores m;
    assert_int_equal(es_retrieval_text_to_audio(q, qid, nq, a, aid, (size_t)na,
                                                dim, &m, NULL), ES_OK);
    assert_int_equal(m.n_queries, counted);
    assert_true(counted > 256 && counted < nq);
    CLOSE(m.r1, acc[0] / counted);
    CLOSE(m.r5, acc[1] / counted);
    CLOSE(m.r10, acc[2] / counted);
    CLOSE(m.map10, acc[3] / counted);

    /* es_retrieval_ranks against a direct count, on the rare ids. */
    for (int i = 0; i < 20; i++) {
        const float *qi = q + i * 15 * dim;
        int id = 1000 + i, rk[4], n = 0, want[4];
        for (int j = 0; j < na; j++)
            s[j] = qi[0] * a[j * dim] + qi[1] * a[j * dim + 1] + qi[2] * a[j * dim + 2];
        for (int j = 0; j < na; j++)
            if (aid[j] == id) {
                int ahead = 0;
                for (int k = 0; k < na; k++) ahead += before(s, k, j);
                want[n++] = ahead + 1;
            }
        assert_true(n >= 1 && n <= 2);
        assert_int_equal(es_retrieval_ranks(qi, a, aid, (size_t)na, dim, id, rk,
                                            NULL), ES_OK);
        for (int k = 0; k < n; k++) assert_int_equal(rk[k], want[k]);
    }
    free(q);
    free(a);
    free(qid);
    free(aid);
    free(s);
}

/* ---------------------------------------------------------------- errors */

static void test_argument_errors(void **state)
{
    (void)state;
    es_retrieval_scores s;
    es_error err;
    int r[4];
    assert_int_equal(es_retrieval_text_to_audio(HQ, HQID, 4, HA, HAID, 6, 0, &s,
                                                &err), ES_ERR_INVALID_ARG);
    assert_int_equal(err.code, ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "dim"));
    assert_int_equal(es_retrieval_text_to_audio(HQ, HQID, -1, HA, HAID, 6, 2, &s,
                                                &err), ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "nq"));
    assert_int_equal(es_retrieval_audio_to_text(HQ, HQID, -3, HA, HAID, 6, 2, &s,
                                                &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_retrieval_text_to_audio(NULL, HQID, 4, HA, HAID, 6, 2,
                                                &s, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_retrieval_text_to_audio(HQ, NULL, 4, HA, HAID, 6, 2,
                                                &s, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_retrieval_audio_to_text(HQ, HQID, 4, NULL, HAID, 6, 2,
                                                &s, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_retrieval_audio_to_text(HQ, HQID, 4, HA, NULL, 6, 2,
                                                &s, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_retrieval_text_to_audio(HQ, HQID, 4, HA, HAID, 6, 2,
                                                NULL, &err), ES_ERR_INVALID_ARG);
    /* NULL err is allowed. */
    assert_int_equal(es_retrieval_text_to_audio(HQ, HQID, 4, HA, HAID, 6, -2, &s,
                                                NULL), ES_ERR_INVALID_ARG);
    /* A NaN in the vectors is refused. */
    float bad[12];
    memcpy(bad, HA, sizeof bad);
    bad[7] = NAN;
    assert_int_equal(es_retrieval_text_to_audio(HQ, HQID, 4, bad, HAID, 6, 2, &s,
                                                &err), ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "finite"));
    assert_int_equal(s.n_queries, 0);
    assert_int_equal(es_retrieval_ranks(HQ, bad, HAID, 6, 2, 0, r, &err),
                     ES_ERR_INVALID_ARG);
    /* ranks */
    assert_int_equal(es_retrieval_ranks(HQ, HA, HAID, 6, 0, 0, r, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_retrieval_ranks(NULL, HA, HAID, 6, 2, 0, r, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_retrieval_ranks(HQ, NULL, HAID, 6, 2, 0, r, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_retrieval_ranks(HQ, HA, NULL, 6, 2, 0, r, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_retrieval_ranks(HQ, HA, HAID, 6, 2, 0, NULL, &err),
                     ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "ranks"));
}

/* -------------------------------------------------------------- centroid */

static double norm(const float *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)v[i] * v[i];
    return sqrt(s);
}

/* Three well-separated clusters in 2-D, one-hot label vectors: every
 * training and new point gets its own class's vector, and audio→text R@1
 * (the nearest-label accuracy) is 1. */
static void test_centroid_separable(void **state)
{
    (void)state;
    const float centre[3][2] = {{10, 0}, {0, 10}, {-10, -10}};
    enum { N = 60 };
    float x[N * 2], out[N * 3];
    int y[N];
    uint32_t seed = 7;
    for (int i = 0; i < N; i++) {
        y[i] = i % 3;
        for (int d = 0; d < 2; d++)
            x[i * 2 + d] = centre[y[i]][d] +
                           ((float)(lcg(&seed) % 1000) / 1000.0f - 0.5f);
    }
    const float lv[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    es_centroid_model *m = NULL;
    assert_int_equal(es_centroid_fit(x, y, N, 2, lv, 3, 3, &m, NULL), ES_OK);
    assert_non_null(m);
    /* New points: shifted copies. */
    for (int i = 0; i < N * 2; i++) x[i] += 0.3f;
    assert_int_equal(es_centroid_embed(m, x, N, out, NULL), ES_OK);
    for (int i = 0; i < N; i++) {
        assert_true(fabs(norm(out + i * 3, 3) - 1) < 1e-6);
        assert_true(out[i * 3 + y[i]] > 0.999f);
    }
    es_retrieval_scores s;
    int qid[3] = {0, 1, 2};
    assert_int_equal(es_retrieval_audio_to_text(lv, qid, 3, out, y, N, 3, &s,
                                                NULL), ES_OK);
    assert_int_equal(s.n_queries, N);
    CLOSE(s.r1, 1);
    CLOSE(s.map10, 1);
    es_centroid_free(m);
}

/* 1-D, class 0 at {-3, -1}, class 1 at {1, 3}: mean 0, std √5, centroids
 * ∓2/√5, s² = 1/5. At x = 0 both are at the same distance: equal weights,
 * out = (1, 1)/√2. At x = 1 (z = 1/√5): d0² = 9/5, d1² = 1/5, so
 * w0/w1 = exp(-(8/5) / (2/5)) = e⁻⁴: out = (e⁻⁴, 1)/‖·‖. The third class
 * has no training row and never gets weight. */
static void test_centroid_softmax_blend(void **state)
{
    (void)state;
    const float x[4] = {-3, -1, 1, 3};
    const int y[4] = {0, 0, 1, 1};
    const float lv[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    es_centroid_model *m = NULL;
    assert_int_equal(es_centroid_fit(x, y, 4, 1, lv, 3, 3, &m, NULL), ES_OK);
    const float probe[3] = {0, 1, 40};
    float out[9];
    assert_int_equal(es_centroid_embed(m, probe, 3, out, NULL), ES_OK);
    assert_true(fabs(out[0] - 1 / sqrt(2)) < 1e-6);
    assert_true(fabs(out[1] - 1 / sqrt(2)) < 1e-6);
    double e4 = exp(-4.0), n = sqrt(e4 * e4 + 1);
    assert_true(fabs(out[3] - e4 / n) < 1e-6);
    assert_true(fabs(out[4] - 1 / n) < 1e-6);
    assert_true(out[2] == 0 && out[5] == 0 && out[8] == 0);
    assert_true(out[6] == 0 && fabs(out[7] - 1) < 1e-6);   /* far right */
    es_centroid_free(m);

    /* Standardisation: scaling and shifting the feature changes nothing. */
    float x2[4], probe2[3], out2[9];
    for (int i = 0; i < 4; i++) x2[i] = x[i] * 1000 + 5;
    for (int i = 0; i < 3; i++) probe2[i] = probe[i] * 1000 + 5;
    assert_int_equal(es_centroid_fit(x2, y, 4, 1, lv, 3, 3, &m, NULL), ES_OK);
    assert_int_equal(es_centroid_embed(m, probe2, 3, out2, NULL), ES_OK);
    for (int i = 0; i < 9; i++) assert_true(fabs(out[i] - out2[i]) < 1e-5);
    es_centroid_free(m);
}

/* One point per class (s² = 0): the limit of the softmax, the nearest
 * centroid alone, or an equal split on a tie. Unlabelled rows are ignored
 * (they would move the mean and std), and a constant dimension keeps
 * std 1. */
static void test_centroid_hard_and_ignored(void **state)
{
    (void)state;
    const float x[8] = {0, 7, 2, 7, 100, 7, -50, 7};   /* dimension 1 constant */
    const int y[4] = {0, 1, -1, -1};
    const float lv[4] = {1, 0, 0.6f, 0.8f};
    es_centroid_model *m = NULL;
    assert_int_equal(es_centroid_fit(x, y, 4, 2, lv, 2, 2, &m, NULL), ES_OK);
    /* mean (1, 7), std (1, 0 → 1): centroids z = -1 and +1. */
    const float probe[6] = {-0.5f, 7, 1, 7, 1.5f, 3};
    float out[6];
    assert_int_equal(es_centroid_embed(m, probe, 3, out, NULL), ES_OK);
    assert_true(out[0] == 1 && out[1] == 0);
    /* x = 1 is z = 0: equidistant, (1,0) + (.6,.8) normalised. */
    double n = sqrt(1.6 * 1.6 + 0.8 * 0.8);
    assert_true(fabs(out[2] - 1.6 / n) < 1e-6 && fabs(out[3] - 0.8 / n) < 1e-6);
    assert_true(fabs(out[4] - 0.6f) < 1e-6 && fabs(out[5] - 0.8f) < 1e-6);
    es_centroid_free(m);
}

static void test_centroid_errors(void **state)
{
    (void)state;
    const float x[4] = {0, 1, 2, 3};
    const float lv[4] = {1, 0, 0, 1};
    const int none[4] = {-1, -1, -1, -1}, y[4] = {0, 1, 0, 1}, bad[4] = {0, 2, 0, 1};
    es_centroid_model *m = (es_centroid_model *)1;
    es_error err;
    assert_int_equal(es_centroid_fit(x, none, 4, 1, lv, 2, 2, &m, &err),
                     ES_ERR_INVALID_ARG);
    assert_null(m);
    assert_non_null(strstr(err.message, "labelled"));
    assert_int_equal(es_centroid_fit(x, y, 0, 1, lv, 2, 2, &m, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_centroid_fit(x, bad, 4, 1, lv, 2, 2, &m, &err),
                     ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "label 2"));
    assert_int_equal(es_centroid_fit(x, y, 4, 0, lv, 2, 2, &m, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_centroid_fit(x, y, 4, 1, lv, 0, 2, &m, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_centroid_fit(x, y, 4, 1, lv, 2, 0, &m, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_centroid_fit(NULL, y, 4, 1, lv, 2, 2, &m, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_centroid_fit(x, NULL, 4, 1, lv, 2, 2, &m, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_centroid_fit(x, y, 4, 1, NULL, 2, 2, &m, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_centroid_fit(x, y, 4, 1, lv, 2, 2, NULL, &err),
                     ES_ERR_INVALID_ARG);
    float xn[4] = {0, NAN, 2, 3};
    assert_int_equal(es_centroid_fit(xn, y, 4, 1, lv, 2, 2, &m, &err),
                     ES_ERR_INVALID_ARG);
    assert_int_equal(es_centroid_fit(x, y, 4, 1, lv, 2, 2, &m, &err), ES_OK);
    float out[8];
    assert_int_equal(es_centroid_embed(NULL, x, 4, out, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_centroid_embed(m, NULL, 4, out, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_centroid_embed(m, x, 4, NULL, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_centroid_embed(m, xn, 4, out, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_centroid_embed(m, NULL, 0, NULL, &err), ES_OK);
    es_centroid_free(m);
    es_centroid_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_text_to_audio),
        cmocka_unit_test(test_hand_audio_to_text),
        cmocka_unit_test(test_hand_ranks),
        cmocka_unit_test(test_all_tied),
        cmocka_unit_test(test_more_than_ten_relevant),
        cmocka_unit_test(test_nothing_counted),
        cmocka_unit_test(test_tiles_against_brute_force),
        cmocka_unit_test(test_argument_errors),
        cmocka_unit_test(test_centroid_separable),
        cmocka_unit_test(test_centroid_softmax_blend),
        cmocka_unit_test(test_centroid_hard_and_ignored),
        cmocka_unit_test(test_centroid_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
