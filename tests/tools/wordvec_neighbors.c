/* wordvec_neighbors.c — nearest-neighbour words through the C word-vector
 * code, for scripts/wordvec-quality.py (docs/WORDVEC.md) and for a quick
 * look by hand.
 *
 *   wordvec_neighbors MODEL [-k K] WORD...
 *
 * Prints, per probe word, K lines "probe<TAB>neighbour<TAB>cosine", best
 * first (the probe itself left out), or "probe<TAB>-<TAB>unknown" when the
 * probe is not in the vocabulary. */
#include "earshot.h"
#include "models/wordvec/wordvec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: wordvec_neighbors MODEL [-k K] WORD...\n");
        return 2;
    }
    es_error err = {0};
    es_wordvec *wv = NULL;
    if (es_wordvec_open(argv[1], &wv, &err) != ES_OK) {
        fprintf(stderr, "wordvec_neighbors: %s\n", err.message);
        return 1;
    }
    int first = 2;
    size_t k = 8;
    if (argc > 3 && !strcmp(argv[2], "-k")) {
        k = (size_t)atoi(argv[3]);
        first = 4;
    }
    if (k < 1 || k > 1000) {
        fprintf(stderr, "wordvec_neighbors: -k must be 1..1000\n");
        es_wordvec_close(wv);
        return 2;
    }
    int dim = es_wordvec_get_info(wv)->dim;
    float *q = malloc(sizeof(float) * (size_t)dim);
    uint32_t *idx = malloc(sizeof(uint32_t) * k);
    float *sim = malloc(sizeof(float) * k);
    for (int a = first; a < argc; a++) {
        int64_t w = es_wordvec_lookup(wv, argv[a], strlen(argv[a]));
        if (w < 0) {
            printf("%s\t-\tunknown\n", argv[a]);
            continue;
        }
        memset(q, 0, sizeof(float) * (size_t)dim);
        es_wordvec_axpy(wv, (uint32_t)w, 1.0f, q);
        size_t n = es_wordvec_neighbors(wv, q, w, k, idx, sim);
        for (size_t i = 0; i < n; i++) {
            size_t len;
            const char *s = es_wordvec_word(wv, idx[i], &len);
            printf("%s\t%.*s\t%.4f\n", argv[a], (int)len, s, sim[i]);
        }
    }
    free(q);
    free(idx);
    free(sim);
    es_wordvec_close(wv);
    return 0;
}
