/* folds.c — group-stratified k-fold assignment (es_manifest_assign_folds).
 *
 * Why: clips cut from one recording (ESC-50's src_file) sound alike, so a
 * recording split between training and test folds inflates the scores. Rows
 * sharing a group value therefore always land in one fold, and each label's
 * groups are spread over the folds so every fold sees every label.
 *
 * Algorithm (deterministic: it depends only on the manifest's content):
 *   1. Groups: rows with the same non-empty group value form one group; a
 *      row with an empty group value (or every row, with no group column)
 *      is a group of its own.
 *   2. Each group has one label: the most frequent label among its rows
 *      (ties: the one met first in row order); a group of text-only rows
 *      has none and is placed after all labels.
 *   3. Labels in sorted order (label_id order), then the label-less groups;
 *      within a label, its groups by size (rows) descending, then group
 *      value (strcmp), then first row. Each group goes to the fold holding
 *      the fewest rows of its label so far; ties: the fold with the fewest
 *      rows overall, then the lowest fold number. Rows of other labels in a
 *      mixed group count for their own labels.
 *   Folds are numbered 1..k and has_fold is set. */
#include "data/manifest.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

typedef struct fold_group {
    const char *key;      /* group value, "" for a single row              */
    int first;            /* first row (index into m->rows)                */
    int size;             /* rows                                          */
    int label;            /* majority label id, or n_labels for none       */
} fold_group;

typedef struct row_ref {
    const char *key;
    int row;
} row_ref;

static int cmp_ref(const void *a, const void *b)
{
    const row_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

static int cmp_group(const void *a, const void *b)
{
    const fold_group *x = a, *y = b;
    if (x->label != y->label) return x->label < y->label ? -1 : 1;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    return (x->first > y->first) - (x->first < y->first);
}

es_status es_manifest_assign_folds(es_manifest *m, int k, es_error *err)
{
    if (!m) return es_fail(err, ES_ERR_INVALID_ARG, "assign folds: manifest is NULL");
    if (k < 2 || k > 1000)
        return es_fail(err, ES_ERR_INVALID_ARG, "assign folds: the number of folds "
                       "must be 2..1000 (got %d)", k);
    const size_t n = m->n_rows;
    const int L = m->n_labels;   /* stratum L = no label */
    es_status s = ES_OK;
    row_ref *refs = malloc((n ? n : 1) * sizeof *refs);
    int *group_of = malloc((n ? n : 1) * sizeof *group_of);
    fold_group *g = malloc((n ? n : 1) * sizeof *g);
    int *votes = calloc((size_t)L + 1, sizeof *votes);
    long *per_label = calloc(((size_t)L + 1) * (size_t)k, sizeof *per_label);
    long *per_fold = calloc((size_t)k, sizeof *per_fold);
    int *members = malloc((n ? n : 1) * sizeof *members);
    int *start = NULL;
    if (!refs || !group_of || !g || !votes || !per_label || !per_fold || !members) {
        s = es_fail(err, ES_ERR_NOMEM, "assign folds: out of memory");
        goto done;
    }

    /* 1. groups: sort rows by (key, row); a run of one non-empty key is a
     * group, and every row with an empty key is its own */
    for (size_t i = 0; i < n; i++) {
        refs[i].key = m->rows[i].group;
        refs[i].row = (int)i;
    }
    qsort(refs, n, sizeof *refs, cmp_ref);
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key = refs[i].key;
        if (i == 0 || !*key || strcmp(key, refs[i - 1].key)) {
            g[ng].key = key;
            g[ng].first = refs[i].row;   /* smallest row: refs are in row order */
            g[ng].size = 0;
            g[ng].label = L;
            ng++;
        }
        g[ng - 1].size++;
        group_of[refs[i].row] = (int)ng - 1;
    }
    if (ng < (size_t)k) {
        s = es_fail(err, ES_ERR_INVALID_ARG, "%s: cannot make %d folds from %zu "
                    "group%s: use fewer folds", m->file, k, ng, ng == 1 ? "" : "s");
        goto done;
    }

    /* 2. members of each group in row order, then its majority label */
    start = calloc(ng + 1, sizeof *start);
    if (!start) {
        s = es_fail(err, ES_ERR_NOMEM, "assign folds: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) start[group_of[i] + 1]++;
    for (size_t j = 0; j < ng; j++) start[j + 1] += start[j];
    {
        int *fill = malloc((ng ? ng : 1) * sizeof *fill);
        if (!fill) {
            s = es_fail(err, ES_ERR_NOMEM, "assign folds: out of memory");
            goto done;
        }
        for (size_t j = 0; j < ng; j++) fill[j] = start[j];
        for (size_t i = 0; i < n; i++) members[fill[group_of[i]]++] = (int)i;
        free(fill);
    }
    for (size_t j = 0; j < ng; j++) {
        int best = L, best_votes = 0;
        for (int q = start[j]; q < start[j + 1]; q++) {
            int lab = m->rows[members[q]].label_id;
            if (lab >= 0) votes[lab]++;
        }
        for (int q = start[j]; q < start[j + 1]; q++) {   /* first met wins ties */
            int lab = m->rows[members[q]].label_id;
            if (lab >= 0 && votes[lab] > best_votes) {
                best = lab;
                best_votes = votes[lab];
            }
        }
        for (int q = start[j]; q < start[j + 1]; q++) {
            int lab = m->rows[members[q]].label_id;
            if (lab >= 0) votes[lab] = 0;
        }
        g[j].label = best;
    }

    /* 3. place groups; g is re-sorted, so remember each one's members by
     * its first row's group index */
    int *order = malloc((ng ? ng : 1) * sizeof *order);
    if (!order) {
        s = es_fail(err, ES_ERR_NOMEM, "assign folds: out of memory");
        goto done;
    }
    qsort(g, ng, sizeof *g, cmp_group);
    for (size_t j = 0; j < ng; j++) order[j] = group_of[g[j].first];
    for (size_t j = 0; j < ng; j++) {
        const int lab = g[j].label;
        long *pl = per_label + (size_t)lab * (size_t)k;
        int best = 0;
        for (int f = 1; f < k; f++) {
            if (pl[f] < pl[best] || (pl[f] == pl[best] && per_fold[f] < per_fold[best]))
                best = f;
        }
        const int gi = order[j];
        for (int q = start[gi]; q < start[gi + 1]; q++) {
            es_manifest_row *row = &m->rows[members[q]];
            int rl = row->label_id >= 0 ? row->label_id : L;
            per_label[(size_t)rl * (size_t)k + (size_t)best]++;
            per_fold[best]++;
            row->fold = best + 1;
        }
    }
    free(order);
    m->has_fold = 1;
done:
    free(refs);
    free(group_of);
    free(g);
    free(votes);
    free(per_label);
    free(per_fold);
    free(members);
    free(start);
    return s;
}
