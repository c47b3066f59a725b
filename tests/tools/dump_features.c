/* dump_features.c — runs the sound feature extractor on raw samples and
 * writes every per-frame component as .npy, so tests/ref/test_features.py can
 * compare each one with the NumPy reference.
 *
 *   dump_features IN.f32 OUTDIR        raw little-endian float32, 16 kHz mono
 *   dump_features --bench N IN.f32     CPU time per call over N calls
 *
 * OUTDIR receives power, mel_db, mfcc, delta, delta2 ([T × k]), centroid,
 * bandwidth, rolloff, flatness, zcr, rms, onset ([T]), contrast [T × 7],
 * chroma [T × 12], tempo [2] (bpm, confidence), full [128], small [5]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsp/features_trace.h"
#include "earshot.h"
#include "util/npy.h"

static float *read_f32(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "dump_features: cannot open %s\n", path);
        return NULL;
    }
    fseek(fp, 0, SEEK_END);
    long bytes = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    *n = bytes > 0 ? (size_t)bytes / sizeof(float) : 0;
    float *x = malloc(sizeof(float) * (*n ? *n : 1));
    if (!x || fread(x, sizeof(float), *n, fp) != *n) {
        fprintf(stderr, "dump_features: cannot read %s\n", path);
        free(x);
        fclose(fp);
        return NULL;
    }
    fclose(fp);
    return x;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int bench(int reps, const char *path)
{
    size_t n;
    float *x = read_f32(path, &n);
    if (!x) return 1;
    es_features *f;
    es_error err;
    if (es_features_create(ES_FEATURES_FULL, &f, &err) != ES_OK) {
        fprintf(stderr, "dump_features: %s\n", err.message);
        free(x);
        return 1;
    }
    float v[128];
    if (es_features_compute(f, x, n, v, &err) != ES_OK) { /* warm-up */
        fprintf(stderr, "dump_features: %s\n", err.message);
        return 1;
    }
    double t0 = cpu_seconds();
    for (int r = 0; r < reps; r++) es_features_compute(f, x, n, v, NULL);
    double dt = (cpu_seconds() - t0) / reps;
    printf("%zu samples (%.2f s): %.3f ms CPU per call over %d calls\n", n,
           n / 16000.0, dt * 1e3, reps);
    es_features_free(f);
    free(x);
    return 0;
}

static int put(const char *dir, const char *name, const float *data,
               size_t rows, size_t cols)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    size_t shape[2] = {rows, cols};
    es_error err;
    if (es_npy_write_f32(path, data, shape, cols ? 2 : 1, &err) != ES_OK) {
        fprintf(stderr, "dump_features: %s\n", err.message);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--bench") == 0)
        return bench(atoi(argv[2]), argv[3]);
    if (argc != 3) {
        fprintf(stderr, "usage: dump_features IN.f32 OUTDIR\n"
                        "       dump_features --bench N IN.f32\n");
        return 2;
    }
    size_t n;
    float *x = read_f32(argv[1], &n);
    if (!x) return 1;
    es_features *full, *small;
    es_error err;
    if (es_features_create(ES_FEATURES_FULL, &full, &err) != ES_OK ||
        es_features_create(ES_FEATURES_SMALL, &small, &err) != ES_OK) {
        fprintf(stderr, "dump_features: %s\n", err.message);
        return 1;
    }
    es_features_set_tracing(full, 1);
    float vf[ES_FEAT_FULL_DIM], vs[ES_FEAT_SMALL_DIM];
    if (es_features_compute(small, x, n, vs, &err) != ES_OK ||
        es_features_compute(full, x, n, vf, &err) != ES_OK) {
        fprintf(stderr, "dump_features: %s\n", err.message);
        return 1;
    }
    es_features_trace tr;
    es_features_get_trace(full, &tr);
    const char *d = argv[2];
    size_t T = tr.n_frames;
    float tempo[2] = {(float)tr.tempo_bpm, (float)tr.tempo_confidence};
    int bad = 0;
    bad |= put(d, "power", tr.power, T, ES_FEAT_N_BINS);
    bad |= put(d, "mel_db", tr.mel_db, T, ES_FEAT_N_MELS);
    bad |= put(d, "mfcc", tr.mfcc, T, ES_FEAT_N_MFCC);
    bad |= put(d, "delta", tr.delta, T, ES_FEAT_N_MFCC);
    bad |= put(d, "delta2", tr.delta2, T, ES_FEAT_N_MFCC);
    bad |= put(d, "centroid", tr.centroid, T, 0);
    bad |= put(d, "bandwidth", tr.bandwidth, T, 0);
    bad |= put(d, "rolloff", tr.rolloff, T, 0);
    bad |= put(d, "flatness", tr.flatness, T, 0);
    bad |= put(d, "contrast", tr.contrast, T, 7);
    bad |= put(d, "zcr", tr.zcr, T, 0);
    bad |= put(d, "rms", tr.rms, T, 0);
    bad |= put(d, "chroma", tr.chroma, T, 12);
    bad |= put(d, "onset", tr.onset, T, 0);
    bad |= put(d, "tempo", tempo, 2, 0);
    bad |= put(d, "full", vf, ES_FEAT_FULL_DIM, 0);
    bad |= put(d, "small", vs, ES_FEAT_SMALL_DIM, 0);
    es_features_free(full);
    es_features_free(small);
    free(x);
    return bad;
}
