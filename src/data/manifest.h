/* manifest.h — a CSV list of labelled audio for training and evaluation:
 * one row per clip, `path,label[,fold]` plus any other columns (RFC 4180
 * quoting; UTF-8; a BOM is skipped). Relative paths are relative to the
 * manifest's directory. A row's target is its label (a prompt is built
 * from it) or, when the label is empty, its text column (a transcript or
 * caption: speech self-supervision).
 *
 * Owned by manifest.c (parsing, validation) and folds.c (fold assignment). */
#ifndef ES_DATA_MANIFEST_H
#define ES_DATA_MANIFEST_H

#include <stddef.h>

#include "earshot.h"

typedef struct es_manifest_columns {
    const char *path;     /* default "path"                                  */
    const char *label;    /* default "label"; NULL = no label column          */
    const char *text;     /* default NULL; e.g. "transcript", "caption"       */
    const char *fold;     /* default "fold"; used when present                */
    const char *group;    /* default NULL; e.g. "src_file" for es_manifest_assign_folds */
} es_manifest_columns;

es_manifest_columns es_manifest_default_columns(void);

typedef struct es_manifest_row {
    char *path;           /* resolved against the manifest's directory        */
    char *label;          /* "" when none                                     */
    char *text;           /* "" when none                                     */
    char *group;          /* "" when none                                     */
    int fold;             /* ≥ 0, or −1 when the manifest has no fold column  */
    int line;             /* 1-based line of the row in the file              */
    int label_id;         /* index in labels[], or −1 when the label is empty */
} es_manifest_row;

typedef struct es_manifest {
    char *file;           /* the manifest's path                              */
    es_manifest_row *rows;
    size_t n_rows;
    char **labels;        /* distinct non-empty labels, sorted (strcmp)      */
    int n_labels;
    int has_fold;
} es_manifest;

/* Parses and validates: the file exists and is CSV with a header naming
 * the columns (a missing column is named, with the ones that exist); every
 * row has as many fields as the header; no empty path; every row has a
 * label or text; folds are integers; every audio file exists (the first
 * missing ones are listed with their line numbers, and how many in all).
 * An empty manifest (header only) is ES_ERR_EMPTY. */
es_status es_manifest_load(const char *path, const es_manifest_columns *cols,
                           es_manifest **out, es_error *err);
/* As es_manifest_load, but the path column is kept as written and not
 * checked as a file: for other CSV tables (e.g. query,label lists). */
es_status es_manifest_load_table(const char *path,
                                 const es_manifest_columns *cols,
                                 es_manifest **out, es_error *err);
void es_manifest_free(es_manifest *m);

/* Training and label evaluation need at least two distinct labels: fails
 * with ES_ERR_INVALID_ARG saying so when there is only one (and rows with
 * only text targets do not count). */
es_status es_manifest_check_classes(const es_manifest *m, es_error *err);

/* Replaces the folds with 1..k: rows sharing a group value (or, with no
 * group column, each row alone) always land in one fold, and each label's
 * groups are spread over the folds as evenly as possible (stratified).
 * Deterministic: depends only on the manifest's content. */
es_status es_manifest_assign_folds(es_manifest *m, int k, es_error *err);

/* Parses a fold list such as "1,2,3" or "5" into folds[≤ max]. */
es_status es_fold_list_parse(const char *s, int *folds, int max, int *n,
                             es_error *err);

/* Every one of folds[n] has at least one row: else fails with
 * ES_ERR_INVALID_ARG naming the first empty fold and the folds present,
 * e.g. "m.csv: fold 7 has no rows (folds present: 1, 2, 3, 4, 5)". A
 * manifest with no fold column fails as es_manifest_select does (n > 0). */
es_status es_manifest_check_folds(const es_manifest *m, const int *folds, int n,
                                  es_error *err);

/* Indices of the rows whose fold is (in = 1) or is not (in = 0) one of
 * folds[n]; *rows is malloc'ed, *n_rows may be 0. */
es_status es_manifest_select(const es_manifest *m, const int *folds, int n,
                             int in, int **rows, size_t *n_rows,
                             es_error *err);

#endif
