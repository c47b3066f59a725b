/* cmd_eval.c — `earshot eval`: how well a bridge finds sounds by text.
 *   --bridge B   scores a trained bridge on the manifest's rows (or folds);
 *   --cv         cross-validates the training options fold by fold, next to
 *                the baselines a bridge must beat: the same network
 *                untrained, and a nearest-centroid classifier; f32 and int8.
 * Prints a table, or JSON with --json. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/bridge_pipeline.h"
#include "app/cli.h"
#include "core/error.h"

void es_cmd_eval_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot eval --manifest M.csv --bridge B [--folds 5] [OPTIONS]\n"
            "       earshot eval --manifest M.csv --cv [--folds 1,2,3] [OPTIONS]\n\n"
            "Text→audio retrieval with one query per label (its prompt): R@1,\n"
            "R@5, R@10, mAP@10; audio→text: each clip ranks the labels (R@1 is\n"
            "the nearest-label accuracy). --cv trains on all folds but one and\n"
            "tests on that one, for each fold (or those --folds names), and\n"
            "reports mean ± std next to the untrained and nearest-centroid\n"
            "baselines, in f32 and int8.\n\n"
            "Options:\n"
            "  --bridge PATH         the bridge to score\n"
            "  --cv                  cross-validate instead (takes the training\n"
            "                        options below)\n"
            "  --folds LIST          folds to test on\n"
            "  --queries CSV         extra queries, columns query,label: each\n"
            "                        should find the clips of its label\n"
            "  --json                JSON on stdout instead of a table\n");
    es_bp_options_help(out);
}

typedef struct run_result {
    const char *name;
    es_bp_metrics m;
} run_result;

static cJSON *scores_json(const es_retrieval_scores *s)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "r1", s->r1);
    cJSON_AddNumberToObject(j, "r5", s->r5);
    cJSON_AddNumberToObject(j, "r10", s->r10);
    cJSON_AddNumberToObject(j, "map10", s->map10);
    cJSON_AddNumberToObject(j, "n", s->n_queries);
    return j;
}

static cJSON *metrics_json(const es_bp_metrics *m)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "text_to_audio", scores_json(&m->t2a));
    cJSON_AddItemToObject(j, "audio_to_text", scores_json(&m->a2t));
    cJSON_AddNumberToObject(j, "label_accuracy", m->a2t.r1);
    if (m->text_t2a.n_queries)
        cJSON_AddItemToObject(j, "text_queries", scores_json(&m->text_t2a));
    if (m->queries_t2a.n_queries)
        cJSON_AddItemToObject(j, "queries", scores_json(&m->queries_t2a));
    return j;
}

static void print_row(const char *what, const es_retrieval_scores *s)
{
    if (!s->n_queries)
        return;
    printf("  %-14s %6.3f %6.3f %6.3f %7.3f %7d\n", what, s->r1, s->r5,
           s->r10, s->map10, s->n_queries);
}

static void print_metrics(const char *title, const es_bp_metrics *m)
{
    printf("%s\n  %-14s %6s %6s %6s %7s %7s\n", title, "", "R@1", "R@5",
           "R@10", "mAP@10", "n");
    print_row("text→audio", &m->t2a);
    print_row("audio→text", &m->a2t);
    print_row("transcripts", &m->text_t2a);
    print_row("queries", &m->queries_t2a);
}

/* Embeds every example of d with net into a new array. */
static es_status embed_net(const es_bridge_net *net, const es_dataset *d,
                           float **e, es_error *err)
{
    int D = net->dims[net->n_layers];
    *e = malloc((d->n ? d->n : 1) * (size_t)D * sizeof **e);
    if (!*e)
        return ES_ERR_NOMEM;
    es_status st = es_bridge_net_embed(net, d->x, d->n, *e, err);
    if (st != ES_OK) {
        free(*e);
        *e = NULL;
    }
    return st;
}

/* Reads the prompt templates a bridge was trained with from its notes. */
static void prompts_from_notes(const char *notes, es_bp_options *o,
                               char **keep, int *nkeep)
{
    cJSON *j = notes ? cJSON_Parse(notes) : NULL;
    cJSON *arr = cJSON_GetObjectItem(j, "prompts"), *it;
    *nkeep = 0;
    cJSON_ArrayForEach(it, arr)
    {
        if (cJSON_IsString(it) && *nkeep < ES_BP_MAX_TEMPLATES &&
            (keep[*nkeep] = strdup(it->valuestring))) {
            o->templates[*nkeep] = keep[*nkeep];
            (*nkeep)++;
        }
    }
    o->n_templates = *nkeep;
    cJSON_Delete(j);
}

