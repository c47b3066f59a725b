/* bench_bridge.c — the sound path per chunk on one thread: full features
 * of a 10 s chunk, then the bridge (128→256→512→D, D = 100 and 384), f32
 * and int8 weights; and the bridge alone, one row and batched. Reports the
 * median of many runs (CPU time). Usage: bench_bridge [REPS] */
#include "earshot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "models/bridge/bridge_net.h"

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 200;
    if (reps < 5)
        reps = 5;
    size_t n = 10 * ES_SAMPLE_RATE;
    float *x = malloc(n * sizeof *x);
    double *t = malloc((size_t)reps * sizeof *t);
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        double tt = (double)i / ES_SAMPLE_RATE;
        x[i] = (float)(0.3 * sin(2 * M_PI * 440 * tt) +
                       ((s >> 8) / 16777216.0 - 0.5) * 0.1);
    }
    es_error err;
    es_features *f = NULL;
    if (!x || !t || es_features_create(ES_FEATURES_FULL, &f, &err)) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    float feat[128], batch_in[256 * 128];
    printf("%-44s %10s\n", "what (one thread)", "median ms");
    for (int r = 0; r < reps; r++) {
        double t0 = cpu_now();
        es_features_compute(f, x, n, feat, &err);
        t[r] = (cpu_now() - t0) * 1e3;
    }
    double feat_ms = median(t, reps);
    printf("%-44s %10.3f\n", "features (full) of a 10 s chunk", feat_ms);
    for (int k = 0; k < 256 * 128; k++)
        batch_in[k] = feat[k % 128] * (1.0f + 0.001f * (float)(k / 128));
    const int outs[2] = {100, 384};
    for (int oi = 0; oi < 2; oi++) {
        for (int q = 0; q < 2; q++) {
            int dims[4] = {128, 256, 512, outs[oi]};
            es_bridge_net *net = NULL;
            if (es_bridge_net_new(dims, 3, ES_BRIDGE_HEAD_L2, &net, &err))
                return 1;
            es_bridge_net_init(net, 1);
            if (q)
                es_bridge_net_quantize(net);
            float *y = malloc(256 * (size_t)outs[oi] * sizeof *y);
            for (int r = 0; r < reps; r++) {
                double t0 = cpu_now();
                es_bridge_net_embed(net, feat, 1, y, &err);
                t[r] = (cpu_now() - t0) * 1e3;
            }
            double one = median(t, reps);
            for (int r = 0; r < reps; r++) {
                double t0 = cpu_now();
                es_bridge_net_embed(net, batch_in, 256, y, &err);
                t[r] = (cpu_now() - t0) * 1e3 / 256;
            }
            double per_row = median(t, reps);
            char what[64];
            snprintf(what, sizeof what, "bridge →%d %s, one chunk", outs[oi],
                     q ? "int8" : "f32");
            printf("%-44s %10.3f\n", what, one);
            snprintf(what, sizeof what, "bridge →%d %s, per chunk in 256-batch",
                     outs[oi], q ? "int8" : "f32");
            printf("%-44s %10.3f\n", what, per_row);
            snprintf(what, sizeof what, "features + bridge →%d %s", outs[oi],
                     q ? "int8" : "f32");
            printf("%-44s %10.3f\n", what, feat_ms + one);
            free(y);
            es_bridge_net_free(net);
        }
    }
    es_features_free(f);
    free(x);
    free(t);
    return 0;
}
