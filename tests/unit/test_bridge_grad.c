/* test_bridge_grad.c — the bridge's backward pass and losses against
 * central finite differences, for both heads and all three losses, and the
 * training loop's basic promises (loss goes down, same seed → same
 * weights, early stopping keeps the best epoch). */
#include "testlib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/bridge/bridge_net.h"
#include "models/bridge/bridge_train.h"
#include "util/rng.h"

static void fill(float *x, size_t n, float scale, uint64_t *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((2.0 * es_rng_uniform(rng) - 1.0) * scale);
}

static void unit_rows(float *t, size_t n, int d)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < d; k++)
            s += (double)t[i * d + k] * t[i * d + k];
        for (int k = 0; k < d; k++)
            t[i * d + k] = (float)(t[i * d + k] / sqrt(s));
    }
}

/* Loss of the net on (x, t); *pattern gets a hash of which ReLUs are on,
 * so a difference that crosses a kink can be told apart (the gradient is
 * not defined there and a finite difference means nothing). */
static double loss_of(const es_bridge_net *net, es_bridge_loss loss,
                      const float *x, const float *t, const int *key, size_t n,
                      uint64_t *pattern)
{
    int d = net->dims[net->n_layers];
    float *y = malloc(n * (size_t)d * sizeof *y);
    es_bridge_cache c;
    assert_int_equal(es_bridge_cache_init(&c, net, n, NULL), ES_OK);
    assert_int_equal(es_bridge_net_forward(net, x, n, y, &c, NULL), ES_OK);
    uint64_t h = 1469598103934665603ULL;
    for (int l = 1; l < net->n_layers; l++)
        for (size_t k = 0; k < n * (size_t)net->dims[l]; k++)
            h = (h ^ (uint64_t)(c.a[l][k] > 0.0f)) * 1099511628211ULL;
    *pattern = h;
    double l = es_bridge_loss_eval(loss, 0.2f, y, t, key, n, d, NULL);
    es_bridge_cache_free(&c);
    free(y);
    return l;
}

/* Compares every weight's and bias's analytic gradient with a central
 * difference; the relative error over the whole gradient vector must be
 * small and no single entry may be far off. */