static int eval_bridge(es_bp_options *o, const char *path, const int *folds,
                       int nf, const char *queries, int json)
{
    es_error err = {0};
    es_bridge *b = NULL;
    if (es_bridge_load(path, NULL, &b, &err))
        return es_cli_report(&err);
    o->input = es_bridge_get_input(b);
    char *keep[ES_BP_MAX_TEMPLATES];
    int nkeep = 0;
    if (o->n_templates == 0)
        prompts_from_notes(b->meta.notes, o, keep, &nkeep);
    es_bridge_free(b);
    b = NULL;
    int rc = ES_EXIT_OK;
    es_bp bp;
    int bp_open = 0, *rows = NULL;
    size_t n = 0;
    es_dataset *d = NULL;
    float *e = NULL;
    es_bp_queries q = {0};
    es_bp_metrics m;
    if (es_bp_open(&bp, o, &err) || !(bp_open = 1) ||
        es_bridge_load(path, bp.enc, &b, &err) ||
        es_manifest_check_folds(bp.m, folds, nf, &err) ||
        (nf ? es_manifest_select(bp.m, folds, nf, 1, &rows, &n, &err)
            : es_manifest_select(bp.m, NULL, 0, 0, &rows, &n, &err)) ||
        (n == 0 && es_fail(&err, ES_ERR_INVALID_ARG, "%s: no rows to score (check --folds)", bp.m->file)) ||
        (queries && es_bp_queries_load(&bp, queries, &q, &err)) ||
        es_bp_dataset(&bp, rows, n, 0, "features", &d, &err) ||
        embed_net(b->net, d, &e, &err) ||
        es_bp_evaluate(&bp, d, e, &q, &m, &err)) {
        rc = es_cli_report(&err);
        goto done;
    }
    if (json) {
        cJSON *j = metrics_json(&m);
        cJSON_AddStringToObject(j, "bridge", es_bridge_describe(b));
        cJSON_AddStringToObject(j, "text_encoder", es_text_encoder_describe(bp.enc));
        cJSON_AddNumberToObject(j, "clips", (double)n);
        char *s = cJSON_Print(j);
        printf("%s\n", s ? s : "{}");
        free(s);
        cJSON_Delete(j);
    } else {
        printf("bridge: %s\ntext space: %s\nclips: %zu, labels: %d\n",
               es_bridge_describe(b), es_text_encoder_describe(bp.enc), n,
               bp.m->n_labels);
        print_metrics("retrieval", &m);
    }
done:
    for (int i = 0; i < nkeep; i++)
        free(keep[i]);
    free(e);
    es_dataset_free(d);
    free(rows);
    es_bp_queries_free(&q);
    es_bridge_free(b);
    if (bp_open)
        es_bp_close(&bp);
    return rc;
}

#define N_METHODS 4
static const char *method_names[N_METHODS] = {"bridge f32", "bridge int8",
                                              "untrained", "centroid"};

/* Centroid baseline: fitted on the non-augmented labelled training rows. */
static es_status centroid_embed(es_bp *bp, const es_dataset *tr,
                                const es_dataset *te, float **e, es_error *err)
{
    int *y = malloc((tr->n ? tr->n : 1) * sizeof *y);
    if (!y)
        return ES_ERR_NOMEM;
    for (size_t i = 0; i < tr->n; i++)
        y[i] = (tr->augmented[i] || tr->target_a[i] >= tr->n_labels)
                   ? -1 : tr->target_a[i];
    es_centroid_model *cm = NULL;
    es_status st = es_centroid_fit(tr->x, y, tr->n, tr->dim, bp->label_vecs,
                                   bp->m->n_labels, bp->dim, &cm, err);
    free(y);
    if (st != ES_OK)
        return st;
    *e = malloc((te->n ? te->n : 1) * (size_t)bp->dim * sizeof **e);
    st = *e ? es_centroid_embed(cm, te->x, te->n, *e, err) : ES_ERR_NOMEM;
    es_centroid_free(cm);
    return st;
}

