/* bench_text.c — speed and memory of a text encoder through the public API
 * (BERT directory or word-vector file alike):
 *   - load time and resident memory after loading,
 *   - query latency for texts of 8, 16 and 64 tokens on one thread
 *     (p50/p95 over many runs; a BERT token count includes [CLS] and [SEP]),
 *   - batch throughput in sentences/s on THREADS threads over 2000 sentences
 *     of 8 to 40 tokens (seeded, so runs are comparable),
 *   - peak resident memory.
 * Usage: bench_text MODEL [--int8] [--threads N] */
#include "earshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Common English words, one WordPiece token each in BERT's uncased vocab. */
static const char *WORDS[] = {
    "dog", "rain", "bell", "car", "music", "door", "wind", "water", "bird",
    "church", "engine", "crowd", "train", "baby", "piano", "guitar", "street",
    "night", "loud", "soft", "the", "a", "in", "on", "with", "and", "of",
    "people", "talking", "walking", "running", "city", "river", "storm",
    "phone", "voice", "song", "drum", "glass", "fire",
};
#define N_WORDS (sizeof WORDS / sizeof WORDS[0])

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double rss_mb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = 0;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, n)) kb = atof(line + n + 1);
    if (f) fclose(f);
    return kb / 1024.0;
}

static char *make_text(int words, uint32_t *seed)
{
    char *t = malloc((size_t)words * 12 + 1);
    t[0] = 0;
    for (int i = 0; i < words; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        if (i) strcat(t, " ");
        strcat(t, WORDS[(*seed >> 8) % N_WORDS]);
    }
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_text MODEL [--int8] [--threads N]\n");
        return 2;
    }
    int int8 = 0, threads = 2;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--int8")) int8 = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    }
    es_error err;
    es_text_encoder_params p = es_text_encoder_default_params();
    p.int8 = int8;
    p.threads = 1;
    double t0 = now();
    es_text_encoder *e;
    if (es_text_encoder_open(argv[1], &p, &e, &err) != ES_OK) {
        fprintf(stderr, "bench_text: %s\n", err.message);
        return 1;
    }
    double load = now() - t0;
    int bert = es_text_encoder_get_kind(e) == ES_TEXT_BERT;
    int d = es_text_encoder_dim(e);
    printf("encoder: %s\n", es_text_encoder_describe(e));
    printf("load: %.1f ms, RSS after load %.1f MB\n", load * 1e3, rss_mb("VmRSS:"));
    float *v = malloc(2000 * (size_t)d * sizeof(float));
    uint32_t seed = 42;
    static const int LENS[3] = {8, 16, 64};
    for (int k = 0; k < 3; k++) {
        int words = bert ? LENS[k] - 2 : LENS[k];
        enum { RUNS = 300 };
        double ts[RUNS];
        char *texts[RUNS];
        for (int r = 0; r < RUNS; r++) texts[r] = make_text(words, &seed);
        for (int r = 0; r < 20; r++)   /* warm-up */
            es_text_encoder_embed(e, (const char *const *)&texts[r], 1, v, &err);
        for (int r = 0; r < RUNS; r++) {
            double s = now();
            if (es_text_encoder_embed(e, (const char *const *)&texts[r], 1, v, &err)) {
                fprintf(stderr, "bench_text: %s\n", err.message);
                return 1;
            }
            ts[r] = now() - s;
        }
        qsort(ts, RUNS, sizeof ts[0], cmp_double);
        printf("query %2d tokens, 1 thread: p50 %.3f ms, p95 %.3f ms\n", LENS[k],
               ts[RUNS / 2] * 1e3, ts[RUNS * 95 / 100] * 1e3);
        for (int r = 0; r < RUNS; r++) free(texts[r]);
    }
    es_text_encoder_free(e);

    p.threads = threads;
    if (es_text_encoder_open(argv[1], &p, &e, &err) != ES_OK) return 1;
    enum { N = 2000 };
    char **texts = malloc(N * sizeof *texts);
    long tokens = 0;
    for (int i = 0; i < N; i++) {
        seed = seed * 1664525u + 1013904223u;
        int len = 8 + (int)((seed >> 8) % 33);
        texts[i] = make_text(bert ? len - 2 : len, &seed);
        tokens += len;
    }
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        double s = now();
        if (es_text_encoder_embed(e, (const char *const *)texts, N, v, &err)) {
            fprintf(stderr, "bench_text: %s\n", err.message);
            return 1;
        }
        double t = now() - s;
        best = t < best ? t : best;
    }
    printf("batch of %d sentences (8-40 tokens, mean %.1f), %d threads: %.0f "
           "sentences/s (best of 3, %.2f s)\n", N, (double)tokens / N, threads,
           N / best, best);
    printf("peak RSS: %.1f MB\n", rss_mb("VmHWM:"));
    for (int i = 0; i < N; i++) free(texts[i]);
    free(texts);
    free(v);
    es_text_encoder_free(e);
    return 0;
}