static void check_grad(es_bridge_head head, es_bridge_loss loss)
{
    const int dims[] = {7, 9, 6, 5};
    const size_t n = 6;
    es_bridge_net *net = NULL;
    assert_int_equal(es_bridge_net_new(dims, 3, head, &net, NULL), ES_OK);
    es_bridge_net_init(net, 42);
    uint64_t rng = 7;
    float x[6 * 7], t[6 * 5];
    fill(x, sizeof x / sizeof *x, 2.0f, &rng);
    fill(t, sizeof t / sizeof *t, 1.0f, &rng);
    unit_rows(t, n, 5);
    int key[6] = {0, 1, 2, 1, 3, 4};  /* rows 1 and 3 share a target */
    memcpy(t + 3 * 5, t + 1 * 5, 5 * sizeof(float));
    for (int j = 0; j < 7; j++) {
        net->in_mean[j] = 0.1f * (float)j;
        net->in_std[j] = 0.5f + 0.2f * (float)j;
    }
    for (int l = 0; l < 3; l++)
        fill(net->b[l], (size_t)dims[l + 1], 0.3f, &rng);

    es_bridge_cache cache;
    es_bridge_grads g;
    assert_int_equal(es_bridge_cache_init(&cache, net, n, NULL), ES_OK);
    assert_int_equal(es_bridge_grads_init(&g, net, NULL), ES_OK);
    float y[6 * 5], dy[6 * 5];
    assert_int_equal(es_bridge_net_forward(net, x, n, y, &cache, NULL), ES_OK);
    es_bridge_loss_eval(loss, 0.2f, y, t, key, n, 5, dy);
    assert_int_equal(es_bridge_net_backward(net, &cache, n, dy, &g, NULL), ES_OK);

    double num2 = 0, den2 = 0, worst = 0;
    int checked = 0, kinks = 0;
    const float h = 1e-2f;
    for (int l = 0; l < 3; l++) {
        for (int which = 0; which < 2; which++) {
            float *p = which ? net->b[l] : net->w[l];
            const float *ga = which ? g.b[l] : g.w[l];
            size_t cnt = which ? (size_t)dims[l + 1]
                               : (size_t)dims[l + 1] * (size_t)dims[l];
            for (size_t k = 0; k < cnt; k++) {
                float keep = p[k];
                uint64_t pp, pm, p0;
                p[k] = keep + h;
                double lp = loss_of(net, loss, x, t, key, n, &pp);
                p[k] = keep - h;
                double lm = loss_of(net, loss, x, t, key, n, &pm);
                p[k] = keep;
                loss_of(net, loss, x, t, key, n, &p0);
                if (pp != p0 || pm != p0) {
                    kinks++;
                    continue;
                }
                checked++;
                double gn = (lp - lm) / (2.0 * h), e = gn - ga[k];
                num2 += e * e;
                den2 += gn * gn + (double)ga[k] * ga[k];
                /* float32 forward: the difference carries ~1e-5 of noise */
                double rel = fabs(e) / (fabs(gn) + fabs(ga[k]) + 1e-3);
                if (rel > worst)
                    worst = rel;
            }
        }
    }
    double rel = sqrt(num2 / den2);
    print_message("head %s loss %s: relative error %.2e, worst entry %.2e "
                  "(%d entries, %d skipped at a ReLU kink)\n",
                  es_bridge_head_name(head), es_bridge_loss_name(loss), rel,
                  worst, checked, kinks);
    assert_true(kinks * 4 < checked + kinks);
    assert_true(den2 > 1e-8);   /* the gradient is not trivially zero */
    /* float32 forward and h = 1e-2: a correct backward lands near 1e-3;
     * a wrong one (a missing term, a transposed product) near 1. */
    assert_true(rel < 1e-2);
    assert_true(worst < 5e-2);
    es_bridge_grads_free(&g, net);
    es_bridge_cache_free(&cache);
    es_bridge_net_free(net);
}

static void test_grad_tanh_mse(void **s) { (void)s; check_grad(ES_BRIDGE_HEAD_TANH, ES_LOSS_MSE); }
static void test_grad_tanh_cosine(void **s) { (void)s; check_grad(ES_BRIDGE_HEAD_TANH, ES_LOSS_COSINE); }
static void test_grad_tanh_infonce(void **s) { (void)s; check_grad(ES_BRIDGE_HEAD_TANH, ES_LOSS_INFONCE); }
static void test_grad_l2_mse(void **s) { (void)s; check_grad(ES_BRIDGE_HEAD_L2, ES_LOSS_MSE); }
static void test_grad_l2_cosine(void **s) { (void)s; check_grad(ES_BRIDGE_HEAD_L2, ES_LOSS_COSINE); }
static void test_grad_l2_infonce(void **s) { (void)s; check_grad(ES_BRIDGE_HEAD_L2, ES_LOSS_INFONCE); }

