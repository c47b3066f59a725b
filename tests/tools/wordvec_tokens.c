/* wordvec_tokens.c — prints the word-vector tokenizer's output, so that
 * tests/ref/test_wordvec.py can compare it token for token with the Python
 * reference (tests/ref/wordvec_ref.py).
 *
 *   wordvec_tokens TEXTS_FILE
 *
 * TEXTS_FILE holds texts separated by NUL bytes; prints one line per text,
 * its tokens separated by tabs. */
#include "models/wordvec/wordvec_tokenize.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct line {
    int first;
} line;

static void print_token(const char *tok, size_t len, void *ctx)
{
    line *l = ctx;
    printf("%s%.*s", l->first ? "" : "\t", (int)len, tok);
    l->first = 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: wordvec_tokens TEXTS_FILE\n");
        return 2;
    }
    FILE *fp = fopen(argv[1], "rb");
    if (!fp) {
        fprintf(stderr, "wordvec_tokens: cannot open %s\n", argv[1]);
        return 1;
    }
    size_t cap = 1 << 20, len = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + len, 1, cap - len, fp)) > 0) {
        len += got;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(fp);
    if (!buf) return 1;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && buf[i] != '\0') continue;
        if (i == len && start == len && len && buf[len - 1] == '\0') break;
        line l = {1};
        es_wordvec_tokenize(buf + start, i - start, print_token, &l);
        printf("\n");
        start = i + 1;
    }
    free(buf);
    return 0;
}
