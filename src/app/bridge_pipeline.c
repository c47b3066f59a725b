/* bridge_pipeline.c — from a manifest to a trained bridge and to retrieval
 * metrics (see bridge_pipeline.h). Progress goes to stderr: a redrawn line
 * on a terminal, a few plain lines otherwise. */
#include "app/bridge_pipeline.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "core/error.h"
#include "data/prompts.h"
#include "util/rng.h"

es_status es_bp_open(es_bp *bp, const es_bp_options *o, es_error *err)
{
    memset(bp, 0, sizeof *bp);
    bp->o = o;
    if (!o->manifest)
        return es_fail(err, ES_ERR_INVALID_ARG, "no --manifest given");
    es_text_encoder_params tp = es_text_encoder_default_params();
    tp.threads = o->threads;
    es_status st = es_text_encoder_open_named(o->text_encoder, NULL, &tp,
                                              &bp->enc, err);
    if (st != ES_OK)
        return st;
    bp->dim = es_text_encoder_dim(bp->enc);
    es_manifest_columns cols = o->cols;
    /* With --asr, unlabelled rows need no text column: their text is a
     * placeholder (the path) until es_bp_transcribe_rows replaces it. */
    if (o->asr && !cols.text)
        cols.text = cols.path;
    if ((st = es_manifest_load(o->manifest, &cols, &bp->m, err)) != ES_OK)
        goto fail;
    if (o->kfold > 0 &&
        (st = es_manifest_assign_folds(bp->m, o->kfold, err)) != ES_OK)
        goto fail;
    if (o->asr && (st = es_bp_transcribe_rows(bp, o->asr, err)) != ES_OK)
        goto fail;
    if (o->input == ES_BRIDGE_INPUT_HYBRID &&
        (st = es_whisper_pool_open(o->whisper, NULL, o->threads, &bp->whisper,
                                   err)) != ES_OK)
        goto fail;
    if (bp->m->n_labels > 0) {
        bp->label_vecs = malloc((size_t)bp->m->n_labels * (size_t)bp->dim *
                                sizeof(float));
        if (!bp->label_vecs) {
            st = es_fail(err, ES_ERR_NOMEM, "out of memory");
            goto fail;
        }
        const char *def[1] = {ES_PROMPT_DEFAULT};
        const char *const *tm = o->n_templates ? o->templates : def;
        int nt = o->n_templates ? o->n_templates : 1;
        if ((st = es_prompt_embed_labels(bp->enc,
                                         (const char *const *)bp->m->labels,
                                         bp->m->n_labels, tm, nt,
                                         bp->label_vecs, err)) != ES_OK)
            goto fail;
    }
    return ES_OK;
fail:
    es_bp_close(bp);
    return st;
}

void es_bp_close(es_bp *bp)
{
    es_text_encoder_free(bp->enc);
    es_manifest_free(bp->m);
    es_whisper_pool_free(bp->whisper);
    free(bp->label_vecs);
    memset(bp, 0, sizeof *bp);
}

typedef struct progress {
    const char *what;
    int tty;
    size_t last_pct;
} progress;

static void on_file(size_t done, size_t total, void *user)
{
    progress *p = user;
    size_t pct = total ? done * 100 / total : 100;
    if (p->tty) {
        fprintf(stderr, "\r%s: %zu/%zu files (%zu%%)", p->what, done, total, pct);
        if (done == total)
            fputc('\n', stderr);
    } else if (done == total || pct / 25 != p->last_pct / 25) {
        fprintf(stderr, "%s: %zu/%zu files\n", p->what, done, total);
    }
    p->last_pct = pct;
}

es_status es_bp_dataset(es_bp *bp, const int *rows, size_t n, int augment,
                        const char *what, es_dataset **out, es_error *err)
{
    es_dataset_params dp = es_dataset_default_params();
    dp.input = bp->o->input;
    dp.chunk_s = bp->o->chunk_s;
    dp.whisper = bp->whisper;
    if (augment)
        dp.augment = bp->o->augment;
    progress pr = {what, es_cli_stderr_is_tty(), 0};
    if (!bp->o->quiet) {
        dp.progress = on_file;
        dp.user = &pr;
    }
    return es_dataset_build(bp->m, rows, n, &dp, out, err);
}

static void normalise(float *v, int d)
{
    double s = 0;
    for (int k = 0; k < d; k++)
        s += (double)v[k] * v[k];
    if (s > 0)
        for (int k = 0; k < d; k++)
            v[k] = (float)(v[k] / sqrt(s));
}

