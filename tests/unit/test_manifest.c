/* test_manifest.c — the manifest reader (src/data/manifest.c) and the fold
 * assignment (src/data/folds.c): RFC 4180 parsing, every validation error
 * with its message, fold lists, selection and checks, group-stratified
 * folds on generated manifests and on the shared ESC-50 manifest. */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/manifest.h"

/* Writes <tmp>/<name> with the given bytes; returns its path. */
static const char *write_file(const char *name, const char *text)
{
    const char *p = es_test_path("%s/%s", es_test_tmp_dir(), name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fwrite(text, 1, strlen(text), f);
    assert_int_equal(fclose(f), 0);
    return p;
}

/* Empty files standing for audio (the manifest only checks they exist). */
static void touch_audio(void)
{
    const char *d = es_test_tmp_dir();
    es_test_sh("mkdir -p %s/audio && cd %s && touch a.wav b.wav c.wav d.wav "
               "audio/x.wav audio/y.wav", d, d);
}

static es_manifest *load_ok(const char *path, const es_manifest_columns *c)
{
    es_manifest *m = NULL;
    es_error err = {0};
    es_status s = es_manifest_load(path, c, &m, &err);
    if (s) fail_msg("load %s: %s", path, err.message);
    assert_non_null(m);
    return m;
}

/* Loads a manifest that must fail with code; returns the message. */
static const char *load_fail(const char *path, const es_manifest_columns *c,
                             es_status code)
{
    static es_error err;
    es_manifest *m = NULL;
    memset(&err, 0, sizeof err);
    es_status s = es_manifest_load(path, c, &m, &err);
    if (s != code)
        fail_msg("%s: expected %s, got %s (%s)", path, es_status_str(code),
                 es_status_str(s), err.message);
    assert_null(m);
    assert_int_equal(err.code, code);
    assert_non_null(strstr(err.message, path));
    printf("     %s\n", err.message);
    return err.message;
}

static void test_parse(void **state)
{
    (void)state;
    touch_audio();
    const char *d = es_test_tmp_dir();
    /* BOM, CRLF, a quoted path with a comma-free name, a label with a
     * comma, an escaped quote, a text spanning two lines, extra columns,
     * an absolute path, a blank line, no final line break */
    char text[2048];
    snprintf(text, sizeof text,
             "\xEF\xBB\xBFpath,label,fold,notes,caption\r\n"
             "a.wav,dog,1,\"x, y\",plain\r\n"
             "\"audio/x.wav\",\"rain, heavy\",2,\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n"
             "\r\n"
             "%s/b.wav,dog,3,,\"\"\r\n"
             "  c.wav  , cat ,  4 ,z,last",
             d);
    const char *p = write_file("parse.csv", text);
    es_manifest_columns c = es_manifest_default_columns();
    c.text = "caption";
    es_manifest *m = load_ok(p, &c);
    assert_int_equal(m->n_rows, 4);
    assert_true(m->has_fold);
    assert_int_equal(m->n_labels, 3);
    assert_string_equal(m->labels[0], "cat");
    assert_string_equal(m->labels[1], "dog");
    assert_string_equal(m->labels[2], "rain, heavy");
    assert_string_equal(m->rows[0].path, es_test_path("%s/a.wav", d));
    assert_string_equal(m->rows[0].label, "dog");
    assert_int_equal(m->rows[0].label_id, 1);
    assert_int_equal(m->rows[0].fold, 1);
    assert_int_equal(m->rows[0].line, 2);
    assert_string_equal(m->rows[0].text, "plain");
    assert_string_equal(m->rows[1].path, es_test_path("%s/audio/x.wav", d));
    assert_string_equal(m->rows[1].label, "rain, heavy");
    assert_string_equal(m->rows[1].text, "two\r\nlines");
    assert_int_equal(m->rows[1].line, 3);
    assert_int_equal(m->rows[1].fold, 2);
    /* absolute path kept; the line after the 2-line record and a blank line */
    assert_string_equal(m->rows[2].path, es_test_path("%s/b.wav", d));
    assert_int_equal(m->rows[2].line, 6);
    assert_string_equal(m->rows[2].text, "");
    assert_string_equal(m->rows[3].path, es_test_path("%s/c.wav", d));
    assert_string_equal(m->rows[3].label, "cat");
    assert_int_equal(m->rows[3].fold, 4);
    assert_int_equal(m->rows[3].line, 7);
    assert_string_equal(m->rows[3].group, "");
    assert_string_equal(m->file, p);
    assert_int_equal(es_manifest_check_classes(m, NULL), ES_OK);
    es_manifest_free(m);

    /* an escaped quote inside a value, columns found in any order, no fold
     * column (fold −1) */
    p = write_file("order.csv", "label,x,path\n\"a \"\"big\"\" dog\",1,a.wav\ncat,2,b.wav\n");
    m = load_ok(p, NULL);
    assert_false(m->has_fold);
    assert_string_equal(m->rows[0].label, "a \"big\" dog");
    assert_int_equal(m->rows[0].fold, -1);
    assert_int_equal(m->rows[1].line, 3);
    es_manifest_free(m);

    /* a manifest named without a folder: paths stay relative to "." */
    es_test_sh("cd %s && printf 'path,label\\na.wav,x\\nb.wav,y\\n' > here.csv", d);
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(d), 0);
    m = load_ok("here.csv", NULL);
    assert_string_equal(m->rows[0].path, "a.wav");
    es_manifest_free(m);
    assert_int_equal(chdir(cwd), 0);
}

