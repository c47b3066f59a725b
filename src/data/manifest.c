/* manifest.c — reading a training manifest (see manifest.h): an RFC 4180
 * CSV parser, then the checks that turn a malformed manifest into one
 * message naming the file, the line and what to fix, before any audio is
 * decoded.
 *
 * CSV as parsed here: fields separated by ',', records by LF or CRLF; a
 * field that starts with '"' is quoted and may hold commas, line breaks and
 * doubled quotes (""); anything but a separator or a line end after the
 * closing quote is an error, and so is a quote that is never closed. A
 * quote inside an unquoted field is kept as is (lenient, like Python's csv).
 * A UTF-8 byte-order mark at the start is skipped; empty lines are skipped.
 * A record's line is the 1-based line where it starts (the header is line
 * 1), counting the line breaks inside quoted fields.
 *
 * The path, label, group and fold values are trimmed of surrounding blanks
 * (spaces and tabs); the text is kept as written. */
#include "data/manifest.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"

#define MANIFEST_MAX_BYTES (1ull << 30)
#define MISSING_LISTED 5

es_manifest_columns es_manifest_default_columns(void)
{
    es_manifest_columns c;
    c.path = "path";
    c.label = "label";
    c.text = NULL;
    c.fold = "fold";
    c.group = NULL;
    return c;
}

/* ------------------------------------------------------------- CSV parser */

typedef struct csv_record {
    char **field;
    int n;
    int line;
} csv_record;

typedef struct csv_table {
    csv_record *rec;
    size_t n, cap;
} csv_table;

typedef struct strbuf {
    char *p;
    size_t n, cap;
} strbuf;

static int sb_put(strbuf *b, char c)
{
    if (b->n + 1 >= b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    b->p[b->n++] = c;
    b->p[b->n] = 0;
    return 0;
}

static void record_free(csv_record *r)
{
    for (int i = 0; i < r->n; i++) free(r->field[i]);
    free(r->field);
    r->field = NULL;
    r->n = 0;
}

static void table_free(csv_table *t)
{
    for (size_t i = 0; i < t->n; i++) record_free(&t->rec[i]);
    free(t->rec);
    memset(t, 0, sizeof *t);
}

static int record_push(csv_record *r, strbuf *b)
{
    char **f = realloc(r->field, (size_t)(r->n + 1) * sizeof *f);
    if (!f) return -1;
    r->field = f;
    if (!b->p) {
        b->p = calloc(1, 1);
        if (!b->p) return -1;
    }
    f[r->n++] = b->p;
    memset(b, 0, sizeof *b);
    return 0;
}

static int table_push(csv_table *t, csv_record *r)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        csv_record *p = realloc(t->rec, cap * sizeof *p);
        if (!p) return -1;
        t->rec = p;
        t->cap = cap;
    }
    t->rec[t->n++] = *r;
    memset(r, 0, sizeof *r);
    return 0;
}

/* Is buf[i] the start of a line end (LF, CRLF, or a CR ending the file)? */
static int at_eol(const char *buf, size_t len, size_t i)
{
    return buf[i] == '\n' || (buf[i] == '\r' && (i + 1 >= len || buf[i + 1] == '\n'));
}

