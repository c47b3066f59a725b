/* wordvec_embed.c — embeds texts through the public text-encoder API, so
 * tests/ref/test_wordvec*.py and scripts/wordvec-quality.py can compare the
 * C encoder with the NumPy reference and measure it on real captions.
 *
 *   wordvec_embed MODEL TEXTS_FILE OUT.npy
 *
 * TEXTS_FILE holds UTF-8 texts separated by NUL bytes (a trailing NUL is
 * optional; an empty file holds no text, "\0" one empty text). OUT.npy gets
 * an N × D float32 array. describe and identity go to stderr; errors exit 1
 * with the library's message. */
#include "earshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, fp)) > 0) {
        len += got;
        if (len == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(fp);
    if (buf) buf[len] = '\0';
    *n = len;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: wordvec_embed MODEL TEXTS_FILE OUT.npy\n");
        return 2;
    }
    size_t len;
    char *buf = read_all(argv[2], &len);
    if (!buf) {
        fprintf(stderr, "wordvec_embed: cannot read %s\n", argv[2]);
        return 1;
    }
    /* Split at NULs: texts are [start, next NUL); a final NUL ends the last. */
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += buf[i] == '\0';
    if (len && buf[len - 1] != '\0') n++;
    const char **texts = malloc(sizeof *texts * (n ? n : 1));
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= len && k < n; i++)
        if (i == len || buf[i] == '\0') {
            texts[k++] = buf + start;
            start = i + 1;
        }

    es_error err = {0};
    es_text_encoder *e = NULL;
    if (es_text_encoder_open(argv[1], NULL, &e, &err) != ES_OK) {
        fprintf(stderr, "wordvec_embed: %s (%s)\n", err.message, es_status_str(err.code));
        free(texts);
        free(buf);
        return 1;
    }
    fprintf(stderr, "describe: %s\nidentity: %s\n", es_text_encoder_describe(e),
            es_text_encoder_identity(e));
    size_t dim = (size_t)es_text_encoder_dim(e);
    float *out = malloc(sizeof(float) * (n ? n : 1) * dim);
    int rc = 0;
    size_t shape[2] = {n, dim};
    if (es_text_encoder_embed(e, texts, n, out, &err) != ES_OK ||
        es_npy_write_f32(argv[3], out, shape, 2, &err) != ES_OK) {
        fprintf(stderr, "wordvec_embed: %s\n", err.message);
        rc = 1;
    }
    free(out);
    es_text_encoder_free(e);
    free(texts);
    free(buf);
    return rc;
}