static void test_errors(void **state)
{
    (void)state;
    touch_audio();
    const char *msg;
    const char *missing = es_test_path("%s/nope.csv", es_test_tmp_dir());
    load_fail(missing, NULL, ES_ERR_NOT_FOUND);

    load_fail(write_file("empty.csv", ""), NULL, ES_ERR_EMPTY);
    msg = load_fail(write_file("header.csv", "path,label,fold\r\n"), NULL, ES_ERR_EMPTY);
    assert_non_null(strstr(msg, "only a header"));

    msg = load_fail(write_file("nocol.csv", "path,category,license\na.wav,dog,cc0\n"), NULL,
                    ES_ERR_INVALID_ARG);
    assert_non_null(strstr(msg, "no column 'label'"));
    assert_non_null(strstr(msg, "(columns: path, category, license)"));
    es_manifest_columns c = es_manifest_default_columns();
    c.group = "src_file";
    msg = load_fail(write_file("nogroup.csv", "path,label\na.wav,dog\n"), &c,
                    ES_ERR_INVALID_ARG);
    assert_non_null(strstr(msg, "no column 'src_file'"));

    msg = load_fail(write_file("ragged.csv", "path,label,fold\na.wav,dog,1\nb.wav,cat\n"),
                    NULL, ES_ERR_FORMAT);
    assert_non_null(strstr(msg, "line 3"));
    assert_non_null(strstr(msg, "2 fields"));

    msg = load_fail(write_file("quote.csv", "path,label\na.wav,dog\nb.wav,\"cat\n\nc.wav,x\n"),
                    NULL, ES_ERR_FORMAT);
    assert_non_null(strstr(msg, "line 3"));
    assert_non_null(strstr(msg, "never closed"));
    msg = load_fail(write_file("afterq.csv", "path,label\na.wav,\"dog\"x\n"), NULL,
                    ES_ERR_FORMAT);
    assert_non_null(strstr(msg, "after the closing quote"));

    msg = load_fail(write_file("emptypath.csv", "path,label\na.wav,dog\n  ,cat\n"), NULL,
                    ES_ERR_FORMAT);
    assert_non_null(strstr(msg, "line 3: empty path"));

    msg = load_fail(write_file("nolabel.csv", "path,label\na.wav,dog\nb.wav,cat\n"
                                              "c.wav,x\nd.wav,y\na.wav,z\nb.wav,w\nc.wav,\n"),
                    NULL, ES_ERR_FORMAT);
    assert_non_null(strstr(msg, "line 8: empty label and no text"));
    c = es_manifest_default_columns();
    c.text = "transcript";
    msg = load_fail(write_file("notext.csv", "path,label,transcript\na.wav,,hello\nb.wav,,\n"),
                    &c, ES_ERR_FORMAT);
    assert_non_null(strstr(msg, "line 3: empty label and no text"));

    msg = load_fail(write_file("fold.csv", "path,label,fold\na.wav,dog,1\nb.wav,cat,two\n"),
                    NULL, ES_ERR_FORMAT);
    assert_non_null(strstr(msg, "line 3"));
    assert_non_null(strstr(msg, "fold 'two'"));
    load_fail(write_file("fold2.csv", "path,label,fold\na.wav,dog,1.5\n"), NULL, ES_ERR_FORMAT);
    load_fail(write_file("fold3.csv", "path,label,fold\na.wav,dog,-1\n"), NULL, ES_ERR_FORMAT);
    load_fail(write_file("fold4.csv", "path,label,fold\na.wav,dog,\n"), NULL, ES_ERR_FORMAT);

    /* 8 missing audio files: the first 5 with their lines, and the count */
    msg = load_fail(write_file("missing.csv",
                               "path,label\nm1.wav,a\nm2.wav,a\na.wav,b\nm3.wav,b\nm4.wav,c\n"
                               "m5.wav,c\nm6.wav,d\nm7.wav,d\nm8.wav,e\n"),
                    NULL, ES_ERR_NOT_FOUND);
    assert_non_null(strstr(msg, "8 audio files are missing"));
    const int lines[5] = {2, 3, 5, 6, 7};
    for (int i = 0; i < 5; i++)
        assert_non_null(strstr(msg, es_test_path("line %d: ", lines[i])));
    assert_null(strstr(msg, "line 8:"));
    assert_non_null(strstr(msg, "m1.wav"));
    assert_null(strstr(msg, "m6.wav"));
    msg = load_fail(write_file("missing1.csv", "path,label\na.wav,a\naudio/z.wav,b\n"), NULL,
                    ES_ERR_NOT_FOUND);
    assert_non_null(strstr(msg, "1 audio file is missing"));
    assert_non_null(strstr(msg, "line 3: "));

    /* one class only: loads, but check_classes says so */
    es_manifest *m = load_ok(write_file("one.csv", "path,label\na.wav,dog\nb.wav,dog\n"), NULL);
    es_error err = {0};
    assert_int_equal(es_manifest_check_classes(m, &err), ES_ERR_INVALID_ARG);
    printf("     %s\n", err.message);
    assert_non_null(strstr(err.message, "needs at least 2 distinct labels, found only 'dog'"));
    es_manifest_free(m);
}