/* One fold: train on the rest, test on it, with every method. */
static es_status cv_fold(es_bp *bp, int fold, es_bp_queries *q,
                         es_bp_metrics *out, double *train_s, es_error *err)
{
    int *tr = NULL, *te = NULL;
    size_t ntr = 0, nte = 0;
    es_dataset *dte = NULL, *dtr = NULL;
    es_bridge_net *net = NULL, *q8 = NULL, *raw = NULL;
    float *e = NULL;
    es_bridge_train_report rep;
    es_status st;
    if ((st = es_manifest_select(bp->m, &fold, 1, 0, &tr, &ntr, err)) ||
        (st = es_manifest_select(bp->m, &fold, 1, 1, &te, &nte, err)))
        goto out;
    if (nte == 0 || ntr == 0) {
        st = es_fail(err, ES_ERR_INVALID_ARG, "fold %d: %zu training and %zu "
                     "test rows; every fold needs both", fold, ntr, nte);
        goto out;
    }
    if ((st = es_bp_train(bp, tr, ntr, &net, &rep, err)) ||
        (st = es_bp_dataset(bp, te, nte, 0, "features (test)", &dte, err)))
        goto out;
    *train_s = rep.seconds;
    /* f32, int8 */
    if ((st = embed_net(net, dte, &e, err)) ||
        (st = es_bp_evaluate(bp, dte, e, q, &out[0], err)))
        goto out;
    free(e);
    e = NULL;
    if ((st = es_bridge_net_clone(net, &q8, err)))
        goto out;
    es_bridge_net_quantize(q8);
    if ((st = embed_net(q8, dte, &e, err)) ||
        (st = es_bp_evaluate(bp, dte, e, q, &out[1], err)))
        goto out;
    free(e);
    e = NULL;
    /* untrained: same architecture and standardisation, initial weights */
    if ((st = es_bridge_net_clone(net, &raw, err)))
        goto out;
    es_bridge_net_init(raw, bp->o->train.seed);
    if ((st = embed_net(raw, dte, &e, err)) ||
        (st = es_bp_evaluate(bp, dte, e, q, &out[2], err)))
        goto out;
    free(e);
    e = NULL;
    /* nearest centroid, on the training rows' features */
    if (bp->m->n_labels) {
        if ((st = es_bp_dataset(bp, tr, ntr, 0, "features (centroids)", &dtr, err)) ||
            (st = centroid_embed(bp, dtr, dte, &e, err)) ||
            (st = es_bp_evaluate(bp, dte, e, q, &out[3], err)))
            goto out;
    }
out:
    free(e);
    es_dataset_free(dte);
    es_dataset_free(dtr);
    es_bridge_net_free(net);
    es_bridge_net_free(q8);
    es_bridge_net_free(raw);
    free(tr);
    free(te);
    return st;
}

typedef double (*pick_fn)(const es_bp_metrics *m);
static double p_t2a_r1(const es_bp_metrics *m) { return m->t2a.r1; }
static double p_t2a_r5(const es_bp_metrics *m) { return m->t2a.r5; }
static double p_t2a_r10(const es_bp_metrics *m) { return m->t2a.r10; }
static double p_t2a_map(const es_bp_metrics *m) { return m->t2a.map10; }
static double p_acc(const es_bp_metrics *m) { return m->a2t.r1; }
static double p_a2t_map(const es_bp_metrics *m) { return m->a2t.map10; }
static double p_q_r10(const es_bp_metrics *m) { return m->queries_t2a.r10; }
static double p_q_map(const es_bp_metrics *m) { return m->queries_t2a.map10; }
static double p_txt_r1(const es_bp_metrics *m) { return m->text_t2a.r1; }
static double p_txt_map(const es_bp_metrics *m) { return m->text_t2a.map10; }

static const struct {
    const char *name;
    pick_fn f;
} columns[] = {
    {"t2a_r1", p_t2a_r1},     {"t2a_r5", p_t2a_r5},   {"t2a_r10", p_t2a_r10},
    {"t2a_map10", p_t2a_map}, {"label_acc", p_acc},   {"a2t_map10", p_a2t_map},
    {"queries_r10", p_q_r10}, {"queries_map10", p_q_map},
    {"text_r1", p_txt_r1},    {"text_map10", p_txt_map},
};
#define N_COLUMNS ((int)(sizeof columns / sizeof *columns))

