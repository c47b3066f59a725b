/* chunk_features.c — the smallest earshot program: prints one line per
 * 10 s chunk of a file with its spectral centroid (feature 73, see
 * docs/FEATURES.md). Build: cc chunk_features.c $(pkg-config --cflags --libs earshot) */
#include <earshot.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    es_error err;
    es_chunker *ch = NULL;
    es_features *f = NULL;
    if (es_chunker_open(argv[1], NULL, &ch, &err) != ES_OK ||
        es_features_create(ES_FEATURES_FULL, &f, &err) != ES_OK) {
        fprintf(stderr, "%s\n", err.message);
        es_chunker_close(ch);
        return 1;
    }
    es_chunk c;
    float v[128];
    es_status st;
    while ((st = es_chunker_next(ch, &c, &err)) == ES_OK) {
        if (es_features_compute(f, c.samples, c.n_samples, v, &err) != ES_OK) break;
        printf("%.1f-%.1f s: centroid %.0f Hz\n", c.start_s, c.end_s, v[73]);
    }
    es_features_free(f);
    es_chunker_close(ch);
    if (st != ES_DONE) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    return 0;
}
