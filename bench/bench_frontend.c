/* bench_frontend.c — speed of the audio front end on one thread:
 *   - Whisper log-mel of one 30 s window (80 and 128 bins),
 *   - sound features (full, small) of one 10 s chunk,
 *   - with FILE: decode alone and decode + chunking + features, as × real
 *     time over the whole file.
 * CPU time is CLOCK_PROCESS_CPUTIME_ID; the test signal is seeded noise plus
 * tones, so runs are comparable. Usage: bench_frontend [FILE] */
#include "earshot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double wall_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void test_signal(float *x, size_t n)
{
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        double noise = ((s >> 8) / 16777216.0 - 0.5) * 0.1;
        double t = (double)i / ES_SAMPLE_RATE;
        x[i] = (float)(0.3 * sin(2 * M_PI * 440 * t) + 0.2 * sin(2 * M_PI * 1234 * t) + noise);
    }
}

static int die(const es_error *e)
{
    fprintf(stderr, "bench: %s\n", e->message);
    return 1;
}

int main(int argc, char **argv)
{
    es_error err = {0};
    size_t n30 = 30 * ES_SAMPLE_RATE, n10 = 10 * ES_SAMPLE_RATE;
    float *x = malloc(sizeof(float) * n30);
    test_signal(x, n30);

    printf("earshot %s front-end benchmark (1 thread)\n", es_version());
    int mels[2] = {80, 128};
    for (int k = 0; k < 2; k++) {
        es_logmel *m = NULL;
        if (es_logmel_create(mels[k], NULL, &m, &err) != ES_OK) return die(&err);
        float *out = malloc(sizeof(float) * mels[k] * es_logmel_n_frames(n30));
        es_logmel_compute(m, x, n30, out, &err); /* warm-up */
        int reps = 20;
        double c0 = cpu_now();
        for (int r = 0; r < reps; r++)
            if (es_logmel_compute(m, x, n30, out, &err) != ES_OK) return die(&err);
        double ms = (cpu_now() - c0) / reps * 1e3;
        printf("logmel %3d bins, 30 s window : %7.2f ms CPU  (%6.0f× real time)\n",
               mels[k], ms, 30e3 / ms);
        free(out);
        es_logmel_free(m);
    }

    es_feature_set sets[2] = {ES_FEATURES_FULL, ES_FEATURES_SMALL};
    for (int k = 0; k < 2; k++) {
        es_features *f = NULL;
        if (es_features_create(sets[k], &f, &err) != ES_OK) return die(&err);
        float v[256];
        es_features_compute(f, x, n10, v, &err); /* warm-up */
        int reps = 200;
        double c0 = cpu_now();
        for (int r = 0; r < reps; r++)
            if (es_features_compute(f, x, n10, v, &err) != ES_OK) return die(&err);
        double ms = (cpu_now() - c0) / reps * 1e3;
        printf("features %-5s, 10 s chunk    : %7.3f ms CPU  (%6.0f× real time)\n",
               es_feature_set_name(sets[k]), ms, 10e3 / ms);
        es_features_free(f);
    }
    free(x);

    if (argc < 2) return 0;
    const char *path = argv[1];

    /* Decode alone. */
    es_decoder *d = NULL;
    if (es_decoder_open(path, &d, &err) != ES_OK) return die(&err);
    float *buf = malloc(sizeof(float) * 16384);
    double c0 = cpu_now(), w0 = wall_now();
    size_t got;
    es_status st;
    while ((st = es_decoder_read(d, buf, 16384, &got, &err)) == ES_OK) {}
    if (st != ES_DONE) return die(&err);
    double secs = (double)es_decoder_position(d) / ES_SAMPLE_RATE;
    double cpu = cpu_now() - c0, wall = wall_now() - w0;
    printf("decode %s (%s, %.0f s): %.2f s CPU, %.0f× real time\n", path,
           es_decoder_info(d)->codec, secs, cpu, secs / wall);
    es_decoder_close(d);
    free(buf);

    /* Decode + chunking + full features (10 s / 5 s). */
    es_features *f = NULL;
    es_chunker *c = NULL;
    if (es_features_create(ES_FEATURES_FULL, &f, &err) != ES_OK ||
        es_chunker_open(path, NULL, &c, &err) != ES_OK)
        return die(&err);
    float v[256];
    es_chunk ch;
    size_t chunks = 0;
    c0 = cpu_now();
    w0 = wall_now();
    while ((st = es_chunker_next(c, &ch, &err)) == ES_OK) {
        if (es_features_compute(f, ch.samples, ch.n_samples, v, &err) != ES_OK)
            return die(&err);
        chunks++;
    }
    if (st != ES_DONE) return die(&err);
    cpu = cpu_now() - c0;
    wall = wall_now() - w0;
    printf("decode + features (full, 10 s / 5 s): %zu chunks, %.2f s CPU, "
           "%.0f× real time\n", chunks, cpu, secs / wall);
    es_chunker_close(c);
    es_features_free(f);
    return 0;
}
