/* retrieval_tool.c — runs the retrieval metrics and the nearest-centroid
 * baseline (src/eval/retrieval.h) on .npy inputs, so that
 * tests/ref/test_retrieval.py can compare them with NumPy.
 *
 *   retrieval_tool metrics Q.npy QID.npy A.npy AID.npy
 *       prints "t2a R1 R5 R10 MAP10 N" and "a2t R1 R5 R10 MAP10 N" (%.17g)
 *   retrieval_tool ranks Q.npy A.npy AID.npy ID
 *       Q holds one row; prints the ranks of the items with id ID, one a line
 *   retrieval_tool centroid XTRAIN.npy YTRAIN.npy LABELVECS.npy X.npy OUT.npy
 *       fits the baseline and writes the n × out_dim embeddings of X
 *
 * Vectors are float32 2-D arrays, ids int32 1-D arrays, C order, little
 * endian (what numpy.save writes for such arrays). Errors exit 1. */
#include "earshot.h"
#include "eval/retrieval.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct npy {
    void *data;
    size_t shape[2];
    int ndim;
} npy;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "retrieval_tool: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

/* Minimal .npy reader: version 1 or 2 header, descr `want` ("<f4" or
 * "<i4"), fortran_order False, 1 or 2 dimensions. */
static npy read_npy(const char *path, const char *want)
{
    npy r = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp) die("cannot open %s", path);
    unsigned char magic[8];
    if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, "\x93NUMPY", 6) != 0)
        die("%s: not a .npy file", path);
    size_t hlen;
    if (magic[6] == 1) {
        unsigned char b[2];
        if (fread(b, 1, 2, fp) != 2) die("%s: truncated header", path);
        hlen = b[0] | (size_t)b[1] << 8;
    } else {
        unsigned char b[4];
        if (fread(b, 1, 4, fp) != 4) die("%s: truncated header", path);
        hlen = b[0] | (size_t)b[1] << 8 | (size_t)b[2] << 16 | (size_t)b[3] << 24;
    }
    char *h = malloc(hlen + 1);
    if (!h || fread(h, 1, hlen, fp) != hlen) die("%s: truncated header", path);
    h[hlen] = '\0';
    char d[16];
    snprintf(d, sizeof d, "'%s'", want);
    if (!strstr(h, d)) die("%s: wrong dtype (want %s)", path);
    if (!strstr(h, "'fortran_order': False")) die("%s: not C order", path);
    const char *p = strstr(h, "'shape': (");
    if (!p) die("%s: no shape", path);
    p += strlen("'shape': (");
    size_t count = 1;
    while (*p && *p != ')') {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p) break;
        if (r.ndim == 2) die("%s: more than 2 dimensions", path);
        r.shape[r.ndim++] = (size_t)v;
        count *= (size_t)v;
        p = end;
        while (*p == ',' || *p == ' ') p++;
    }
    free(h);
    if (r.ndim == 0) die("%s: 0-d array", path);
    r.data = malloc(count * 4 + 4);
    if (!r.data || fread(r.data, 4, count, fp) != count)
        die("%s: truncated data", path);
    fclose(fp);
    return r;
}

static int cmd_metrics(char **argv)
{
    npy q = read_npy(argv[0], "<f4"), qid = read_npy(argv[1], "<i4");
    npy a = read_npy(argv[2], "<f4"), aid = read_npy(argv[3], "<i4");
    if (q.ndim != 2 || a.ndim != 2 || q.shape[1] != a.shape[1] ||
        qid.shape[0] != q.shape[0] || aid.shape[0] != a.shape[0])
        die("%s: shapes do not match", "metrics");
    int dim = (int)q.shape[1], nq = (int)q.shape[0];
    es_retrieval_scores t2a, a2t;
    es_error err = {0};
    if (es_retrieval_text_to_audio(q.data, qid.data, nq, a.data, aid.data,
                                   a.shape[0], dim, &t2a, &err) != ES_OK ||
        es_retrieval_audio_to_text(q.data, qid.data, nq, a.data, aid.data,
                                   a.shape[0], dim, &a2t, &err) != ES_OK)
        die("%s", err.message);
    printf("t2a %.17g %.17g %.17g %.17g %d\n", t2a.r1, t2a.r5, t2a.r10,
           t2a.map10, t2a.n_queries);
    printf("a2t %.17g %.17g %.17g %.17g %d\n", a2t.r1, a2t.r5, a2t.r10,
           a2t.map10, a2t.n_queries);
    free(q.data);
    free(qid.data);
    free(a.data);
    free(aid.data);
    return 0;
}

static int cmd_ranks(char **argv)
{
    npy q = read_npy(argv[0], "<f4"), a = read_npy(argv[1], "<f4");
    npy aid = read_npy(argv[2], "<i4");
    int id = atoi(argv[3]);
    if (a.ndim != 2 || q.shape[q.ndim - 1] != a.shape[1] ||
        aid.shape[0] != a.shape[0])
        die("%s: shapes do not match", "ranks");
    size_t m = 0;
    const int *ids = aid.data;
    for (size_t j = 0; j < a.shape[0]; j++) m += ids[j] == id;
    int *ranks = malloc(sizeof(int) * (m + 1));
    es_error err = {0};
    if (es_retrieval_ranks(q.data, a.data, ids, a.shape[0], (int)a.shape[1],
                           id, ranks, &err) != ES_OK)
        die("%s", err.message);
    for (size_t k = 0; k < m; k++) printf("%d\n", ranks[k]);
    free(ranks);
    free(q.data);
    free(a.data);
    free(aid.data);
    return 0;
}

static int cmd_centroid(char **argv)
{
    npy xt = read_npy(argv[0], "<f4"), yt = read_npy(argv[1], "<i4");
    npy lv = read_npy(argv[2], "<f4"), x = read_npy(argv[3], "<f4");
    if (xt.ndim != 2 || lv.ndim != 2 || x.ndim != 2 ||
        yt.shape[0] != xt.shape[0] || x.shape[1] != xt.shape[1])
        die("%s: shapes do not match", "centroid");
    es_error err = {0};
    es_centroid_model *m = NULL;
    size_t n = x.shape[0], od = lv.shape[1];
    float *out = malloc(sizeof(float) * (n * od + 1));
    size_t shape[2] = {n, od};
    if (es_centroid_fit(xt.data, yt.data, xt.shape[0], (int)xt.shape[1],
                        lv.data, (int)lv.shape[0], (int)od, &m, &err) != ES_OK ||
        es_centroid_embed(m, x.data, n, out, &err) != ES_OK ||
        es_npy_write_f32(argv[4], out, shape, 2, &err) != ES_OK)
        die("%s", err.message);
    es_centroid_free(m);
    free(out);
    free(xt.data);
    free(yt.data);
    free(lv.data);
    free(x.data);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && !strcmp(argv[1], "metrics")) return cmd_metrics(argv + 2);
    if (argc == 6 && !strcmp(argv[1], "ranks")) return cmd_ranks(argv + 2);
    if (argc == 7 && !strcmp(argv[1], "centroid")) return cmd_centroid(argv + 2);
    fprintf(stderr,
            "usage: retrieval_tool metrics Q.npy QID.npy A.npy AID.npy\n"
            "       retrieval_tool ranks Q.npy A.npy AID.npy ID\n"
            "       retrieval_tool centroid XTRAIN.npy YTRAIN.npy "
            "LABELVECS.npy X.npy OUT.npy\n");
    return 2;
}
