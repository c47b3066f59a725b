/* dataset.c — manifest rows → bridge training examples (see dataset.h).
 *
 * Each file is decoded once, through the chunker with window = hop =
 * chunk_s and min_last_s = 1 s: a 23 s file gives chunks of 10, 10 and 3 s,
 * a final part shorter than 1 s is dropped unless it is the file's only
 * chunk. Every chunk gives one original example, then `copies` augmented
 * ones right after it (so examples are grouped by chunk, in row order).
 *
 * Augmented copy c of chunk j of manifest row r draws its values from
 * es_augment_key(seed, r, j, c) (augment.h): a run is reproducible, and a
 * copy does not depend on which other rows are in the build. Mixing needs
 * a partner from another file, so with mix on the chunks of labelled rows
 * are kept in memory (float, 64 KB per second of audio) and the copies that
 * drew mixing are made after all files are read: the partner is picked by
 * partner_u among the kept chunks whose label differs (in build order); with
 * no such chunk the copy is made without mixing. Text-only rows are never
 * mixed nor chosen as partners. */
#include "data/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/augment.h"

#define DS_FULL_DIM 128
#define DS_SMALL_DIM 5
#define MIN_LAST_S 1.0

es_dataset_params es_dataset_default_params(void)
{
    es_dataset_params p;
    memset(&p, 0, sizeof p);
    p.input = ES_BRIDGE_INPUT_FULL;
    p.chunk_s = 10.0;
    p.whisper = NULL;
    p.augment = es_augment_default_params();
    p.progress = NULL;
    p.user = NULL;
    return p;
}

int es_dataset_input_dim(es_bridge_input input, const es_whisper_pool *w)
{
    switch (input) {
    case ES_BRIDGE_INPUT_FULL: return DS_FULL_DIM;
    case ES_BRIDGE_INPUT_SMALL: return DS_SMALL_DIM;
    case ES_BRIDGE_INPUT_HYBRID: return w ? DS_FULL_DIM + es_whisper_pool_dim(w) : -1;
    }
    return -1;
}

void es_dataset_free(es_dataset *d)
{
    if (!d) return;
    free(d->x);
    free(d->row);
    free(d->target_a);
    free(d->target_b);
    free(d->mix_w);
    free(d->augmented);
    free(d->text);
    free(d);
}

/* A chunk kept for mixing. */
typedef struct kept_chunk {
    float *x;
    size_t n;
    int row;              /* manifest row                                    */
    int label;            /* label id (≥ 0)                                  */
} kept_chunk;

/* An augmented copy waiting for its partner. */
typedef struct deferred_copy {
    size_t example;       /* its slot                                        */
    size_t chunk;         /* index into kept                                 */
    es_augment_draw draw;
} deferred_copy;

typedef struct builder {
    const es_manifest *m;
    const es_dataset_params *p;
    es_dataset *d;
    size_t cap;
    es_features *feat;
    float *work;          /* a chunk being augmented                         */
    size_t work_cap;
    kept_chunk *kept;
    size_t n_kept, cap_kept;
    deferred_copy *def;
    size_t n_def, cap_def;
} builder;

static es_status grow(builder *b, es_error *err)
{
    es_dataset *d = b->d;
    if (d->n < b->cap) return ES_OK;
    size_t cap = b->cap ? b->cap * 2 : 256;
    float *x = realloc(d->x, cap * (size_t)d->dim * sizeof *x);
    if (x) d->x = x;
    int *row = realloc(d->row, cap * sizeof *row);
    if (row) d->row = row;
    int *ta = realloc(d->target_a, cap * sizeof *ta);
    if (ta) d->target_a = ta;
    int *tb = realloc(d->target_b, cap * sizeof *tb);
    if (tb) d->target_b = tb;
    float *w = realloc(d->mix_w, cap * sizeof *w);
    if (w) d->mix_w = w;
    uint8_t *au = realloc(d->augmented, cap * sizeof *au);
    if (au) d->augmented = au;
    if (!x || !row || !ta || !tb || !w || !au)
        return es_fail(err, ES_ERR_NOMEM, "dataset: out of memory for %zu examples", cap);
    b->cap = cap;
    return ES_OK;
}