static void test_text_rows(void **state)
{
    (void)state;
    touch_audio();
    es_manifest_columns c = es_manifest_default_columns();
    c.text = "transcript";
    es_manifest *m = load_ok(write_file("text.csv",
                                        "path,label,transcript\na.wav,,hello world\n"
                                        "b.wav,dog,\nc.wav,,\"good, bye\"\n"),
                             &c);
    assert_int_equal(m->n_rows, 3);
    assert_int_equal(m->n_labels, 1);
    assert_int_equal(m->rows[0].label_id, -1);
    assert_string_equal(m->rows[0].text, "hello world");
    assert_int_equal(m->rows[1].label_id, 0);
    assert_string_equal(m->rows[2].text, "good, bye");
    es_error err = {0};
    /* text rows do not count as classes */
    assert_int_equal(es_manifest_check_classes(m, &err), ES_ERR_INVALID_ARG);
    es_manifest_free(m);

    /* no label column at all: the transcript is every row's target */
    c.label = NULL;
    m = load_ok(write_file("textonly.csv", "path,transcript\na.wav,one\nb.wav,two\n"), &c);
    assert_int_equal(m->n_labels, 0);
    assert_int_equal(m->rows[1].label_id, -1);
    es_manifest_free(m);
}

/* A table of texts read with the manifest's rules: the "path" column is
 * free text, kept as written, never checked as a file. */