static es_status csv_parse(const char *file, const char *buf, size_t len,
                           csv_table *t, es_error *err)
{
    size_t i = 0;
    int line = 1;
    if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB &&
        (unsigned char)buf[2] == 0xBF)
        i = 3;
    csv_record rec = {0};
    strbuf fb = {0};
    es_status s = ES_OK;
    while (i < len) {
        if (at_eol(buf, len, i)) {   /* an empty line */
            i += buf[i] == '\r' ? 2 : 1;
            line++;
            continue;
        }
        rec.line = line;
        for (;;) {   /* one field per iteration */
            if (i < len && buf[i] == '"') {
                int opened = line;
                i++;
                for (;;) {
                    if (i >= len) {
                        s = es_fail(err, ES_ERR_FORMAT, "%s line %d: a quoted field is "
                                    "never closed (opened on line %d): close it with "
                                    "'\"' and double any '\"' inside it", file, rec.line,
                                    opened);
                        goto fail;
                    }
                    char c = buf[i];
                    if (c == '"') {
                        if (i + 1 < len && buf[i + 1] == '"') {
                            if (sb_put(&fb, '"')) goto nomem;
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (c == 0) goto nul;
                    if (c == '\n') line++;
                    if (sb_put(&fb, c)) goto nomem;
                    i++;
                }
                if (i < len && buf[i] != ',' && !at_eol(buf, len, i)) {
                    s = es_fail(err, ES_ERR_FORMAT, "%s line %d: unexpected '%c' after "
                                "the closing quote of a field (a '\"' inside a quoted "
                                "field must be doubled: \"\")", file, line, buf[i]);
                    goto fail;
                }
            } else {
                while (i < len && buf[i] != ',' && !at_eol(buf, len, i)) {
                    if (buf[i] == 0) goto nul;
                    if (sb_put(&fb, buf[i])) goto nomem;
                    i++;
                }
            }
            if (record_push(&rec, &fb)) goto nomem;
            if (i >= len) break;
            if (buf[i] == ',') {
                i++;
                continue;
            }
            i += buf[i] == '\r' ? 2 : 1;   /* line end */
            line++;
            break;
        }
        if (table_push(t, &rec)) goto nomem;
    }
    return ES_OK;
nul:
    s = es_fail(err, ES_ERR_FORMAT, "%s line %d: NUL byte: this is not a text CSV "
                "file", file, line);
    goto fail;
nomem:
    s = es_fail(err, ES_ERR_NOMEM, "%s: out of memory while reading the manifest", file);
fail:
    free(fb.p);
    record_free(&rec);
    return s;
}

static es_status read_file(const char *path, char **out, size_t *len, es_error *err)
{
    *out = NULL;
    *len = 0;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == EACCES)
            return es_fail(err, ES_ERR_PERMISSION, "%s: permission denied", path);
        return es_fail(err, ES_ERR_NOT_FOUND, "%s: no such manifest file (expected a "
                       "CSV file with a header such as path,label)", path);
    }
    if (S_ISDIR(st.st_mode))
        return es_fail(err, ES_ERR_INVALID_ARG, "%s is a directory: give the path of "
                       "the manifest CSV file", path);
    if ((unsigned long long)st.st_size > MANIFEST_MAX_BYTES)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: manifest larger than 1 GiB", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return es_fail(err, errno == EACCES ? ES_ERR_PERMISSION : ES_ERR_IO,
                       "%s: cannot open: %s", path, strerror(errno));
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {   /* the file grew since stat */
            if (cap >= MANIFEST_MAX_BYTES) break;
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                fclose(f);
                return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = p;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - 1 - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return es_fail(err, ES_ERR_IO, "%s: read error", path);
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return ES_OK;
}

/* ---------------------------------------------------------------- helpers */