static void mean_std(const es_bp_metrics *per, int nf, int method, pick_fn f,
                     double *mean, double *sd)
{
    double s = 0, s2 = 0;
    for (int k = 0; k < nf; k++)
        s += f(&per[k * N_METHODS + method]);
    *mean = s / nf;
    for (int k = 0; k < nf; k++) {
        double v = f(&per[k * N_METHODS + method]) - *mean;
        s2 += v * v;
    }
    *sd = nf > 1 ? sqrt(s2 / (nf - 1)) : 0.0;
}

static int eval_cv(es_bp_options *o, const int *folds_in, int nf_in,
                   const char *queries, int json)
{
    es_error err = {0};
    es_bp bp;
    if (es_bp_open(&bp, o, &err))
        return es_cli_report(&err);
    int rc = ES_EXIT_OK, folds[128], nf = 0;
    es_bp_queries q = {0};
    es_bp_metrics *per = NULL;
    double *secs = NULL;
    if (!bp.m->has_fold && o->kfold == 0) {
        fprintf(stderr, "earshot: %s has no '%s' column: make folds with "
                "--kfold K (and --group-by COLUMN to keep recordings together)\n",
                bp.m->file, o->cols.fold ? o->cols.fold : "fold");
        rc = ES_EXIT_FAIL;
        goto done;
    }
    if (es_manifest_check_folds(bp.m, folds_in, nf_in, &err)) {
        rc = es_cli_report(&err);
        goto done;
    }
    if (nf_in) {
        memcpy(folds, folds_in, (size_t)nf_in * sizeof *folds);
        nf = nf_in;
    } else {
        for (size_t i = 0; i < bp.m->n_rows && nf < 128; i++) {
            int f = bp.m->rows[i].fold, seen = 0;
            for (int k = 0; k < nf; k++)
                seen |= folds[k] == f;
            if (!seen)
                folds[nf++] = f;
        }
        for (int a = 1; a < nf; a++)   /* sort, small n */
            for (int b2 = a; b2 > 0 && folds[b2 - 1] > folds[b2]; b2--) {
                int t = folds[b2];
                folds[b2] = folds[b2 - 1];
                folds[b2 - 1] = t;
            }
    }
    if (nf < 2 && !nf_in) {
        fprintf(stderr, "earshot: %s has only one fold: cross-validation needs "
                "two or more (use --kfold K)\n", bp.m->file);
        rc = ES_EXIT_FAIL;
        goto done;
    }
    if ((bp.m->n_labels && es_manifest_check_classes(bp.m, &err)) ||
        (queries && es_bp_queries_load(&bp, queries, &q, &err))) {
        rc = es_cli_report(&err);
        goto done;
    }
    per = calloc((size_t)nf * N_METHODS, sizeof *per);
    secs = calloc((size_t)nf, sizeof *secs);
    if (!per || !secs) {
        rc = ES_EXIT_FAIL;
        goto done;
    }
    fprintf(stderr, "text space: %s\n", es_text_encoder_describe(bp.enc));
    for (int k = 0; k < nf; k++) {
        fprintf(stderr, "== fold %d (%d of %d)\n", folds[k], k + 1, nf);
        if (cv_fold(&bp, folds[k], &q, &per[k * N_METHODS], &secs[k], &err)) {
            rc = es_cli_report(&err);
            goto done;
        }
        fprintf(stderr, "fold %d: bridge mAP@10 %.3f, accuracy %.3f "
                "(untrained %.3f, centroid %.3f)\n", folds[k],
                per[k * N_METHODS].t2a.map10, per[k * N_METHODS].a2t.r1,
                per[k * N_METHODS + 2].t2a.map10, per[k * N_METHODS + 3].t2a.map10);
    }
    double tsum = 0;
    for (int k = 0; k < nf; k++)
        tsum += secs[k];
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "text_encoder", es_text_encoder_describe(bp.enc));
        cJSON_AddStringToObject(j, "features", es_bridge_input_name(o->input));
        cJSON_AddStringToObject(j, "loss", es_bridge_loss_name(o->train.loss));
        cJSON_AddStringToObject(j, "head", es_bridge_head_name(o->head));
        cJSON_AddNumberToObject(j, "train_seconds_mean", tsum / nf);
        cJSON *fl = cJSON_AddArrayToObject(j, "folds");
        for (int k = 0; k < nf; k++)
            cJSON_AddItemToArray(fl, cJSON_CreateNumber(folds[k]));
        cJSON *ms = cJSON_AddObjectToObject(j, "methods");
        for (int mth = 0; mth < N_METHODS; mth++) {
            cJSON *mj = cJSON_AddObjectToObject(ms, method_names[mth]);
            for (int c = 0; c < N_COLUMNS; c++) {
                double mean, sd;
                mean_std(per, nf, mth, columns[c].f, &mean, &sd);
                cJSON *cj = cJSON_AddObjectToObject(mj, columns[c].name);
                cJSON_AddNumberToObject(cj, "mean", mean);
                cJSON_AddNumberToObject(cj, "std", sd);
            }
            cJSON *pf = cJSON_AddArrayToObject(mj, "per_fold");
            for (int k = 0; k < nf; k++)
                cJSON_AddItemToArray(pf, metrics_json(&per[k * N_METHODS + mth]));
        }
        char *s = cJSON_Print(j);
        printf("%s\n", s ? s : "{}");
        free(s);
        cJSON_Delete(j);
    } else {
        printf("cross-validation over %d folds (mean ± std); text space: %s;\n"
               "features %s, loss %s, head %s; training %.1f s per fold\n", nf,
               es_text_encoder_describe(bp.enc), es_bridge_input_name(o->input),
               es_bridge_loss_name(o->train.loss), es_bridge_head_name(o->head),
               tsum / nf);
        printf("%-12s %-15s %-15s %-15s %-15s\n", "method", "t2a R@1",
               "t2a R@10", "t2a mAP@10", "label acc");
        for (int mth = 0; mth < N_METHODS; mth++) {
            printf("%-12s", method_names[mth]);
            int cols[4] = {0, 2, 3, 4};
            for (int c = 0; c < 4; c++) {
                double mean, sd;
                mean_std(per, nf, mth, columns[cols[c]].f, &mean, &sd);
                printf(" %.3f ± %.3f  ", mean, sd);
            }
            printf("\n");
        }
        if (q.n) {
            printf("queries (%d, --queries): R@10 / mAP@10\n", q.n);
            for (int mth = 0; mth < N_METHODS; mth++) {
                double m1, s1, m2, s2;
                mean_std(per, nf, mth, p_q_r10, &m1, &s1);
                mean_std(per, nf, mth, p_q_map, &m2, &s2);
                printf("%-12s %.3f ± %.3f   %.3f ± %.3f\n", method_names[mth],
                       m1, s1, m2, s2);
            }
        }
    }