/* The input vector of samples x[n] into slot i. */
static es_status compute_input(builder *b, size_t i, const float *x, size_t n,
                               es_error *err)
{
    float *o = b->d->x + i * (size_t)b->d->dim;
    es_status s = es_features_compute(b->feat, x, n, o, err);
    if (s || b->p->input != ES_BRIDGE_INPUT_HYBRID) return s;
    return es_whisper_pool_compute(b->p->whisper, x, n, o + DS_FULL_DIM, err);
}

static es_status reserve_example(builder *b, int row, int target, int augmented,
                                 size_t *slot, es_error *err)
{
    es_status s = grow(b, err);
    if (s) return s;
    es_dataset *d = b->d;
    size_t i = d->n++;
    d->row[i] = row;
    d->target_a[i] = target;
    d->target_b[i] = -1;
    d->mix_w[i] = 1.0f;
    d->augmented[i] = (uint8_t)augmented;
    *slot = i;
    return ES_OK;
}

static es_status work_fill(builder *b, const float *x, size_t n, es_error *err)
{
    if (n > b->work_cap) {
        float *w = realloc(b->work, n * sizeof *w);
        if (!w) return es_fail(err, ES_ERR_NOMEM, "dataset: out of memory");
        b->work = w;
        b->work_cap = n;
    }
    memcpy(b->work, x, n * sizeof *x);
    return ES_OK;
}

/* Original and augmented examples of one chunk. */
static es_status add_chunk(builder *b, int row, size_t chunk_index, int target,
                           int label, const float *x, size_t n, es_error *err)
{
    const es_augment_params *ap = &b->p->augment;
    size_t slot;
    es_status s = reserve_example(b, row, target, 0, &slot, err);
    if (!s) s = compute_input(b, slot, x, n, err);
    if (s || ap->copies <= 0) return s;

    const int keep = ap->mix && label >= 0;
    if (keep) {
        if (b->n_kept == b->cap_kept) {
            size_t cap = b->cap_kept ? b->cap_kept * 2 : 64;
            kept_chunk *k = realloc(b->kept, cap * sizeof *k);
            if (!k) return es_fail(err, ES_ERR_NOMEM, "dataset: out of memory");
            b->kept = k;
            b->cap_kept = cap;
        }
        kept_chunk *k = &b->kept[b->n_kept];
        k->x = malloc(n * sizeof *k->x);
        if (!k->x) return es_fail(err, ES_ERR_NOMEM, "dataset: out of memory for the "
                                  "audio kept for mixing");
        memcpy(k->x, x, n * sizeof *x);
        k->n = n;
        k->row = row;
        k->label = label;
        b->n_kept++;
    }
    for (int c = 0; c < ap->copies; c++) {
        es_augment_draw dr;
        es_augment_draw_copy(ap, es_augment_key(ap->seed, (uint64_t)row, chunk_index,
                                                (uint64_t)c), &dr);
        s = reserve_example(b, row, target, 1, &slot, err);
        if (s) return s;
        if (keep && dr.mix) {   /* made once every partner is known */
            if (b->n_def == b->cap_def) {
                size_t cap = b->cap_def ? b->cap_def * 2 : 64;
                deferred_copy *d = realloc(b->def, cap * sizeof *d);
                if (!d) return es_fail(err, ES_ERR_NOMEM, "dataset: out of memory");
                b->def = d;
                b->cap_def = cap;
            }
            b->def[b->n_def].example = slot;
            b->def[b->n_def].chunk = b->n_kept - 1;
            b->def[b->n_def].draw = dr;
            b->n_def++;
            continue;
        }
        s = work_fill(b, x, n, err);
        if (s) return s;
        dr.mix = 0;
        es_augment_apply(ap, &dr, b->work, n, NULL, 0);
        s = compute_input(b, slot, b->work, n, err);
        if (s) return s;
    }
    return ES_OK;
}

/* An error while reading a row's audio, with the manifest line and the
 * audio path in front (the path once: decoder messages often name it). */