static char *trim_dup(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static int name_eq(const char *field, const char *name)
{
    while (*field == ' ' || *field == '\t') field++;
    size_t n = strlen(name), m = strlen(field);
    while (m && (field[m - 1] == ' ' || field[m - 1] == '\t')) m--;
    return m == n && !memcmp(field, name, n);
}

static int find_column(const csv_record *h, const char *name)
{
    for (int i = 0; i < h->n; i++)
        if (name_eq(h->field[i], name)) return i;
    return -1;
}

static es_status missing_column(const char *file, const csv_record *h,
                                const char *name, const char *role, es_error *err)
{
    char cols[320];
    size_t o = 0;
    cols[0] = 0;
    for (int i = 0; i < h->n; i++) {
        int w = snprintf(cols + o, sizeof cols - o, "%s%s", i ? ", " : "", h->field[i]);
        if (w < 0 || (size_t)w >= sizeof cols - o) {
            snprintf(cols + (sizeof cols - 5), 5, "...");
            break;
        }
        o += (size_t)w;
    }
    return es_fail(err, ES_ERR_INVALID_ARG, "%s: no column '%s'%s (columns: %s)", file,
                   name, role, cols);
}

/* Integer ≥ 0 with optional surrounding blanks. */
static int parse_fold(const char *s, int *out)
{
    while (*s == ' ' || *s == '\t') s++;
    if (!*s || *s == '-' || *s == '+') return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || errno) return -1;
    while (*end == ' ' || *end == '\t') end++;
    if (*end || v < 0 || v > INT_MAX) return -1;
    *out = (int)v;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void es_manifest_free(es_manifest *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n_rows; i++) {
        free(m->rows[i].path);
        free(m->rows[i].label);
        free(m->rows[i].text);
        free(m->rows[i].group);
    }
    free(m->rows);
    for (int i = 0; i < m->n_labels; i++) free(m->labels[i]);
    free(m->labels);
    free(m->file);
    free(m);
}

/* ------------------------------------------------------------------ load */

/* audio = 1: the path column names audio files, resolved against the
 * manifest's folder and checked to exist; 0: it is kept as written (a
 * table of texts read with the same rules). */
