/* dump_logmel.c — runs the Whisper log-mel front end on raw samples and
 * writes [n_mels × n_frames] float32 .npy, for tests/ref/test_logmel.py.
 *
 *   dump_logmel IN.f32 OUT.npy [--mels 80|128] [--ggml MODEL] [--repeat N]
 *
 * IN.f32 holds raw little-endian float32 samples at 16 kHz (the Python test
 * writes it, so this tool does not depend on the decoder). --ggml takes the
 * filters from a whisper.cpp model file. --repeat N times N computations and
 * prints the mean milliseconds per call on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "earshot.h"
#include "util/npy.h"

static int usage(void)
{
    fprintf(stderr, "usage: dump_logmel IN.f32 OUT.npy [--mels 80|128] "
                    "[--ggml MODEL] [--repeat N]\n");
    return 2;
}

static float *read_f32(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (bytes < 0 || bytes % 4) {
        fprintf(stderr, "%s: size %ld is not a multiple of 4\n", path, bytes);
        fclose(f);
        return NULL;
    }
    *n = (size_t)bytes / 4;
    float *x = malloc(bytes ? (size_t)bytes : 1);
    unsigned char *b = (unsigned char *)x;
    if (!x || fread(x, 1, (size_t)bytes, f) != (size_t)bytes) {
        fprintf(stderr, "%s: read failed\n", path);
        free(x);
        fclose(f);
        return NULL;
    }
    fclose(f);
    for (size_t i = 0; i < *n; i++) {   /* little-endian → host */
        unsigned u = (unsigned)b[4 * i] | (unsigned)b[4 * i + 1] << 8 |
                     (unsigned)b[4 * i + 2] << 16 | (unsigned)b[4 * i + 3] << 24;
        memcpy(&x[i], &u, 4);
    }
    return x;
}

int main(int argc, char **argv)
{
    if (argc < 3) return usage();
    const char *in = argv[1], *outp = argv[2], *ggml = NULL;
    int n_mels = 80, repeat = 0;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--mels") && i + 1 < argc) n_mels = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ggml") && i + 1 < argc) ggml = argv[++i];
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
        else return usage();
    }
    size_t n = 0;
    float *x = read_f32(in, &n);
    if (!x) return 1;
    es_error err;
    es_logmel *m = NULL;
    es_status s = ggml ? es_logmel_create_from_ggml(ggml, &m, &err)
                       : es_logmel_create(n_mels, NULL, &m, &err);
    if (s != ES_OK) {
        fprintf(stderr, "dump_logmel: %s\n", err.message);
        free(x);
        return 1;
    }
    size_t nf = es_logmel_n_frames(n), nm = (size_t)es_logmel_n_mels(m);
    size_t count = nm * nf;
    float *out = malloc(sizeof(float) * (count ? count : 1));
    s = es_logmel_compute(m, x, n, out, &err);
    if (s == ES_OK && repeat > 0) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int r = 0; r < repeat && s == ES_OK; r++)
            s = es_logmel_compute(m, x, n, out, &err);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ms = ((double)(b.tv_sec - a.tv_sec) * 1e3 +
                     (double)(b.tv_nsec - a.tv_nsec) / 1e6) / repeat;
        fprintf(stderr, "logmel: %zu samples, %zu×%zu, %.3f ms per call (%d calls)\n",
                n, nm, nf, ms, repeat);
    }
    if (s == ES_OK) {
        size_t shape[2] = {nm, nf};
        s = es_npy_write_f32(outp, out, shape, 2, &err);
    }
    if (s != ES_OK) fprintf(stderr, "dump_logmel: %s\n", err.message);
    es_logmel_free(m);
    free(out);
    free(x);
    return s == ES_OK ? 0 : 1;
}