static es_status row_error(const es_manifest *m, int row, es_status code,
                           const es_error *inner, es_error *err)
{
    const es_manifest_row *r = &m->rows[row];
    if (strstr(inner->message, r->path))
        return es_fail(err, code, "%s line %d: %s", m->file, r->line, inner->message);
    return es_fail(err, code, "%s line %d: %s: %s", m->file, r->line, r->path,
                   inner->message);
}

/* The copies that drew mixing, now that every partner is known. */
static es_status make_mixed(builder *b, es_error *err)
{
    const es_augment_params *ap = &b->p->augment;
    for (size_t i = 0; i < b->n_def; i++) {
        deferred_copy *dc = &b->def[i];
        const kept_chunk *own = &b->kept[dc->chunk];
        size_t n_other = 0;
        for (size_t k = 0; k < b->n_kept; k++) n_other += b->kept[k].label != own->label;
        const kept_chunk *partner = NULL;
        if (n_other) {
            size_t pick = (size_t)(dc->draw.partner_u * (double)n_other);
            if (pick >= n_other) pick = n_other - 1;
            for (size_t k = 0; k < b->n_kept; k++) {
                if (b->kept[k].label == own->label) continue;
                if (pick-- == 0) {
                    partner = &b->kept[k];
                    break;
                }
            }
        }
        es_status s = work_fill(b, own->x, own->n, err);
        if (s) return s;
        if (!partner) dc->draw.mix = 0;
        es_augment_apply(ap, &dc->draw, b->work, own->n, partner ? partner->x : NULL,
                         partner ? partner->n : 0);
        es_error inner;
        es_error_clear(&inner);
        s = compute_input(b, dc->example, b->work, own->n, &inner);
        if (s) return row_error(b->m, own->row, s, &inner, err);
        if (partner) {
            b->d->target_b[dc->example] = partner->label;
            b->d->mix_w[dc->example] = dc->draw.mix_w;
        }
    }
    return ES_OK;
}

static es_status check_params(const es_manifest *m, const int *rows, size_t n_rows,
                              const es_dataset_params *p, es_error *err)
{
    if (p->input != ES_BRIDGE_INPUT_FULL && p->input != ES_BRIDGE_INPUT_SMALL &&
        p->input != ES_BRIDGE_INPUT_HYBRID)
        return es_fail(err, ES_ERR_INVALID_ARG, "dataset: unknown input layout %d",
                       (int)p->input);
    if (!(p->chunk_s > 0.0) || p->chunk_s > 3600.0)
        return es_fail(err, ES_ERR_INVALID_ARG, "dataset: chunk length %g s is out of "
                       "range (0, 3600]", p->chunk_s);
    if (p->input == ES_BRIDGE_INPUT_HYBRID) {
        if (!p->whisper)
            return es_fail(err, ES_ERR_INVALID_ARG, "dataset: hybrid inputs need a "
                           "Whisper model (es_whisper_pool_open)");
        if (p->chunk_s > 30.0)
            return es_fail(err, ES_ERR_INVALID_ARG, "dataset: hybrid inputs need chunks "
                           "of at most 30 s (Whisper's window), not %g s", p->chunk_s);
    }
    const es_augment_params *a = &p->augment;
    if (a->copies < 0 || a->copies > 1000)
        return es_fail(err, ES_ERR_INVALID_ARG, "dataset: augmented copies must be "
                       "0..1000 (got %d)", a->copies);
    if (a->gain && !(a->gain_db >= 0.0f && a->gain_db <= 60.0f))
        return es_fail(err, ES_ERR_INVALID_ARG, "augment: gain range ±%g dB must be "
                       "within 0..60 dB", (double)a->gain_db);
    if (a->noise && !(a->snr_min_db <= a->snr_max_db && a->snr_min_db > -60.0f &&
                      a->snr_max_db < 200.0f))
        return es_fail(err, ES_ERR_INVALID_ARG, "augment: noise SNR range [%g, %g] dB "
                       "is invalid (min ≤ max, within −60..200)", (double)a->snr_min_db,
                       (double)a->snr_max_db);
    if (a->mix && !(a->mix_prob >= 0.0f && a->mix_prob <= 1.0f))
        return es_fail(err, ES_ERR_INVALID_ARG, "augment: mix probability %g is not in "
                       "[0, 1]", (double)a->mix_prob);
    for (size_t i = 0; i < n_rows; i++)
        if (rows[i] < 0 || (size_t)rows[i] >= m->n_rows)
            return es_fail(err, ES_ERR_INVALID_ARG, "dataset: row %d is not in %s (%zu "
                           "rows)", rows[i], m->file, m->n_rows);
    return ES_OK;
}

