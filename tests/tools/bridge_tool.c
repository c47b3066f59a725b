/* bridge_tool.c — makes, runs and exports bridge files for
 * tests/ref/test_bridge_onnx.py, which checks the ONNX export and the file
 * format against NumPy.
 *
 *   bridge_tool make OUT.esbridge --dims 128,256,512,100 --head tanh|l2
 *               --seed S [--int8] [--input full|small|hybrid]
 *               [--text-identity ID] [--whisper-identity ID] [--notes TEXT]
 *       a randomly initialised net with non-trivial mean, std and biases;
 *       the input layout defaults from dims[0] (5 small, 128 full, else
 *       hybrid).
 *   bridge_tool embed B.esbridge IN.npy OUT.npy [--normalized]
 *       IN: float32 [N × in]. OUT: the raw head output (es_bridge_net_forward),
 *       or with --normalized the public es_bridge_embed (unit rows).
 *   bridge_tool onnx B.esbridge OUT.onnx
 *   bridge_tool describe B.esbridge
 *
 * Errors print the library's message and exit 1; usage errors exit 2. */
#include "earshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/bridge/bridge_model.h"
#include "models/bridge/bridge_onnx.h"
#include "util/rng.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: bridge_tool make OUT --dims A,B,... --head tanh|l2 --seed S "
            "[--int8] [--input NAME] [--text-identity ID] "
            "[--whisper-identity ID] [--notes TEXT]\n"
            "       bridge_tool embed B.esbridge IN.npy OUT.npy [--normalized]\n"
            "       bridge_tool onnx B.esbridge OUT.onnx\n"
            "       bridge_tool describe B.esbridge\n");
    return 2;
}

static int fail(const es_error *err)
{
    fprintf(stderr, "bridge_tool: %s (%s)\n", err->message,
            es_status_str(err->code));
    return 1;
}

/* ------------------------------------------------------------------ make */

static int parse_dims(const char *s, int *dims, int *n_layers)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 65536 || n > ES_BRIDGE_MAX_LAYERS)
            return 0;
        dims[n++] = (int)v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return 0;
    }
    *n_layers = n - 1;
    return n >= 2;
}

static int cmd_make(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *out = argv[2], *head = "tanh", *input = NULL;
    const char *text_id = "test:space:0", *whisper_id = "whisper:test:0";
    const char *notes = NULL;
    int dims[ES_BRIDGE_MAX_LAYERS + 1], n_layers = 0, int8 = 0;
    unsigned long long seed = 1;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--int8")) { int8 = 1; continue; }
        if (!v) return usage();
        if (!strcmp(a, "--dims")) {
            if (!parse_dims(v, dims, &n_layers)) return usage();
        } else if (!strcmp(a, "--head")) head = v;
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--input")) input = v;
        else if (!strcmp(a, "--text-identity")) text_id = v;
        else if (!strcmp(a, "--whisper-identity")) whisper_id = v;
        else if (!strcmp(a, "--notes")) notes = v;
        else return usage();
        i++;
    }
    if (n_layers < 1)
        return usage();

    es_error err = {0};
    es_bridge_meta meta;
    memset(&meta, 0, sizeof meta);
    if (input) {
        if (es_bridge_input_parse(input, &meta.input, &err) != ES_OK)
            return fail(&err);
    } else {
        meta.input = dims[0] == 5 ? ES_BRIDGE_INPUT_SMALL
                     : dims[0] == 128 ? ES_BRIDGE_INPUT_FULL
                                      : ES_BRIDGE_INPUT_HYBRID;
    }
    meta.features_layout = ES_FEATURES_LAYOUT_VERSION;
    meta.feature_dim = meta.input == ES_BRIDGE_INPUT_SMALL ? 5 : 128;
    meta.whisper_dim = dims[0] - meta.feature_dim;
    if (meta.input == ES_BRIDGE_INPUT_HYBRID)
        snprintf(meta.whisper_identity, sizeof meta.whisper_identity, "%s",
                 whisper_id);
    snprintf(meta.text_identity, sizeof meta.text_identity, "%s", text_id);
    meta.notes = (char *)notes;

    es_bridge_head h = !strcmp(head, "l2") ? ES_BRIDGE_HEAD_L2
                                           : ES_BRIDGE_HEAD_TANH;
    if (strcmp(head, "l2") && strcmp(head, "tanh"))
        return usage();
    es_bridge_net *net = NULL;
    if (es_bridge_net_new(dims, n_layers, h, &net, &err) != ES_OK)
        return fail(&err);
    es_bridge_net_init(net, seed);
    uint64_t rng = seed * 7919u + 17u;
    for (int j = 0; j < dims[0]; j++) {
        net->in_mean[j] = (float)((es_rng_uniform(&rng) - 0.5) * 8.0);
        net->in_std[j] = (float)(0.2 + 3.0 * es_rng_uniform(&rng));
    }
    for (int l = 0; l < n_layers; l++)
        for (int j = 0; j < dims[l + 1]; j++)
            net->b[l][j] = (float)((es_rng_uniform(&rng) - 0.5) * 0.4);
    int rc = es_bridge_save(out, net, &meta, int8, &err) == ES_OK ? 0
                                                                  : fail(&err);
    es_bridge_net_free(net);
    return rc;
}

