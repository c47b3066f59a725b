/* bridge_loss.c — the three training losses of the bridge and their
 * gradients with respect to the head output y.
 *
 *   MSE      L = 1/n Σ_i ‖y_i − t_i‖² / D          (the seed's recipe)
 *   cosine   L = 1/n Σ_i (1 − y_i·t_i / ‖y_i‖)     (t_i is unit)
 *   InfoNCE  u_i = y_i/‖y_i‖; the batch's distinct targets c_1..c_m (by
 *            key); S_ij = u_i·t_{c_j} / τ.
 *            audio→text: −1/n Σ_i log softmax_j(S_i·)[pos(i)]
 *            text→audio: −1/m Σ_j 1/|P_j| Σ_{i∈P_j} log softmax_i(S_·j)[i]
 *            (P_j: the rows whose target is c_j), L = the mean of the two.
 * Deduplicating targets keeps two clips of one label from being each
 * other's negatives, which in-batch negatives would otherwise do often
 * with 50 classes and batches of 64. */
#include "models/bridge/bridge_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"

es_status es_bridge_loss_parse(const char *name, es_bridge_loss *out,
                               es_error *err)
{
    static const char *names[] = {"mse", "cosine", "infonce"};
    for (int i = 0; i < 3; i++)
        if (name && strcasecmp(name, names[i]) == 0) {
            *out = (es_bridge_loss)i;
            return ES_OK;
        }
    return es_fail(err, ES_ERR_INVALID_ARG,
                   "unknown loss '%s': use mse, cosine or infonce",
                   name ? name : "(null)");
}

const char *es_bridge_loss_name(es_bridge_loss l)
{
    switch (l) {
    case ES_LOSS_MSE: return "mse";
    case ES_LOSS_COSINE: return "cosine";
    case ES_LOSS_INFONCE: return "infonce";
    }
    return "?";
}

es_status es_bridge_head_parse(const char *name, es_bridge_head *out,
                               es_error *err)
{
    if (name && strcasecmp(name, "tanh") == 0) {
        *out = ES_BRIDGE_HEAD_TANH;
        return ES_OK;
    }
    if (name && strcasecmp(name, "l2") == 0) {
        *out = ES_BRIDGE_HEAD_L2;
        return ES_OK;
    }
    return es_fail(err, ES_ERR_INVALID_ARG,
                   "unknown head '%s': use tanh or l2", name ? name : "(null)");
}

const char *es_bridge_head_name(es_bridge_head h)
{
    return h == ES_BRIDGE_HEAD_L2 ? "l2" : "tanh";
}

static double dot(const float *a, const float *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++)
        s += (double)a[j] * b[j];
    return s;
}

static float loss_mse(const float *y, const float *t, size_t n, int d,
                      float *dy)
{
    double s = 0, scale = 1.0 / ((double)n * d);
    for (size_t k = 0; k < n * (size_t)d; k++) {
        double e = (double)y[k] - t[k];
        s += e * e;
        if (dy)
            dy[k] = (float)(2.0 * e * scale);
    }
    return (float)(s * scale);
}

static float loss_cosine(const float *y, const float *t, size_t n, int d,
                         float *dy)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        const float *yi = y + i * (size_t)d, *ti = t + i * (size_t)d;
        double ny = sqrt(dot(yi, yi, d)), yt = dot(yi, ti, d);
        double c = ny > 1e-12 ? yt / ny : 0.0;
        s += 1.0 - c;
        if (!dy)
            continue;
        float *gi = dy + i * (size_t)d;
        if (ny <= 1e-12) {
            memset(gi, 0, (size_t)d * sizeof(float));
            continue;
        }
        /* d(1 − cos)/dy = −(t/‖y‖ − (y·t) y / ‖y‖³), averaged over n */
        for (int j = 0; j < d; j++)
            gi[j] = (float)(-(ti[j] / ny - yt * yi[j] / (ny * ny * ny)) /
                            (double)n);
    }
    return (float)(s / (double)n);
}

