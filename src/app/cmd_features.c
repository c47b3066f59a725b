/* cmd_features.c — `earshot features IN -o out.npy`: one sound-feature
 * vector per chunk (window/hop), streamed so hours of audio need no more
 * memory than one window plus the rows. */
#include "app/cli.h"

#include <stdlib.h>
#include <string.h>

void es_cmd_features_help(FILE *out)
{
    es_chunk_params d = es_chunk_default_params();
    fprintf(out,
            "Usage: earshot features IN -o OUT.npy [--set full|small]\n"
            "                        [--window S] [--hop S] [--times T.npy]\n\n"
            "Cuts the file into overlapping chunks and writes one feature vector\n"
            "per chunk: float32 [n_chunks, dim]. The layout (which column is\n"
            "what) is docs/FEATURES.md, layout version %d.\n\n"
            "Options:\n"
            "  -o, --output PATH   the .npy to write (required)\n"
            "  --set NAME          full (128-d, default) or small (5-d: mfcc_1,\n"
            "                      mfcc_2, centroid, ZCR, tempo)\n"
            "  --window S          chunk length in seconds (default %g)\n"
            "  --hop S             step between chunk starts (default %g)\n"
            "  --times PATH        also write [n_chunks, 2] start/end seconds\n",
            ES_FEATURES_LAYOUT_VERSION, d.window_s, d.hop_s);
}

typedef struct rows {
    float *data;
    size_t n, cap, dim;
} rows;

static int rows_push(rows *r, const float *v)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        float *p = realloc(r->data, sizeof(float) * cap * r->dim);
        if (!p) return -1;
        r->data = p;
        r->cap = cap;
    }
    memcpy(r->data + r->n * r->dim, v, sizeof(float) * r->dim);
    r->n++;
    return 0;
}

int es_cmd_features(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *times_out = NULL;
    es_feature_set set = ES_FEATURES_FULL;
    es_chunk_params cp = es_chunk_default_params();
    es_error err = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (!has_val) return es_cli_usage_error("features", "-o needs a path");
            out = argv[++i];
        } else if (!strcmp(a, "--times")) {
            if (!has_val) return es_cli_usage_error("features", "--times needs a path");
            times_out = argv[++i];
        } else if (!strcmp(a, "--set")) {
            if (!has_val || es_feature_set_parse(argv[++i], &set, &err) != ES_OK)
                return es_cli_usage_error("features", "--set must be full or small");
        } else if (!strcmp(a, "--window")) {
            if (!has_val || es_cli_parse_seconds(argv[++i], &cp.window_s))
                return es_cli_usage_error("features", "--window must be seconds > 0");
        } else if (!strcmp(a, "--hop")) {
            if (!has_val || es_cli_parse_seconds(argv[++i], &cp.hop_s))
                return es_cli_usage_error("features", "--hop must be seconds > 0");
        } else if (a[0] == '-' && a[1]) {
            return es_cli_usage_error("features", "unknown option '%s'", a);
        } else if (!in) {
            in = a;
        } else {
            return es_cli_usage_error("features", "one input file at a time");
        }
    }
    if (!in) return es_cli_usage_error("features", "no input file");
    if (!out) return es_cli_usage_error("features", "no output file (-o OUT.npy)");

    es_features *feat = NULL;
    if (es_features_create(set, &feat, &err) != ES_OK) return es_cli_report(&err);
    es_chunker *ch = NULL;
    if (es_chunker_open(in, &cp, &ch, &err) != ES_OK) {
        es_features_free(feat);
        return es_cli_report(&err);
    }
    double duration = es_chunker_info(ch)->duration_s;
    int tty = es_cli_stderr_is_tty();

    rows vec = {.dim = (size_t)es_features_dim(feat)};
    rows tim = {.dim = 2};
    float *v = malloc(sizeof(float) * vec.dim);
    int rc = v ? ES_EXIT_OK : ES_EXIT_FAIL;
    es_status st = ES_OK;
    es_chunk c;
    while (rc == ES_EXIT_OK && (st = es_chunker_next(ch, &c, &err)) == ES_OK) {
        if (es_features_compute(feat, c.samples, c.n_samples, v, &err) != ES_OK) {
            rc = es_cli_report(&err);
            break;
        }
        float t[2] = {(float)c.start_s, (float)c.end_s};
        if (rows_push(&vec, v) || rows_push(&tim, t)) {
            fprintf(stderr, "earshot: out of memory\n");
            rc = ES_EXIT_FAIL;
            break;
        }
        if (tty && duration > 0)
            fprintf(stderr, "\r%s: %5.1f%% (%.0f / %.0f s)", in,
                    100.0 * (c.end_s < duration ? c.end_s : duration) / duration,
                    c.end_s, duration);
    }
    if (tty && duration > 0) fprintf(stderr, "\n");
    if (rc == ES_EXIT_OK && st != ES_DONE) rc = es_cli_report(&err);
    if (rc == ES_EXIT_OK) {
        size_t shape[2] = {vec.n, vec.dim};
        size_t tshape[2] = {tim.n, 2};
        if (es_npy_write_f32(out, vec.data, shape, 2, &err) != ES_OK ||
            (times_out && es_npy_write_f32(times_out, tim.data, tshape, 2, &err) != ES_OK))
            rc = es_cli_report(&err);
        else
            printf("%s: %zu chunk%s × %zu %s features → %s\n", in, vec.n,
                   vec.n == 1 ? "" : "s", vec.dim, es_feature_set_name(set), out);
    }
    free(v);
    free(vec.data);
    free(tim.data);
    es_chunker_close(ch);
    es_features_free(feat);
    return rc;
}
