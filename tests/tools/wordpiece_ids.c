/* wordpiece_ids.c — prints the WordPiece ids of many texts, one line each,
 * for tests/ref/test_wordpiece.py to compare with the Python reference.
 *
 * usage: wordpiece_ids VOCAB TEXTS_FILE MAX_LEN [--cased]
 * TEXTS_FILE holds UTF-8 texts separated by NUL bytes (a trailing NUL is
 * optional). With --time it also prints the mean encode time per text to
 * stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/bert/wordpiece.h"

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap) break;
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    *n = len;
    return buf;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int cased = 0, timing = 0, bad_option = 0;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--cased") == 0) cased = 1;
        else if (strcmp(argv[i], "--time") == 0) timing = 1;
        else bad_option = 1;
    }
    if (argc < 4 || bad_option) {
        fprintf(stderr, "usage: wordpiece_ids VOCAB TEXTS_FILE MAX_LEN [--cased] [--time]\n");
        return 2;
    }
    int max_len = atoi(argv[3]);
    es_error err;
    es_wordpiece *wp;
    if (es_wordpiece_load(argv[1], !cased, &wp, &err) != ES_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    size_t n;
    char *texts = read_file(argv[2], &n);
    if (!texts) {
        fprintf(stderr, "%s: cannot read\n", argv[2]);
        es_wordpiece_free(wp);
        return 1;
    }
    int32_t *ids = malloc(sizeof *ids * (size_t)(max_len > 2 ? max_len : 2));
    int rc = 0, count = 0;
    double spent = 0;
    for (size_t at = 0; at < n || (at == 0 && n == 0);) {
        const char *t = texts + at;
        size_t len = strlen(t);
        int n_ids = 0;
        double t0 = now();
        if (es_wordpiece_encode(wp, t, max_len, ids, &n_ids, &err) != ES_OK) {
            fprintf(stderr, "text %d: %s\n", count, err.message);
            rc = 1;
            break;
        }
        spent += now() - t0;
        for (int i = 0; i < n_ids; i++) printf(i ? " %d" : "%d", ids[i]);
        putchar('\n');
        count++;
        at += len + 1;
        if (n == 0) break;
    }
    if (timing && count)
        fprintf(stderr, "%d texts, %.2f us per text\n", count, spent / count * 1e6);
    free(ids);
    free(texts);
    es_wordpiece_free(wp);
    return rc;
}
