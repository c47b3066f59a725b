/* bert_embed — embeds texts through the public text-encoder API and writes
 * an N × D .npy, for the PyTorch reference test (tests/ref/test_bert.py).
 * Usage: bert_embed MODEL TEXTS_FILE OUT.npy [--int8] [--threads N]
 *                   [--batch-tokens N]
 * TEXTS_FILE holds UTF-8 texts separated by NUL bytes. Prints the encoder's
 * description and identity on stderr. */
#include "earshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    size_t r;
    while (buf && (r = fread(buf + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) buf[len] = 0;
    *n = len;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bert_embed MODEL TEXTS_FILE OUT.npy [--int8] "
                        "[--threads N] [--batch-tokens N]\n");
        return 2;
    }
    es_text_encoder_params p = es_text_encoder_default_params();
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--int8")) p.int8 = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) p.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batch-tokens") && i + 1 < argc) p.max_batch_tokens = atoi(argv[++i]);
        else { fprintf(stderr, "bert_embed: unknown option %s\n", argv[i]); return 2; }
    }
    size_t len;
    char *buf = read_all(argv[2], &len);
    if (!buf) { fprintf(stderr, "bert_embed: cannot read %s\n", argv[2]); return 1; }
    size_t n = 0;
    const char **texts = malloc((len + 1) * sizeof *texts);
    /* texts are separated (not terminated) by NUL: k separators → k+1 texts */
    size_t start = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || buf[i] == 0) { texts[n++] = buf + start; start = i + 1; }
    es_error err;
    es_text_encoder *e;
    if (es_text_encoder_open(argv[1], &p, &e, &err) != ES_OK) {
        fprintf(stderr, "bert_embed: %s\n", err.message);
        free(texts);
        free(buf);
        return 1;
    }
    fprintf(stderr, "%s\n%s\n", es_text_encoder_describe(e), es_text_encoder_identity(e));
    int d = es_text_encoder_dim(e);
    float *out = malloc(n * (size_t)d * sizeof(float));
    int rc = 0;
    if (es_text_encoder_embed(e, texts, n, out, &err) != ES_OK) {
        fprintf(stderr, "bert_embed: %s\n", err.message);
        rc = 1;
    } else {
        size_t shape[2] = {n, (size_t)d};
        if (es_npy_write_f32(argv[3], out, shape, 2, &err) != ES_OK) {
            fprintf(stderr, "bert_embed: %s\n", err.message);
            rc = 1;
        }
    }
    es_text_encoder_free(e);
    free(out);
    free(texts);
    free(buf);
    return rc;
}