/* Hand-checkable loss values. */
static void test_loss_values(void **s)
{
    (void)s;
    float y[4] = {1, 0, 0, 1}, t[4] = {1, 0, 0, 1};
    int key[2] = {0, 1};
    assert_float_equal(es_bridge_loss_eval(ES_LOSS_MSE, 0, y, t, key, 2, 2, NULL), 0.0f, 1e-7);
    assert_float_equal(es_bridge_loss_eval(ES_LOSS_COSINE, 0, y, t, key, 2, 2, NULL), 0.0f, 1e-7);
    /* Orthogonal unit targets: S = [[1/τ, 0], [0, 1/τ]], each softmax gives
     * log(1 + e^{−1/τ}) in both directions. */
    float tau = 0.5f;
    double expect = log(1.0 + exp(-1.0 / tau));
    assert_float_equal(es_bridge_loss_eval(ES_LOSS_INFONCE, tau, y, t, key, 2, 2, NULL),
                       (float)expect, 1e-6);
    /* Two rows with one key: a single target column, so audio→text is 0,
     * and text→audio is log 2 − (mean over positives of log softmax)… with
     * both rows equal it is exactly log 2 / 2 overall. */
    float y2[4] = {1, 0, 1, 0}, t2[4] = {1, 0, 1, 0};
    int k2[2] = {3, 3};
    assert_float_equal(es_bridge_loss_eval(ES_LOSS_INFONCE, tau, y2, t2, k2, 2, 2, NULL),
                       (float)(0.5 * log(2.0)), 1e-6);
    float y3[2] = {2, 0}, t3[2] = {0, 1};
    int k3[1] = {0};
    /* MSE: ((2−0)² + (0−1)²) / 2 = 2.5 ; cosine: 1 − 0 = 1 */
    assert_float_equal(es_bridge_loss_eval(ES_LOSS_MSE, 0, y3, t3, k3, 1, 2, NULL), 2.5f, 1e-6);
    assert_float_equal(es_bridge_loss_eval(ES_LOSS_COSINE, 0, y3, t3, k3, 1, 2, NULL), 1.0f, 1e-6);
}

/* A learnable toy task: 4 clusters of inputs, each mapped to one of 4 unit
 * targets. */
typedef struct toy {
    float x[200 * 6], t[200 * 4];
    int key[200];
} toy;

static void make_toy(toy *d, size_t n, uint64_t seed)
{
    uint64_t rng = seed;
    for (size_t i = 0; i < n; i++) {
        int c = (int)(i % 4);
        d->key[i] = c;
        for (int k = 0; k < 6; k++)
            d->x[i * 6 + k] = (float)((k == c ? 3.0 : 0.0) + 10.0 * (k == 5) +
                                      (es_rng_uniform(&rng) - 0.5));
        for (int k = 0; k < 4; k++)
            d->t[i * 4 + k] = k == c ? 1.0f : 0.0f;
    }
}

static void test_train_learns_and_is_reproducible(void **s)
{
    (void)s;
    static toy tr, va;
    make_toy(&tr, 200, 1);
    make_toy(&va, 40, 2);
    es_bridge_examples train = {200, 6, 4, tr.x, tr.t, tr.key};
    es_bridge_examples val = {40, 6, 4, va.x, va.t, va.key};
    const int dims[] = {6, 16, 4};
    for (int loss = 0; loss < 3; loss++) {
        es_bridge_net *a = NULL, *b = NULL;
        assert_int_equal(es_bridge_net_new(dims, 2, ES_BRIDGE_HEAD_TANH, &a, NULL), ES_OK);
        assert_int_equal(es_bridge_net_new(dims, 2, ES_BRIDGE_HEAD_TANH, &b, NULL), ES_OK);
        es_bridge_train_params p = es_bridge_train_default_params();
        p.loss = (es_bridge_loss)loss;
        p.epochs = 60;
        p.batch_size = 16;
        p.lr = 3e-3f;
        es_bridge_train_report ra, rb;
        es_error err;
        assert_int_equal(es_bridge_train(a, &train, &val, &p, &ra, &err), ES_OK);
        assert_int_equal(es_bridge_train(b, &train, &val, &p, &rb, &err), ES_OK);
        print_message("loss %s: val mAP@10 %.3f at epoch %d of %d\n",
                      es_bridge_loss_name(p.loss), ra.best_val_map10,
                      ra.best_epoch, ra.epochs_run);
        assert_true(ra.best_val_map10 > 0.99);
        assert_int_equal(ra.best_epoch, rb.best_epoch);
        for (int l = 0; l < 2; l++)
            assert_memory_equal(a->w[l], b->w[l],
                                (size_t)dims[l] * dims[l + 1] * sizeof(float));
        /* The standardisation was fitted: feature 5 has mean ≈ 10. */
        assert_true(fabsf(a->in_mean[5] - 10.0f) < 0.2f);
        es_bridge_net_free(a);
        es_bridge_net_free(b);
    }
}