static void test_table(void **state)
{
    (void)state;
    const char *p = write_file("queries.csv", "query,label\n\"a dog, barking\",dog\n"
                                              "rain on a roof,rain\n");
    es_manifest_columns c = {"query", "label", NULL, NULL, NULL};
    es_manifest *m = NULL;
    es_error err = {0};
    assert_int_equal(es_manifest_load_table(p, &c, &m, &err), ES_OK);
    assert_int_equal(m->n_rows, 2);
    assert_string_equal(m->rows[0].path, "a dog, barking");
    assert_string_equal(m->rows[1].path, "rain on a roof");
    assert_int_equal(m->rows[1].label_id, 1);
    es_manifest_free(m);
    /* the audio reader refuses the same file: no such audio */
    assert_int_equal(es_manifest_load(p, &c, &m, &err), ES_ERR_NOT_FOUND);
}

static void test_fold_lists(void **state)
{
    (void)state;
    int f[8], n = 0;
    es_error err = {0};
    assert_int_equal(es_fold_list_parse("1,2, 3", f, 8, &n, &err), ES_OK);
    assert_int_equal(n, 3);
    assert_int_equal(f[2], 3);
    assert_int_equal(es_fold_list_parse("5", f, 8, &n, &err), ES_OK);
    assert_int_equal(n, 1);
    assert_int_equal(f[0], 5);
    assert_int_equal(es_fold_list_parse("1,,2", f, 8, &n, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_fold_list_parse("a", f, 8, &n, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_fold_list_parse("", f, 8, &n, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_fold_list_parse("1,2,3", f, 2, &n, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_fold_list_parse("1,1", f, 8, &n, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_fold_list_parse("-1", f, 8, &n, &err), ES_ERR_INVALID_ARG);

    touch_audio();
    es_manifest *m = load_ok(write_file("sel.csv", "path,label,fold\na.wav,x,1\nb.wav,y,2\n"
                                                   "c.wav,x,3\nd.wav,y,1\n"),
                             NULL);
    int *rows = NULL;
    size_t nr = 0;
    const int one[1] = {1};
    assert_int_equal(es_manifest_select(m, one, 1, 1, &rows, &nr, &err), ES_OK);
    assert_int_equal(nr, 2);
    assert_int_equal(rows[0], 0);
    assert_int_equal(rows[1], 3);
    free(rows);
    assert_int_equal(es_manifest_select(m, one, 1, 0, &rows, &nr, &err), ES_OK);
    assert_int_equal(nr, 2);
    assert_int_equal(rows[0], 1);
    assert_int_equal(rows[1], 2);
    free(rows);
    const int none[1] = {9};
    assert_int_equal(es_manifest_select(m, none, 1, 1, &rows, &nr, &err), ES_OK);
    assert_int_equal(nr, 0);
    assert_non_null(rows);
    free(rows);
    es_manifest_free(m);
}

/* es_manifest_check_folds: every listed fold has rows, else one message
 * naming the first empty fold and the folds present (ascending, once). */
static void test_check_folds(void **state)
{
    (void)state;
    touch_audio();
    const char *p = write_file("chk.csv", "path,label,fold\na.wav,x,3\nb.wav,y,1\n"
                                          "c.wav,x,5\nd.wav,y,1\n");
    es_manifest *m = load_ok(p, NULL);
    es_error err = {0};
    const int ok[3] = {5, 1, 3};
    assert_int_equal(es_manifest_check_folds(m, ok, 3, &err), ES_OK);
    assert_int_equal(es_manifest_check_folds(m, NULL, 0, &err), ES_OK);
    const int bad[3] = {1, 7, 2};
    assert_int_equal(es_manifest_check_folds(m, bad, 3, &err), ES_ERR_INVALID_ARG);
    printf("     %s\n", err.message);
    char want[600];
    snprintf(want, sizeof want, "%s: fold 7 has no rows (folds present: 1, 3, 5)", p);
    assert_string_equal(err.message, want);
    const int zero[1] = {0};
    assert_int_equal(es_manifest_check_folds(m, zero, 1, &err), ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "fold 0 has no rows"));
    es_manifest_free(m);

    /* no fold column: refused as es_manifest_select refuses it */
    m = load_ok(write_file("chk_nofold.csv", "path,label\na.wav,x\nb.wav,y\n"), NULL);
    assert_int_equal(es_manifest_check_folds(m, ok, 1, &err), ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "no fold column"));
    assert_int_equal(es_manifest_check_folds(m, NULL, 0, &err), ES_OK);
    es_manifest_free(m);

    /* many folds: the list is cut, not overflowed */
    size_t cap = 1 << 16, o = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    o += (size_t)snprintf(t + o, cap - o, "path,label,fold\n");
    for (int i = 0; i < 400; i++)
        o += (size_t)snprintf(t + o, cap - o, "a.wav,%s,%d\n", i % 2 ? "x" : "y",
                              1000 + i);
    m = load_ok(write_file("chk_many.csv", t), NULL);
    free(t);
    const int far[1] = {7};
    assert_int_equal(es_manifest_check_folds(m, far, 1, &err), ES_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "fold 7 has no rows (folds present: 1000, 1001"));
    assert_non_null(strstr(err.message, "..."));
    es_manifest_free(m);
}

/* A manifest of n_per[l] rows for each label l (ids interleaved), with an
 * optional group per row; all paths point to a.wav. */
static es_manifest *make_fold_manifest(const char *name, const int *n_per, int n_labels,
                                       int group_size)
{
    touch_audio();
    size_t cap = 1 << 16, o = 0;
    char *t = malloc(cap);
    o += (size_t)snprintf(t + o, cap - o, "path,label,grp\n");
    int left = 1, r = 0;
    for (int round = 0; left; round++) {
        left = 0;
        for (int l = 0; l < n_labels; l++) {
            if (round >= n_per[l]) continue;
            left = 1;
            o += (size_t)snprintf(t + o, cap - o, "a.wav,label%d,g%d_%d\n", l, l,
                                  group_size ? round / group_size : r);
            r++;
        }
    }
    const char *p = write_file(name, t);
    free(t);
    es_manifest_columns c = es_manifest_default_columns();
    c.group = group_size ? "grp" : NULL;
    return load_ok(p, &c);
}

static void test_folds_singletons(void **state)
{
    (void)state;
    const int n_per[4] = {7, 5, 4, 13};
    es_manifest *m = make_fold_manifest("f1.csv", n_per, 4, 0);
    es_error err = {0};
    assert_false(m->has_fold);
    assert_int_equal(es_manifest_assign_folds(m, 3, &err), ES_OK);
    assert_true(m->has_fold);
    int count[4][3] = {{0}};
    int total[3] = {0};
    for (size_t i = 0; i < m->n_rows; i++) {
        int f = m->rows[i].fold;
        assert_true(f >= 1 && f <= 3);
        count[m->rows[i].label_id][f - 1]++;
        total[f - 1]++;
    }
    for (int l = 0; l < 4; l++) {
        int lo = 1 << 30, hi = 0;
        for (int f = 0; f < 3; f++) {
            lo = count[l][f] < lo ? count[l][f] : lo;
            hi = count[l][f] > hi ? count[l][f] : hi;
        }
        assert_true(hi - lo <= 1);
    }
    int lo = 1 << 30, hi = 0;
    for (int f = 0; f < 3; f++) {
        lo = total[f] < lo ? total[f] : lo;
        hi = total[f] > hi ? total[f] : hi;
    }
    assert_true(hi - lo <= 1);   /* ties go to the emptier fold overall */

    /* deterministic: the same content gives the same folds */
    es_manifest *m2 = make_fold_manifest("f1b.csv", n_per, 4, 0);
    assert_int_equal(es_manifest_assign_folds(m2, 3, &err), ES_OK);
    assert_int_equal(es_manifest_assign_folds(m, 3, &err), ES_OK);
    for (size_t i = 0; i < m->n_rows; i++) assert_int_equal(m->rows[i].fold, m2->rows[i].fold);
    es_manifest_free(m2);

    /* bad k */
    assert_int_equal(es_manifest_assign_folds(m, 1, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_manifest_assign_folds(m, 1000, &err), ES_ERR_INVALID_ARG);
    printf("     %s\n", err.message);
    es_manifest_free(m);
}

static void test_folds_groups(void **state)
{
    (void)state;
    /* groups of 3 rows (the last of each label smaller) */
    const int n_per[3] = {10, 9, 14};
    es_manifest *m = make_fold_manifest("f2.csv", n_per, 3, 3);
    es_error err = {0};
    assert_int_equal(es_manifest_assign_folds(m, 4, &err), ES_OK);
    int groups[3][4] = {{0}};
    for (size_t i = 0; i < m->n_rows; i++) {
        for (size_t j = 0; j < m->n_rows; j++)
            if (!strcmp(m->rows[i].group, m->rows[j].group))
                assert_int_equal(m->rows[i].fold, m->rows[j].fold);
        int first = 1;   /* count each group once, at its first row */
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->rows[i].group, m->rows[j].group)) first = 0;
        if (first) groups[m->rows[i].label_id][m->rows[i].fold - 1]++;
    }
    for (int l = 0; l < 3; l++) {
        int lo = 1 << 30, hi = 0;
        for (int f = 0; f < 4; f++) {
            lo = groups[l][f] < lo ? groups[l][f] : lo;
            hi = groups[l][f] > hi ? groups[l][f] : hi;
        }
        assert_true(hi - lo <= 1);
    }
    es_manifest_free(m);

    /* a group with several labels goes where its majority label goes, whole */
    touch_audio();
    es_manifest_columns c = es_manifest_default_columns();
    c.group = "g";
    m = load_ok(write_file("mixed.csv", "path,label,g\na.wav,x,A\nb.wav,y,A\nc.wav,y,A\n"
                                        "d.wav,x,B\na.wav,x,\nb.wav,y,\n"),
                &c);
    assert_int_equal(es_manifest_assign_folds(m, 2, &err), ES_OK);
    assert_int_equal(m->rows[0].fold, m->rows[1].fold);
    assert_int_equal(m->rows[0].fold, m->rows[2].fold);
    /* too few groups for k */
    assert_int_equal(es_manifest_assign_folds(m, 5, &err), ES_ERR_INVALID_ARG);
    printf("     %s\n", err.message);
    es_manifest_free(m);
}

static void test_folds_esc50(void **state)
{
    (void)state;
    const char *p = es_test_require_shared("data/esc50/manifest.csv");
    es_manifest_columns c = es_manifest_default_columns();
    c.group = "src_file";
    es_manifest *m = load_ok(p, &c);
    assert_int_equal(m->n_rows, 303);
    assert_int_equal(m->n_labels, 50);
    es_error err = {0};
    assert_int_equal(es_manifest_assign_folds(m, 5, &err), ES_OK);
    int size[5] = {0};
    for (size_t i = 0; i < m->n_rows; i++) {
        int f = m->rows[i].fold;
        assert_true(f >= 1 && f <= 5);
        size[f - 1]++;
        for (size_t j = i + 1; j < m->n_rows; j++)
            if (!strcmp(m->rows[i].group, m->rows[j].group))
                assert_int_equal(f, m->rows[j].fold);
    }
    assert_int_equal(size[0] + size[1] + size[2] + size[3] + size[4], 303);
    printf("     esc50, 5 folds grouped by src_file: rows per fold %d %d %d %d %d\n",
           size[0], size[1], size[2], size[3], size[4]);
    es_manifest_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_text_rows),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_fold_lists),
        cmocka_unit_test(test_check_folds),
        cmocka_unit_test(test_folds_singletons),
        cmocka_unit_test(test_folds_groups),
        cmocka_unit_test(test_folds_esc50),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
