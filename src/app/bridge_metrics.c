/* bridge_metrics.c — scoring embedded clips against label prompts, texts
 * and free-form queries (see bridge_pipeline.h), and the training notes a
 * bridge file carries. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "app/bridge_pipeline.h"
#include "core/error.h"
#include "data/prompts.h"

/* Rows of d that take part in one evaluation: clips with a label (not
 * mixed) or clips with a text target. */
static es_status gather(const es_dataset *d, const float *e, int D, int text,
                        float **items, int **ids, size_t *n, es_error *err)
{
    *items = malloc((d->n ? d->n : 1) * (size_t)D * sizeof **items);
    *ids = malloc((d->n ? d->n : 1) * sizeof **ids);
    *n = 0;
    if (!*items || !*ids) {
        free(*items);
        free(*ids);
        *items = NULL;
        *ids = NULL;
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < d->n; i++) {
        if (d->target_b[i] >= 0 || d->augmented[i])
            continue;
        int is_text = d->target_a[i] >= d->n_labels;
        if (is_text != text)
            continue;
        memcpy(*items + *n * (size_t)D, e + i * (size_t)D, (size_t)D * sizeof(float));
        (*ids)[(*n)++] = d->target_a[i];
    }
    return ES_OK;
}

es_status es_bp_evaluate(es_bp *bp, const es_dataset *d, const float *e,
                         const es_bp_queries *q, es_bp_metrics *out,
                         es_error *err)
{
    memset(out, 0, sizeof *out);
    int D = bp->dim, nl = bp->m->n_labels;
    float *items = NULL;
    int *ids = NULL, *qid = NULL;
    size_t n = 0;
    es_status st = gather(d, e, D, 0, &items, &ids, &n, err);
    if (st != ES_OK)
        return st;
    qid = malloc((size_t)(nl > d->n_text ? nl : d->n_text) * sizeof *qid + 1);
    if (!qid) {
        st = es_fail(err, ES_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < nl; i++)
        qid[i] = i;
    if (n && nl) {
        if ((st = es_retrieval_text_to_audio(bp->label_vecs, qid, nl, items, ids,
                                             n, D, &out->t2a, err)) ||
            (st = es_retrieval_audio_to_text(bp->label_vecs, qid, nl, items,
                                             ids, n, D, &out->a2t, err)))
            goto out;
        if (q && q->n &&
            (st = es_retrieval_text_to_audio(q->vecs, q->label_id, q->n, items,
                                             ids, n, D, &out->queries_t2a, err)))
            goto out;
    }
    free(items);
    free(ids);
    items = NULL;
    ids = NULL;
    if (d->n_text) {
        if ((st = gather(d, e, D, 1, &items, &ids, &n, err)) != ES_OK)
            goto out;
        float *tv = malloc((size_t)d->n_text * (size_t)D * sizeof *tv);
        if (!tv) {
            st = es_fail(err, ES_ERR_NOMEM, "out of memory");
            goto out;
        }
        for (int j = 0; j < d->n_text; j++)
            qid[j] = nl + j;
        st = es_text_encoder_embed(bp->enc, d->text, (size_t)d->n_text, tv, err);
        if (st == ES_OK && n)
            st = es_retrieval_text_to_audio(tv, qid, d->n_text, items, ids, n,
                                            D, &out->text_t2a, err);
        free(tv);
    }
out:
    free(items);
    free(ids);
    free(qid);
    return st;
}

void es_bp_queries_free(es_bp_queries *q)
{
    for (int i = 0; i < q->n; i++)
        free(q->text[i]);
    free(q->text);
    free(q->label_id);
    free(q->vecs);
    memset(q, 0, sizeof *q);
}

es_status es_bp_queries_load(es_bp *bp, const char *path, es_bp_queries *q,
                             es_error *err)
{
    memset(q, 0, sizeof *q);
    es_manifest_columns cols = {"query", "label", NULL, NULL, NULL};
    /* The queries file is a CSV like a manifest, but its first column is
     * text, not a path: read it with the manifest parser's CSV rules by
     * pointing "path" at the query column, without the file check. */
    es_manifest *m = NULL;
    es_status st = es_manifest_load_table(path, &cols, &m, err);
    if (st != ES_OK)
        return st;
    q->text = calloc(m->n_rows, sizeof *q->text);
    q->label_id = malloc(m->n_rows * sizeof *q->label_id);
    q->vecs = malloc(m->n_rows * (size_t)bp->dim * sizeof *q->vecs);
    if (!q->text || !q->label_id || !q->vecs) {
        st = es_fail(err, ES_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < m->n_rows; i++) {
        const char *lab = m->rows[i].label;
        int id = -1;
        for (int k = 0; k < bp->m->n_labels && id < 0; k++)
            if (!strcmp(bp->m->labels[k], lab))
                id = k;
        if (id < 0) {
            st = es_fail(err, ES_ERR_INVALID_ARG,
                         "%s: line %d: label '%s' is not in %s", path,
                         m->rows[i].line, lab, bp->m->file);
            goto out;
        }
        q->label_id[i] = id;
        if (!(q->text[i] = strdup(m->rows[i].path))) {
            st = es_fail(err, ES_ERR_NOMEM, "out of memory");
            goto out;
        }
        q->n++;
    }
    st = es_text_encoder_embed(bp->enc, (const char *const *)q->text,
                               (size_t)q->n, q->vecs, err);
out:
    es_manifest_free(m);
    if (st != ES_OK)
        es_bp_queries_free(q);
    return st;
}

es_status es_bp_meta(const es_bp *bp, const es_bridge_train_report *rep,
                     es_bridge_meta *meta, es_error *err)
{
    memset(meta, 0, sizeof *meta);
    const es_bp_options *o = bp->o;
    meta->input = o->input;
    meta->features_layout = ES_FEATURES_LAYOUT_VERSION;
    meta->feature_dim = o->input == ES_BRIDGE_INPUT_SMALL ? 5 : 128;
    if (bp->whisper) {
        meta->whisper_dim = es_whisper_pool_dim(bp->whisper);
        snprintf(meta->whisper_identity, sizeof meta->whisper_identity, "%s",
                 es_whisper_pool_identity(bp->whisper));
    }
    snprintf(meta->text_identity, sizeof meta->text_identity, "%s",
             es_text_encoder_identity(bp->enc));
    cJSON *j = cJSON_CreateObject();
    cJSON *tm = cJSON_AddArrayToObject(j, "prompts");
    if (o->n_templates == 0)
        cJSON_AddItemToArray(tm, cJSON_CreateString(ES_PROMPT_DEFAULT));
    for (int i = 0; i < o->n_templates; i++)
        cJSON_AddItemToArray(tm, cJSON_CreateString(o->templates[i]));
    cJSON_AddStringToObject(j, "manifest", o->manifest);
    cJSON_AddStringToObject(j, "text_encoder", es_text_encoder_describe(bp->enc));
    cJSON_AddStringToObject(j, "loss", es_bridge_loss_name(o->train.loss));
    cJSON_AddStringToObject(j, "head", es_bridge_head_name(o->head));
    cJSON_AddNumberToObject(j, "epochs_run", rep ? rep->epochs_run : 0);
    cJSON_AddNumberToObject(j, "best_epoch", rep ? rep->best_epoch : 0);
    if (rep && rep->best_val_map10 == rep->best_val_map10)
        cJSON_AddNumberToObject(j, "val_map10", rep->best_val_map10);
    cJSON_AddNumberToObject(j, "seed", (double)o->train.seed);
    cJSON_AddNumberToObject(j, "lr", o->train.lr);
    cJSON_AddNumberToObject(j, "batch", o->train.batch_size);
    cJSON_AddNumberToObject(j, "weight_decay", o->train.weight_decay);
    cJSON_AddNumberToObject(j, "augment_copies", o->augment.copies);
    meta->notes = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!meta->notes)
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    return ES_OK;
}