es_status es_bp_targets(es_bp *bp, const es_dataset *d, float **t, int **key,
                        es_error *err)
{
    int D = bp->dim, nl = d->n_labels;
    size_t ntarg = (size_t)nl + (size_t)d->n_text;
    float *tab = malloc((ntarg ? ntarg : 1) * (size_t)D * sizeof *tab);
    *t = malloc((d->n ? d->n : 1) * (size_t)D * sizeof **t);
    *key = malloc((d->n ? d->n : 1) * sizeof **key);
    es_status st = ES_OK;
    if (!tab || !*t || !*key) {
        st = es_fail(err, ES_ERR_NOMEM, "out of memory for targets");
        goto out;
    }
    if (nl)
        memcpy(tab, bp->label_vecs, (size_t)nl * (size_t)D * sizeof *tab);
    if (d->n_text &&
        (st = es_text_encoder_embed(bp->enc, d->text, (size_t)d->n_text,
                                    tab + (size_t)nl * (size_t)D, err)) != ES_OK)
        goto out;
    for (size_t i = 0; i < d->n; i++) {
        float *ti = *t + i * (size_t)D;
        const float *a = tab + (size_t)d->target_a[i] * (size_t)D;
        if (d->target_b[i] < 0) {
            memcpy(ti, a, (size_t)D * sizeof *ti);
            (*key)[i] = d->target_a[i];
        } else {
            const float *b = tab + (size_t)d->target_b[i] * (size_t)D;
            float w = d->mix_w[i];
            for (int k = 0; k < D; k++)
                ti[k] = w * a[k] + (1.0f - w) * b[k];
            normalise(ti, D);
            (*key)[i] = (int)ntarg + (int)i;   /* a target of its own */
        }
    }
out:
    free(tab);
    if (st != ES_OK) {
        free(*t);
        free(*key);
        *t = NULL;
        *key = NULL;
    }
    return st;
}

/* Groups: rows with equal group value (or each row alone). */
static const char *group_of(const es_manifest_row *r, char *buf, size_t size)
{
    if (r->group && r->group[0])
        return r->group;
    snprintf(buf, size, "\x01row%d", r->line);
    return buf;
}

