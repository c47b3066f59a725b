/* baselines.c — the nearest-centroid baseline a trained bridge must beat
 * (retrieval.h describes it).
 *
 * Fit: per-dimension mean and standard deviation (population, ddof 0) of
 * the labelled training rows; a dimension with zero spread keeps std 1.
 * Class centroids are means of the standardised rows of each class; s² is
 * the per-dimension variance around the centroids: the mean over labelled
 * rows of the squared distance to their own centroid, divided by dim. So
 * the weights are the posteriors of an isotropic Gaussian class model
 * (with s² the total, not per-dimension, variance the blend was nearly
 * uniform over 50 classes and the baseline lost its label accuracy). Embed: weights w_c = exp(−(d²_c − d²_min) / (2·s²)) over the
 * classes that had training rows (softmax(−d²/(2s²)), shifted for
 * stability); when s² = 0 the limit is taken: equal weights on the nearest
 * centroids, 0 elsewhere. The output is Σ w_c·label_vec_c, L2-normalised
 * (all zeros if that sum is the zero vector). Arithmetic is in double;
 * memory is the model plus one row at a time. */
#include "eval/retrieval.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct es_centroid_model {
    int dim, n_labels, out_dim;
    double *mean;        /* dim                                  */
    double *inv_std;     /* dim                                  */
    double *centroid;    /* n_labels × dim, standardised space   */
    unsigned char *present;   /* n_labels: class had training rows */
    double *label_vecs;  /* n_labels × out_dim                   */
    double s2;
};

void es_centroid_free(es_centroid_model *m)
{
    if (!m) return;
    free(m->mean);
    free(m->inv_std);
    free(m->centroid);
    free(m->present);
    free(m->label_vecs);
    free(m);
}

es_status es_centroid_fit(const float *xtrain, const int *ytrain,
                          size_t ntrain, int dim, const float *label_vecs,
                          int n_labels, int out_dim, es_centroid_model **out,
                          es_error *err)
{
    static const char fn[] = "es_centroid_fit";
    if (!out)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: out is NULL", fn);
    *out = NULL;
    if (dim <= 0 || n_labels <= 0 || out_dim <= 0)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: dim %d, n_labels %d, "
                       "out_dim %d: each must be at least 1", fn, dim,
                       n_labels, out_dim);
    if (!label_vecs)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: label_vecs is NULL", fn);
    if (ntrain > 0 && (!xtrain || !ytrain))
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: the training rows or "
                       "their labels are NULL", fn);
    size_t n_used = 0;
    for (size_t i = 0; i < ntrain; i++) {
        if (ytrain[i] < -1 || ytrain[i] >= n_labels)
            return es_fail(err, ES_ERR_INVALID_ARG, "%s: training row %zu has "
                           "label %d; labels must be −1 (ignored) or in "
                           "[0, %d)", fn, i, ytrain[i], n_labels);
        if (ytrain[i] < 0) continue;
        n_used++;
        const float *x = xtrain + i * (size_t)dim;
        for (int d = 0; d < dim; d++)
            if (!isfinite(x[d]))
                return es_fail(err, ES_ERR_INVALID_ARG, "%s: training row %zu "
                               "holds a NaN or infinite value (dimension %d)",
                               fn, i, d);
    }
    if (n_used == 0)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: no labelled training row "
                       "(%zu rows, all with label −1): the baseline needs at "
                       "least one", fn, ntrain);
    for (size_t i = 0; i < (size_t)n_labels * (size_t)out_dim; i++)
        if (!isfinite(label_vecs[i]))
            return es_fail(err, ES_ERR_INVALID_ARG, "%s: label vector %zu holds "
                           "a NaN or infinite value", fn, i / (size_t)out_dim);

    es_centroid_model *m = calloc(1, sizeof *m);
    size_t *count = calloc((size_t)n_labels, sizeof(size_t));
    if (m) {
        m->dim = dim;
        m->n_labels = n_labels;
        m->out_dim = out_dim;
        m->mean = calloc((size_t)dim, sizeof(double));
        m->inv_std = calloc((size_t)dim, sizeof(double));
        m->centroid = calloc((size_t)n_labels * (size_t)dim, sizeof(double));
        m->present = calloc((size_t)n_labels, 1);
        m->label_vecs = malloc(sizeof(double) * (size_t)n_labels *
                               (size_t)out_dim);
    }
    if (!m || !count || !m->mean || !m->inv_std || !m->centroid ||
        !m->present || !m->label_vecs) {
        es_centroid_free(m);
        free(count);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory for %d classes "
                       "of %d dimensions", fn, n_labels, dim);
    }
    for (size_t i = 0; i < (size_t)n_labels * (size_t)out_dim; i++)
        m->label_vecs[i] = label_vecs[i];

    /* Mean and std (two passes, double). */
    for (size_t i = 0; i < ntrain; i++) {
        if (ytrain[i] < 0) continue;
        const float *x = xtrain + i * (size_t)dim;
        for (int d = 0; d < dim; d++) m->mean[d] += x[d];
    }
    for (int d = 0; d < dim; d++) m->mean[d] /= (double)n_used;
    double *var = m->inv_std;
    for (size_t i = 0; i < ntrain; i++) {
        if (ytrain[i] < 0) continue;
        const float *x = xtrain + i * (size_t)dim;
        for (int d = 0; d < dim; d++) {
            double c = x[d] - m->mean[d];
            var[d] += c * c;
        }
    }
    for (int d = 0; d < dim; d++) {
        double sd = sqrt(var[d] / (double)n_used);
        m->inv_std[d] = sd > 0 ? 1.0 / sd : 1.0;
    }

    /* Centroids. */
    for (size_t i = 0; i < ntrain; i++) {
        int c = ytrain[i];
        if (c < 0) continue;
        const float *x = xtrain + i * (size_t)dim;
        double *mu = m->centroid + (size_t)c * (size_t)dim;
        for (int d = 0; d < dim; d++)
            mu[d] += (x[d] - m->mean[d]) * m->inv_std[d];
        count[c]++;
    }
    for (int c = 0; c < n_labels; c++) {
        if (!count[c]) continue;
        m->present[c] = 1;
        double *mu = m->centroid + (size_t)c * (size_t)dim;
        for (int d = 0; d < dim; d++) mu[d] /= (double)count[c];
    }

    /* s²: per-dimension variance of the rows around their own centroid. */
    double s2 = 0;
    for (size_t i = 0; i < ntrain; i++) {
        int c = ytrain[i];
        if (c < 0) continue;
        const float *x = xtrain + i * (size_t)dim;
        const double *mu = m->centroid + (size_t)c * (size_t)dim;
        for (int d = 0; d < dim; d++) {
            double e = (x[d] - m->mean[d]) * m->inv_std[d] - mu[d];
            s2 += e * e;
        }
    }
    m->s2 = s2 / ((double)n_used * (double)dim);

    free(count);
    *out = m;
    return ES_OK;
}