done:
    free(per);
    free(secs);
    es_bp_queries_free(&q);
    es_bp_close(&bp);
    return rc;
}

int es_cmd_eval(int argc, char **argv)
{
    es_bp_options o;
    es_bp_default_options(&o);
    const char *bridge = NULL, *folds_s = NULL, *queries = NULL;
    int cv = 0, json = 0;
    for (int i = 1; i < argc; i++) {
        int r = es_bp_parse_option(&o, "eval", argc, argv, &i);
        if (r < 0)
            return ES_EXIT_USAGE;
        if (r)
            continue;
        const char *a = argv[i];
        if (!strcmp(a, "--bridge") && i + 1 < argc)
            bridge = argv[++i];
        else if (!strcmp(a, "--folds") && i + 1 < argc)
            folds_s = argv[++i];
        else if (!strcmp(a, "--queries") && i + 1 < argc)
            queries = argv[++i];
        else if (!strcmp(a, "--cv"))
            cv = 1;
        else if (!strcmp(a, "--json"))
            json = 1;
        else
            return es_cli_usage_error("eval", "unknown option or missing value: '%s'", a);
    }
    if (!o.manifest)
        return es_cli_usage_error("eval", "--manifest is required");
    if (!!bridge == !!cv)
        return es_cli_usage_error("eval", "give either --bridge B or --cv");
    es_error err = {0};
    int folds[64], nf = 0;
    if (folds_s && es_fold_list_parse(folds_s, folds, 64, &nf, &err))
        return es_cli_usage_error("eval", "%s", err.message);
    o.quiet = o.quiet || json;
    return cv ? eval_cv(&o, folds, nf, queries, json)
              : eval_bridge(&o, bridge, folds, nf, queries, json);
}