/* Decodes one row's file and adds its chunks. */
static es_status add_file(builder *b, int row, int target, es_error *err)
{
    const es_manifest_row *r = &b->m->rows[row];
    es_chunk_params cp = es_chunk_default_params();
    cp.window_s = b->p->chunk_s;
    cp.hop_s = b->p->chunk_s;
    cp.min_last_s = MIN_LAST_S;
    es_error inner;
    es_error_clear(&inner);
    es_chunker *c = NULL;
    es_status s = es_chunker_open(r->path, &cp, &c, &inner);
    for (size_t j = 0; !s; j++) {
        es_chunk ch;
        s = es_chunker_next(c, &ch, &inner);
        if (s == ES_DONE) {
            s = ES_OK;
            break;
        }
        if (!s) s = add_chunk(b, row, j, target, r->label_id, ch.samples, ch.n_samples,
                              &inner);
    }
    es_chunker_close(c);
    return s ? row_error(b->m, row, s, &inner, err) : ES_OK;
}

es_status es_dataset_build(const es_manifest *m, const int *rows,
                           size_t n_rows, const es_dataset_params *p,
                           es_dataset **out, es_error *err)
{
    if (!out) return es_fail(err, ES_ERR_INVALID_ARG, "dataset: out is NULL");
    *out = NULL;
    if (!m || (n_rows && !rows))
        return es_fail(err, ES_ERR_INVALID_ARG, "dataset: NULL manifest or rows");
    es_dataset_params def = es_dataset_default_params();
    if (!p) p = &def;
    es_status s = check_params(m, rows, n_rows, p, err);
    if (s) return s;

    builder b;
    memset(&b, 0, sizeof b);
    b.m = m;
    b.p = p;
    b.d = calloc(1, sizeof *b.d);
    if (!b.d) return es_fail(err, ES_ERR_NOMEM, "dataset: out of memory");
    es_dataset *d = b.d;
    d->dim = es_dataset_input_dim(p->input, p->whisper);
    d->n_labels = m->n_labels;
    s = es_features_create(p->input == ES_BRIDGE_INPUT_SMALL ? ES_FEATURES_SMALL
                                                             : ES_FEATURES_FULL,
                           &b.feat, err);
    if (s) goto done;
    if (es_features_dim(b.feat) != (p->input == ES_BRIDGE_INPUT_SMALL ? DS_SMALL_DIM
                                                                      : DS_FULL_DIM)) {
        s = es_fail(err, ES_ERR_INTERNAL, "dataset: feature width %d differs from the "
                    "layout's", es_features_dim(b.feat));
        goto done;
    }

    /* text targets: the text-only rows, in the order given */
    size_t n_text = 0;
    for (size_t i = 0; i < n_rows; i++) n_text += m->rows[rows[i]].label_id < 0;
    d->text = calloc(n_text ? n_text : 1, sizeof *d->text);
    if (!d->text) {
        s = es_fail(err, ES_ERR_NOMEM, "dataset: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_rows && !s; i++) {
        const es_manifest_row *r = &m->rows[rows[i]];
        int target = r->label_id;
        if (target < 0) {
            target = m->n_labels + d->n_text;
            d->text[d->n_text++] = r->text;
        }
        s = add_file(&b, rows[i], target, err);
        if (!s && p->progress) p->progress(i + 1, n_rows, p->user);
    }
    if (!s) s = make_mixed(&b, err);
done:
    es_features_free(b.feat);
    free(b.work);
    for (size_t k = 0; k < b.n_kept; k++) free(b.kept[k].x);
    free(b.kept);
    free(b.def);
    if (s) {
        es_dataset_free(d);
        return s;
    }
    *out = d;
    return ES_OK;
}