es_status es_centroid_embed(const es_centroid_model *m, const float *x,
                            size_t n, float *out, es_error *err)
{
    static const char fn[] = "es_centroid_embed";
    if (!m)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: the model is NULL", fn);
    if (n == 0) return ES_OK;
    if (!x || !out)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: the input or output is "
                       "NULL", fn);
    const int dim = m->dim, nl = m->n_labels, od = m->out_dim;
    double *z = malloc(sizeof(double) * (size_t)dim);
    double *d2 = malloc(sizeof(double) * (size_t)nl);
    double *v = malloc(sizeof(double) * (size_t)od);
    if (!z || !d2 || !v) {
        free(z);
        free(d2);
        free(v);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", fn);
    }
    es_status st = ES_OK;
    for (size_t i = 0; i < n; i++) {
        const float *xi = x + i * (size_t)dim;
        for (int d = 0; d < dim; d++) {
            if (!isfinite(xi[d])) {
                st = es_fail(err, ES_ERR_INVALID_ARG, "%s: row %zu holds a NaN "
                             "or infinite value (dimension %d)", fn, i, d);
                goto done;
            }
            z[d] = (xi[d] - m->mean[d]) * m->inv_std[d];
        }
        double dmin = INFINITY;
        for (int c = 0; c < nl; c++) {
            if (!m->present[c]) continue;
            const double *mu = m->centroid + (size_t)c * (size_t)dim;
            double acc = 0;
            for (int d = 0; d < dim; d++) {
                double e = z[d] - mu[d];
                acc += e * e;
            }
            d2[c] = acc;
            if (acc < dmin) dmin = acc;
        }
        memset(v, 0, sizeof(double) * (size_t)od);
        for (int c = 0; c < nl; c++) {
            if (!m->present[c]) continue;
            double w = m->s2 > 0 ? exp(-(d2[c] - dmin) / (2 * m->s2))
                                 : (d2[c] == dmin ? 1.0 : 0.0);
            if (w == 0) continue;
            const double *lv = m->label_vecs + (size_t)c * (size_t)od;
            for (int k = 0; k < od; k++) v[k] += w * lv[k];
        }
        /* The softmax's denominator cancels in the normalisation. */
        double norm = 0;
        for (int k = 0; k < od; k++) norm += v[k] * v[k];
        norm = sqrt(norm);
        float *o = out + i * (size_t)od;
        for (int k = 0; k < od; k++)
            o[k] = norm > 0 ? (float)(v[k] / norm) : 0.0f;
    }
done:
    free(z);
    free(d2);
    free(v);
    return st;
}