static float loss_infonce(float tau, const float *y, const float *t,
                          const int *key, size_t n, int d, float *dy)
{
    /* Distinct targets: col[j] = first row with that key; pos[i] = column. */
    size_t *col = malloc(n * sizeof *col), *pos = malloc(n * sizeof *pos);
    float *u = malloc(n * (size_t)d * sizeof *u);
    double *ny = malloc(n * sizeof *ny);
    double *S = malloc(n * n * sizeof *S), *G = calloc(n * n, sizeof *G);
    size_t *npos = calloc(n, sizeof *npos);
    float loss = NAN;
    if (!col || !pos || !u || !ny || !S || !G || !npos)
        goto out;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < m && key[col[j]] != key[i])
            j++;
        if (j == m)
            col[m++] = i;
        pos[i] = j;
        npos[j]++;
    }
    for (size_t i = 0; i < n; i++) {
        const float *yi = y + i * (size_t)d;
        ny[i] = sqrt(dot(yi, yi, d));
        float inv = ny[i] > 1e-12 ? (float)(1.0 / ny[i]) : 0.0f;
        for (int k = 0; k < d; k++)
            u[i * (size_t)d + (size_t)k] = yi[k] * inv;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++)
            S[i * m + j] = dot(u + i * (size_t)d, t + col[j] * (size_t)d, d) / tau;
    double la = 0, lt = 0;
    /* audio → text: softmax over the m targets of each row */
    for (size_t i = 0; i < n; i++) {
        double mx = -INFINITY, z = 0;
        for (size_t j = 0; j < m; j++)
            mx = fmax(mx, S[i * m + j]);
        for (size_t j = 0; j < m; j++)
            z += exp(S[i * m + j] - mx);
        double lz = mx + log(z);
        la -= S[i * m + pos[i]] - lz;
        for (size_t j = 0; j < m; j++)
            G[i * m + j] += (exp(S[i * m + j] - lz) - (j == pos[i])) /
                            (2.0 * (double)n);
    }
    /* text → audio: softmax over the n rows of each target */
    for (size_t j = 0; j < m; j++) {
        double mx = -INFINITY, z = 0;
        for (size_t i = 0; i < n; i++)
            mx = fmax(mx, S[i * m + j]);
        for (size_t i = 0; i < n; i++)
            z += exp(S[i * m + j] - mx);
        double lz = mx + log(z), lj = 0, w = 1.0 / (double)npos[j];
        for (size_t i = 0; i < n; i++) {
            int p = pos[i] == j;
            if (p)
                lj -= S[i * m + j] - lz;
            G[i * m + j] += (exp(S[i * m + j] - lz) - (p ? w : 0.0)) /
                            (2.0 * (double)m);
        }
        lt += lj * w;
    }
    loss = (float)(0.5 * (la / (double)n + lt / (double)m));
    if (dy) {
        /* dL/du_i = Σ_j G_ij t_cj / τ ; dL/dy_i = (du − u (u·du)) / ‖y_i‖ */
        for (size_t i = 0; i < n; i++) {
            float *gi = dy + i * (size_t)d;
            const float *ui = u + i * (size_t)d;
            for (int k = 0; k < d; k++) {
                double s = 0;
                for (size_t j = 0; j < m; j++)
                    s += G[i * m + j] * t[col[j] * (size_t)d + (size_t)k];
                gi[k] = (float)(s / tau);
            }
            if (ny[i] <= 1e-12) {
                memset(gi, 0, (size_t)d * sizeof(float));
                continue;
            }
            double ud = dot(ui, gi, d);
            for (int k = 0; k < d; k++)
                gi[k] = (float)((gi[k] - ui[k] * ud) / ny[i]);
        }
    }
out:
    free(col);
    free(pos);
    free(u);
    free(ny);
    free(S);
    free(G);
    free(npos);
    return loss;
}

float es_bridge_loss_eval(es_bridge_loss loss, float temperature,
                          const float *y, const float *t, const int *key,
                          size_t n, int d, float *dy)
{
    if (n == 0 || d <= 0)
        return 0.0f;
    switch (loss) {
    case ES_LOSS_MSE: return loss_mse(y, t, n, d, dy);
    case ES_LOSS_COSINE: return loss_cosine(y, t, n, d, dy);
    case ES_LOSS_INFONCE:
        return loss_infonce(temperature > 0 ? temperature : 0.07f, y, t, key,
                            n, d, dy);
    }
    return NAN;
}