static es_status load_table(const char *path, const es_manifest_columns *cols,
                            int audio, es_manifest **out, es_error *err)
{
    if (!out) return es_fail(err, ES_ERR_INVALID_ARG, "manifest: out is NULL");
    *out = NULL;
    if (!path) return es_fail(err, ES_ERR_INVALID_ARG, "manifest: no path given");
    es_manifest_columns def = es_manifest_default_columns();
    if (!cols) cols = &def;
    if (!cols->path || !*cols->path)
        return es_fail(err, ES_ERR_INVALID_ARG, "manifest: no path column name given");
    if ((!cols->label || !*cols->label) && (!cols->text || !*cols->text))
        return es_fail(err, ES_ERR_INVALID_ARG, "manifest: needs a label column or a "
                       "text column (e.g. transcript or caption) for the targets");

    char *buf = NULL;
    size_t len = 0;
    es_status s = read_file(path, &buf, &len, err);
    if (s) return s;
    csv_table t = {0};
    s = csv_parse(path, buf, len, &t, err);
    free(buf);
    if (s) {
        table_free(&t);
        return s;
    }
    es_manifest *m = NULL;
    char *dir = NULL;
    int *missing = NULL;
    if (t.n == 0) {
        s = es_fail(err, ES_ERR_EMPTY, "%s: empty file: a manifest starts with a header "
                    "line naming its columns (e.g. path,label,fold)", path);
        goto done;
    }
    const csv_record *h = &t.rec[0];
    const int c_path = find_column(h, cols->path);
    const int c_label = cols->label && *cols->label ? find_column(h, cols->label) : -2;
    const int c_text = cols->text && *cols->text ? find_column(h, cols->text) : -2;
    const int c_fold = cols->fold && *cols->fold ? find_column(h, cols->fold) : -2;
    const int c_group = cols->group && *cols->group ? find_column(h, cols->group) : -2;
    if (c_path == -1) {
        s = missing_column(path, h, cols->path, " for the audio paths", err);
        goto done;
    }
    if (c_label == -1) {
        s = missing_column(path, h, cols->label, " for the labels", err);
        goto done;
    }
    if (c_text == -1) {
        s = missing_column(path, h, cols->text, " for the texts", err);
        goto done;
    }
    if (c_group == -1) {
        s = missing_column(path, h, cols->group, " for the fold groups", err);
        goto done;
    }
    if (t.n == 1) {
        s = es_fail(err, ES_ERR_EMPTY, "%s: no rows, only a header: add one line per "
                    "audio file", path);
        goto done;
    }

    m = calloc(1, sizeof *m);
    if (!m) goto nomem;
    m->file = strdup(path);
    m->rows = calloc(t.n - 1, sizeof *m->rows);
    if (!m->file || !m->rows) goto nomem;
    m->has_fold = c_fold >= 0;
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    dir = malloc(dlen + 1);
    if (!dir) goto nomem;
    memcpy(dir, path, dlen);
    dir[dlen] = 0;

    for (size_t r = 1; r < t.n; r++) {
        const csv_record *rec = &t.rec[r];
        es_manifest_row *row = &m->rows[m->n_rows];
        if (rec->n != h->n) {
            s = es_fail(err, ES_ERR_FORMAT, "%s line %d: %d field%s, but the header has "
                        "%d (quote a field that holds a comma: \"a, b\")", path,
                        rec->line, rec->n, rec->n == 1 ? "" : "s", h->n);
            goto done;
        }
        row->line = rec->line;
        row->fold = -1;
        row->label_id = -1;
        char *p = trim_dup(rec->field[c_path]);
        row->label = c_label >= 0 ? trim_dup(rec->field[c_label]) : strdup("");
        row->text = c_text >= 0 ? strdup(rec->field[c_text]) : strdup("");
        row->group = c_group >= 0 ? trim_dup(rec->field[c_group]) : strdup("");
        m->n_rows++;
        if (!p || !row->label || !row->text || !row->group) {
            free(p);
            goto nomem;
        }
        if (!*p) {
            free(p);
            s = es_fail(err, ES_ERR_FORMAT, "%s line %d: empty path (column '%s')", path,
                        rec->line, cols->path);
            goto done;
        }
        if (p[0] == '/' || !dlen || !audio) {
            row->path = p;
        } else {
            size_t n = strlen(p);
            row->path = malloc(dlen + n + 1);
            if (!row->path) {
                free(p);
                goto nomem;
            }
            memcpy(row->path, dir, dlen);
            memcpy(row->path + dlen, p, n + 1);
            free(p);
        }
        if (!*row->label && !*row->text) {
            s = es_fail(err, ES_ERR_FORMAT, "%s line %d: empty label and no text (every "
                        "row needs a label%s%s%s)", path, rec->line,
                        c_text >= 0 ? " or a '" : "", c_text >= 0 ? cols->text : "",
                        c_text >= 0 ? "'" : "");
            goto done;
        }
        if (c_fold >= 0 && parse_fold(rec->field[c_fold], &row->fold) != 0) {
            s = es_fail(err, ES_ERR_FORMAT, "%s line %d: fold '%.40s' is not an integer "
                        "≥ 0 (column '%s')", path, rec->line, rec->field[c_fold],
                        cols->fold);
            goto done;
        }
    }

    /* labels: distinct, sorted */
    m->labels = malloc(m->n_rows * sizeof *m->labels);
    if (!m->labels) goto nomem;
    size_t nl = 0;
    for (size_t i = 0; i < m->n_rows; i++)
        if (*m->rows[i].label) m->labels[nl++] = m->rows[i].label;
    qsort(m->labels, nl, sizeof *m->labels, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < nl; i++)
        if (u == 0 || strcmp(m->labels[u - 1], m->labels[i])) m->labels[u++] = m->labels[i];
    if (u > INT_MAX) goto nomem;
    for (size_t i = 0; i < u; i++) {   /* own copies (rows are freed apart) */
        m->labels[i] = strdup(m->labels[i]);
        if (!m->labels[i]) {
            m->n_labels = (int)i;
            goto nomem;
        }
    }
    m->n_labels = (int)u;
    for (size_t i = 0; i < m->n_rows; i++) {
        es_manifest_row *row = &m->rows[i];
        if (!*row->label) continue;
        char **hit = bsearch(&row->label, m->labels, u, sizeof *m->labels, cmp_str);
        row->label_id = (int)(hit - m->labels);
    }

    /* every audio file exists */
    size_t n_missing = 0;
    missing = malloc(MISSING_LISTED * sizeof *missing);
    if (!missing) goto nomem;
    for (size_t i = 0; audio && i < m->n_rows; i++) {
        struct stat st;
        if (stat(m->rows[i].path, &st) == 0 && !S_ISDIR(st.st_mode)) continue;
        if (n_missing < MISSING_LISTED) missing[n_missing] = (int)i;
        n_missing++;
    }
    if (n_missing) {
        char list[400];
        size_t o = 0;
        list[0] = 0;
        size_t shown = n_missing < MISSING_LISTED ? n_missing : MISSING_LISTED;
        for (size_t k = 0; k < shown; k++) {
            const es_manifest_row *row = &m->rows[missing[k]];
            const char *shown_path = row->path;   /* as relative to the folder */
            if (dlen && !strncmp(shown_path, dir, dlen)) shown_path += dlen;
            int w = snprintf(list + o, sizeof list - o, "%sline %d: %s", k ? "; " : "",
                             row->line, shown_path);
            if (w < 0 || (size_t)w >= sizeof list - o) {
                snprintf(list + (sizeof list - 5), 5, "...");
                break;
            }
            o += (size_t)w;
        }
        const char *where = dlen ? dir : "./";
        if (n_missing == 1)
            s = es_fail(err, ES_ERR_NOT_FOUND, "%s: 1 audio file is missing (%s); "
                        "relative paths are read from %s", path, list, where);
        else if (n_missing <= MISSING_LISTED)
            s = es_fail(err, ES_ERR_NOT_FOUND, "%s: %zu audio files are missing (%s); "
                        "relative paths are read from %s", path, n_missing, list, where);
        else
            s = es_fail(err, ES_ERR_NOT_FOUND, "%s: %zu audio files are missing, the "
                        "first %zu: %s; relative paths are read from %s", path, n_missing,
                        shown, list, where);
        goto done;
    }
    s = ES_OK;
    goto done;
nomem:
    s = es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
done:
    table_free(&t);
    free(dir);
    free(missing);
    if (s) {
        es_manifest_free(m);
        return s;
    }
    *out = m;
    return ES_OK;
}