es_status es_bp_split_validation(const es_bp *bp, const int *rows, size_t n,
                                 int **tr, size_t *ntr, int **va, size_t *nva,
                                 es_error *err)
{
    *tr = malloc((n ? n : 1) * sizeof **tr);
    *va = malloc((n ? n : 1) * sizeof **va);
    uint8_t *is_val = calloc(n ? n : 1, 1);
    *ntr = *nva = 0;
    if (!*tr || !*va || !is_val) {
        free(*tr);
        free(*va);
        free(is_val);
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    double frac = bp->o->val_fraction;
    uint64_t rng = bp->o->train.seed * 1000003ULL + 99;
    const es_manifest *m = bp->m;
    /* Per label (and once for the text-only rows, label −1): list its
     * groups in row order, shuffle them, send the first ⌊frac·G + ½⌋ to
     * validation, always leaving one for training. */
    for (int lab = -1; frac > 0 && lab < m->n_labels; lab++) {
        const char **groups = malloc((n ? n : 1) * sizeof *groups);
        char (*bufs)[32] = malloc((n ? n : 1) * sizeof *bufs);
        size_t G = 0;
        if (!groups || !bufs) {
            free(groups);
            free(bufs);
            continue;   /* no validation for this label; not fatal */
        }
        for (size_t i = 0; i < n; i++) {
            const es_manifest_row *r = &m->rows[rows[i]];
            if (r->label_id != lab)
                continue;
            const char *g = group_of(r, bufs[i], sizeof bufs[i]);
            size_t k = 0;
            while (k < G && strcmp(groups[k], g))
                k++;
            if (k == G)
                groups[G++] = g;
        }
        for (size_t k = G; k > 1; k--) {
            size_t j = es_rng_below(&rng, (uint32_t)k);
            const char *t = groups[k - 1];
            groups[k - 1] = groups[j];
            groups[j] = t;
        }
        size_t take = (size_t)floor(frac * (double)G + 0.5);
        if (take >= G)
            take = G ? G - 1 : 0;
        for (size_t i = 0; i < n; i++) {
            const es_manifest_row *r = &m->rows[rows[i]];
            if (r->label_id != lab)
                continue;
            char b[32];
            const char *g = group_of(r, b, sizeof b);
            for (size_t k = 0; k < take; k++)
                if (!strcmp(groups[k], g))
                    is_val[i] = 1;
        }
        free(groups);
        free(bufs);
    }
    for (size_t i = 0; i < n; i++) {
        if (is_val[i])
            (*va)[(*nva)++] = rows[i];
        else
            (*tr)[(*ntr)++] = rows[i];
    }
    free(is_val);
    return ES_OK;
}

static void on_epoch(const es_bridge_epoch_report *r, void *user)
{
    const es_bp_options *o = user;
    if (o->quiet)
        return;
    int tty = es_cli_stderr_is_tty();
    /* On a terminal every epoch redraws one line; otherwise every 10th and
     * the last are printed. */
    if (!tty && r->epoch % 10 && r->epoch != r->epochs)
        return;
    fprintf(stderr, "%sepoch %4d/%d  loss %.5f", tty ? "\r" : "", r->epoch,
            r->epochs, r->train_loss);
    if (!isnan(r->val_map10))
        fprintf(stderr, "  val loss %.5f  val mAP@10 %.3f  best epoch %d",
                r->val_loss, r->val_map10, r->best_epoch);
    fprintf(stderr, "  %.1f s%s", r->seconds, tty ? "   " : "\n");
}

static size_t count_augmented(const es_dataset *d)
{
    size_t a = 0;
    for (size_t i = 0; i < d->n; i++)
        a += d->augmented[i];
    return a;
}

es_status es_bp_train(es_bp *bp, const int *rows, size_t n,
                      es_bridge_net **out, es_bridge_train_report *rep,
                      es_error *err)
{
    *out = NULL;
    int *tr = NULL, *va = NULL;
    size_t ntr = 0, nva = 0;
    es_dataset *dtr = NULL, *dva = NULL;
    float *ttr = NULL, *tva = NULL;
    int *ktr = NULL, *kva = NULL;
    es_bridge_net *net = NULL;
    es_status st = es_bp_split_validation(bp, rows, n, &tr, &ntr, &va, &nva, err);
    if (st != ES_OK)
        return st;
    if (ntr == 0) {
        st = es_fail(err, ES_ERR_INVALID_ARG,
                     "%s: no rows to train on (check --folds)", bp->m->file);
        goto out;
    }
    if (!bp->o->quiet)
        fprintf(stderr, "training rows: %zu, validation rows: %zu\n", ntr, nva);
    if ((st = es_bp_dataset(bp, tr, ntr, 1, "features (train)", &dtr, err)) ||
        (nva && (st = es_bp_dataset(bp, va, nva, 0, "features (validation)",
                                    &dva, err))) ||
        (st = es_bp_targets(bp, dtr, &ttr, &ktr, err)) ||
        (dva && (st = es_bp_targets(bp, dva, &tva, &kva, err))))
        goto out;
    int dims[ES_BRIDGE_MAX_LAYERS + 1];
    int L = bp->o->n_hidden + 1;
    dims[0] = dtr->dim;
    for (int l = 0; l < bp->o->n_hidden; l++)
        dims[l + 1] = bp->o->hidden[l];
    dims[L] = bp->dim;
    if ((st = es_bridge_net_new(dims, L, bp->o->head, &net, err)) != ES_OK)
        goto out;
    es_bridge_examples etr = {dtr->n, dtr->dim, bp->dim, dtr->x, ttr, ktr};
    es_bridge_examples eva = {dva ? dva->n : 0, dtr->dim, bp->dim,
                              dva ? dva->x : NULL, tva, kva};
    es_bridge_train_params p = bp->o->train;
    p.progress = on_epoch;
    p.user = (void *)bp->o;
    if (!bp->o->quiet)
        fprintf(stderr, "examples: %zu training (%zu augmented), %zu validation\n",
                dtr->n, count_augmented(dtr), dva ? dva->n : 0);
    st = es_bridge_train(net, &etr, &eva, &p, rep, err);
    if (st == ES_OK) {
        *out = net;
        net = NULL;
    }
out:
    es_bridge_net_free(net);
    es_dataset_free(dtr);
    es_dataset_free(dva);
    free(ttr);
    free(tva);
    free(ktr);
    free(kva);
    free(tr);
    free(va);
    return st;
}