static void test_train_bad_params(void **s)
{
    (void)s;
    static toy tr;
    make_toy(&tr, 20, 1);
    es_bridge_examples train = {20, 6, 4, tr.x, tr.t, tr.key};
    const int dims[] = {6, 8, 3};   /* wrong output width */
    es_bridge_net *a = NULL;
    assert_int_equal(es_bridge_net_new(dims, 2, ES_BRIDGE_HEAD_L2, &a, NULL), ES_OK);
    es_bridge_train_params p = es_bridge_train_default_params();
    es_bridge_train_report r;
    es_error err;
    assert_int_equal(es_bridge_train(a, &train, NULL, &p, &r, &err), ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "6→4"));
    p.lr = -1;
    train.out_dim = 3;
    assert_int_equal(es_bridge_train(a, &train, NULL, &p, &r, &err), ES_ERR_INVALID_ARG);
    es_bridge_net_free(a);
}

static void test_quantize(void **s)
{
    (void)s;
    const int dims[] = {128, 256, 512, 100};
    es_bridge_net *net = NULL;
    assert_int_equal(es_bridge_net_new(dims, 3, ES_BRIDGE_HEAD_TANH, &net, NULL), ES_OK);
    es_bridge_net_init(net, 3);
    es_bridge_net *q = NULL;
    assert_int_equal(es_bridge_net_clone(net, &q, NULL), ES_OK);
    es_bridge_net_quantize(q);
    assert_true(q->quantized);
    assert_true(es_bridge_net_weight_bytes(q) < 500 * 1024);
    for (int l = 0; l < 3; l++)
        for (int r = 0; r < dims[l + 1]; r++)
            for (int j = 0; j < dims[l]; j++) {
                float w = q->w[l][(size_t)r * dims[l] + j], sc = q->scale[l][r];
                float k = w / sc;
                assert_true(fabsf(k - rintf(k)) < 1e-3f && fabsf(rintf(k)) <= 127.0f);
                assert_true(fabsf(w - net->w[l][(size_t)r * dims[l] + j]) <= 0.5f * sc + 1e-7f);
            }
    /* Idempotent. */
    float keep = q->w[1][5];
    es_bridge_net_quantize(q);
    assert_true(q->w[1][5] == keep);
    /* Outputs stay close: cosine of embeddings ≥ 0.99. */
    float x[4 * 128], ya[4 * 100], yb[4 * 100];
    uint64_t rng = 5;
    fill(x, sizeof x / sizeof *x, 1.0f, &rng);
    assert_int_equal(es_bridge_net_embed(net, x, 4, ya, NULL), ES_OK);
    assert_int_equal(es_bridge_net_embed(q, x, 4, yb, NULL), ES_OK);
    for (int i = 0; i < 4; i++) {
        double c = 0;
        for (int k = 0; k < 100; k++)
            c += (double)ya[i * 100 + k] * yb[i * 100 + k];
        assert_true(c > 0.99);
    }
    es_bridge_net_free(q);
    es_bridge_net_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_tanh_mse),
        cmocka_unit_test(test_grad_tanh_cosine),
        cmocka_unit_test(test_grad_tanh_infonce),
        cmocka_unit_test(test_grad_l2_mse),
        cmocka_unit_test(test_grad_l2_cosine),
        cmocka_unit_test(test_grad_l2_infonce),
        cmocka_unit_test(test_loss_values),
        cmocka_unit_test(test_train_learns_and_is_reproducible),
        cmocka_unit_test(test_train_bad_params),
        cmocka_unit_test(test_quantize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