/* ----------------------------------------------------------------- embed */

/* Reads a little-endian float32 C-order 2-d .npy (version 1 or 2). */
static float *read_npy_2d(const char *path, size_t *rows, size_t *cols)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char pre[12];
    float *data = NULL;
    char *hdr = NULL;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
        goto done;
    size_t hlen = pre[8] | (size_t)pre[9] << 8;
    if (pre[6] >= 2) {
        if (fread(pre + 10, 1, 2, f) != 2)
            goto done;
        hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    }
    hdr = calloc(1, hlen + 1);
    if (!hdr || fread(hdr, 1, hlen, f) != hlen)
        goto done;
    if (!strstr(hdr, "'<f4'") || !strstr(hdr, "'fortran_order': False"))
        goto done;
    const char *s = strstr(hdr, "'shape': (");
    if (!s || sscanf(s, "'shape': (%zu, %zu)", rows, cols) != 2)
        goto done;
    size_t n = *rows * *cols;
    data = malloc(sizeof(float) * (n ? n : 1));
    if (data && fread(data, sizeof(float), n, f) != n) {
        free(data);
        data = NULL;
    }
done:
    free(hdr);
    fclose(f);
    return data;
}

static int cmd_embed(int argc, char **argv)
{
    if (argc != 5 && !(argc == 6 && !strcmp(argv[5], "--normalized")))
        return usage();
    int normalized = argc == 6;
    size_t rows = 0, cols = 0;
    float *x = read_npy_2d(argv[3], &rows, &cols);
    if (!x) {
        fprintf(stderr, "bridge_tool: %s: not a 2-d float32 .npy\n", argv[3]);
        return 1;
    }
    es_error err = {0};
    es_bridge *b = NULL;
    if (es_bridge_load(argv[2], NULL, &b, &err) != ES_OK) {
        free(x);
        return fail(&err);
    }
    int rc = 0;
    size_t out_dim = (size_t)es_bridge_out_dim(b);
    if (cols != (size_t)es_bridge_in_dim(b)) {
        fprintf(stderr, "bridge_tool: %s has %zu columns, the bridge takes %d\n",
                argv[3], cols, es_bridge_in_dim(b));
        rc = 1;
    }
    float *y = malloc(sizeof(float) * (rows ? rows : 1) * out_dim);
    size_t shape[2] = {rows, out_dim};
    if (!rc) {
        es_status st = normalized
                           ? es_bridge_embed(b, x, rows, y, &err)
                           : es_bridge_net_forward(b->net, x, rows, y, NULL, &err);
        if (st != ES_OK || es_npy_write_f32(argv[4], y, shape, 2, &err) != ES_OK)
            rc = fail(&err);
    }
    free(y);
    free(x);
    es_bridge_free(b);
    return rc;
}

/* ------------------------------------------------------- onnx, describe */

static int cmd_onnx(int argc, char **argv)
{
    if (argc != 4)
        return usage();
    es_error err = {0};
    es_bridge *b = NULL;
    if (es_bridge_load(argv[2], NULL, &b, &err) != ES_OK)
        return fail(&err);
    int rc = es_bridge_export_onnx(b->net, &b->meta, argv[3], &err) == ES_OK
                 ? 0
                 : fail(&err);
    es_bridge_free(b);
    return rc;
}

static int cmd_describe(int argc, char **argv)
{
    if (argc != 3)
        return usage();
    es_error err = {0};
    es_bridge *b = NULL;
    if (es_bridge_load(argv[2], NULL, &b, &err) != ES_OK)
        return fail(&err);
    printf("describe: %s\ninput: %s\nin_dim: %d\nout_dim: %d\n"
           "text_identity: %s\nwhisper_identity: %s\n",
           es_bridge_describe(b), es_bridge_input_name(es_bridge_get_input(b)),
           es_bridge_in_dim(b), es_bridge_out_dim(b),
           es_bridge_text_identity(b), es_bridge_whisper_identity(b));
    es_bridge_free(b);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "make")) return cmd_make(argc, argv);
    if (!strcmp(argv[1], "embed")) return cmd_embed(argc, argv);
    if (!strcmp(argv[1], "onnx")) return cmd_onnx(argc, argv);
    if (!strcmp(argv[1], "describe")) return cmd_describe(argc, argv);
    return usage();
}