es_status es_manifest_load(const char *path, const es_manifest_columns *cols,
                           es_manifest **out, es_error *err)
{
    return load_table(path, cols, 1, out, err);
}

/* Not yet declared in manifest.h (src/app/bridge_metrics.c calls it for its
 * queries file): the same CSV rules and checks, but the path column is any
 * text, kept as written and not checked as a file. */
es_status es_manifest_load_table(const char *path, const es_manifest_columns *cols,
                                 es_manifest **out, es_error *err);
es_status es_manifest_load_table(const char *path, const es_manifest_columns *cols,
                                 es_manifest **out, es_error *err)
{
    return load_table(path, cols, 0, out, err);
}

es_status es_manifest_check_classes(const es_manifest *m, es_error *err)
{
    if (!m) return es_fail(err, ES_ERR_INVALID_ARG, "manifest: NULL");
    if (m->n_labels >= 2) return ES_OK;
    if (m->n_labels == 1)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: needs at least 2 distinct labels, "
                       "found only '%s'", m->file, m->labels[0]);
    return es_fail(err, ES_ERR_INVALID_ARG, "%s: needs at least 2 distinct labels, found "
                   "none (rows with only a text do not count)", m->file);
}

/* ------------------------------------------------------------- fold lists */

es_status es_fold_list_parse(const char *s, int *folds, int max, int *n,
                             es_error *err)
{
    if (!s || !folds || !n || max < 1)
        return es_fail(err, ES_ERR_INVALID_ARG, "fold list: NULL argument");
    *n = 0;
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        char *end;
        errno = 0;
        long v = (*p >= '0' && *p <= '9') ? strtol(p, &end, 10) : -1;
        if (v < 0 || errno || v > INT_MAX)
            return es_fail(err, ES_ERR_INVALID_ARG, "fold list '%s': expected fold "
                           "numbers separated by commas, e.g. 1,2,3", s);
        p = end;
        while (*p == ' ' || *p == '\t') p++;
        if (*p && *p != ',')
            return es_fail(err, ES_ERR_INVALID_ARG, "fold list '%s': expected fold "
                           "numbers separated by commas, e.g. 1,2,3", s);
        for (int i = 0; i < *n; i++)
            if (folds[i] == (int)v)
                return es_fail(err, ES_ERR_INVALID_ARG, "fold list '%s': fold %ld is "
                               "given twice", s, v);
        if (*n >= max)
            return es_fail(err, ES_ERR_INVALID_ARG, "fold list '%s': more than %d "
                           "folds", s, max);
        folds[(*n)++] = (int)v;
        if (!*p) break;
        p++;
    }
    return ES_OK;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* "1, 2, 3" — the distinct folds of m's rows, ascending, cut with "..."
 * when they do not fit in buf. */
static void folds_present(const es_manifest *m, char *buf, size_t cap)
{
    buf[0] = 0;
    int *f = malloc((m->n_rows ? m->n_rows : 1) * sizeof *f);
    if (!f) return;
    for (size_t i = 0; i < m->n_rows; i++) f[i] = m->rows[i].fold;
    qsort(f, m->n_rows, sizeof *f, cmp_int);
    size_t o = 0;
    for (size_t i = 0; i < m->n_rows; i++) {
        if (i && f[i] == f[i - 1]) continue;
        int w = snprintf(buf + o, cap - o, "%s%d", o ? ", " : "", f[i]);
        if (w < 0 || (size_t)w >= cap - o) {
            snprintf(buf + (cap - 5), 5, "...");
            break;
        }
        o += (size_t)w;
    }
    free(f);
}

es_status es_manifest_check_folds(const es_manifest *m, const int *folds, int n,
                                  es_error *err)
{
    if (!m || n < 0 || (n > 0 && !folds))
        return es_fail(err, ES_ERR_INVALID_ARG, "manifest check folds: bad argument");
    if (n > 0 && !m->has_fold)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s has no fold column: assign folds "
                       "first (es_manifest_assign_folds) or add a 'fold' column",
                       m->file);
    for (int j = 0; j < n; j++) {
        size_t i = 0;
        while (i < m->n_rows && m->rows[i].fold != folds[j]) i++;
        if (i < m->n_rows) continue;
        char present[200];
        folds_present(m, present, sizeof present);
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: fold %d has no rows (folds "
                       "present: %s)", m->file, folds[j], present);
    }
    return ES_OK;
}

es_status es_manifest_select(const es_manifest *m, const int *folds, int n,
                             int in, int **rows, size_t *n_rows,
                             es_error *err)
{
    if (!m || !rows || !n_rows || n < 0 || (n > 0 && !folds))
        return es_fail(err, ES_ERR_INVALID_ARG, "manifest select: bad argument");
    *rows = NULL;
    *n_rows = 0;
    if (n > 0 && !m->has_fold)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s has no fold column: assign folds "
                       "first (es_manifest_assign_folds) or add a 'fold' column",
                       m->file);
    int *r = malloc((m->n_rows ? m->n_rows : 1) * sizeof *r);
    if (!r) return es_fail(err, ES_ERR_NOMEM, "manifest select: out of memory");
    size_t k = 0;
    for (size_t i = 0; i < m->n_rows; i++) {
        int hit = 0;
        for (int j = 0; j < n && !hit; j++) hit = m->rows[i].fold == folds[j];
        if (hit == (in != 0)) r[k++] = (int)i;
    }
    *rows = r;
    *n_rows = k;
    return ES_OK;
}
