/* bench_wordvec.c — speed and memory of the word-vector text encoder, one
 * thread, through the public API:
 *   - load: es_text_encoder_open + free (mmap, both checksums, validation),
 *     median of 20;
 *   - latency of one 16-word query, p50/p95 over 1000 calls;
 *   - throughput on batches of 1000 caption-like sentences;
 *   - file size and peak RSS of the process.
 * Usage: bench_wordvec [MODEL]   (default: the installed wordvec model) */
#include "earshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *const words[] = {
    "a", "dog", "is", "barking", "loudly", "while", "people", "talk", "in", "the",
    "background", "rain", "falls", "on", "roof", "and", "thunder", "rumbles", "far",
    "away", "someone", "plays", "piano", "birds", "chirp", "car", "engine", "idles",
    "door", "creaks", "open", "crowd", "cheers", "bell", "rings", "twice", "water",
    "flows", "stream", "wind", "blows", "through", "trees", "baby", "cries", "train",
};
#define N_WORDS (sizeof words / sizeof *words)

/* Sentence i: 8..16 words drawn by a fixed LCG, with some capitals and
 * punctuation, like typed captions. */
static void make_sentence(uint32_t *seed, int n_words, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (int w = 0; w < n_words; w++) {
        *seed = *seed * 1664525u + 1013904223u;
        const char *word = words[(*seed >> 8) % N_WORDS];
        int n = snprintf(out + len, cap - len, "%s%s%s", w ? " " : "", word,
                         (*seed & 0x70) == 0 ? "," : "");
        if (n < 0 || (size_t)n >= cap - len) break;
        len += (size_t)n;
        if (w == 0) out[0] = (char)(out[0] - 'a' + 'A');
    }
}

int main(int argc, char **argv)
{
    es_error err = {0};
    char path[4096];
    if (argc > 1) {
        snprintf(path, sizeof path, "%s", argv[1]);
    } else {
        char dir[3800];
        if (es_models_dir(dir, sizeof dir, &err) != ES_OK) {
            fprintf(stderr, "bench_wordvec: %s\n", err.message);
            return 1;
        }
        snprintf(path, sizeof path, "%s/%s", dir, ES_MODEL_WORDVEC_FILE);
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "bench_wordvec: %s is missing; run scripts/install-wordvectors.sh\n",
                path);
        return 1;
    }

    double loads[20];
    es_text_encoder *e = NULL;
    for (int r = 0; r < 20; r++) {
        double t0 = now();
        if (es_text_encoder_open(path, NULL, &e, &err) != ES_OK) {
            fprintf(stderr, "bench_wordvec: %s\n", err.message);
            return 1;
        }
        loads[r] = now() - t0;
        if (r < 19) es_text_encoder_free(e);
    }
    qsort(loads, 20, sizeof *loads, cmp_double);
    int dim = es_text_encoder_dim(e);
    printf("earshot %s word-vector benchmark (1 thread)\n", es_version());
    printf("model: %s\n       %s, %.1f MB\n", path, es_text_encoder_describe(e),
           st.st_size / 1e6);
    printf("load (open + validate + checksums): median %.1f ms, min %.1f ms\n",
           loads[10] * 1e3, loads[0] * 1e3);

    /* One 16-word query. */
    char q[512];
    uint32_t seed = 42;
    make_sentence(&seed, 16, q, sizeof q);
    const char *qs[1] = {q};
    float *v = malloc(sizeof(float) * (size_t)dim * 1000);
    enum { REPS = 1000 };
    static double lat[REPS];
    for (int r = 0; r < 100; r++) es_text_encoder_embed(e, qs, 1, v, &err); /* warm */
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        es_text_encoder_embed(e, qs, 1, v, &err);
        lat[r] = now() - t0;
    }
    qsort(lat, REPS, sizeof *lat, cmp_double);
    printf("16-word query (\"%.40s…\"): p50 %.2f µs, p95 %.2f µs\n", q,
           lat[REPS / 2] * 1e6, lat[REPS * 95 / 100] * 1e6);

    /* Throughput on 1000 sentences of 8..16 words, repeated. */
    static char text[1000][512];
    const char *ts[1000];
    size_t total_words = 0;
    for (int i = 0; i < 1000; i++) {
        int n = 8 + (int)(i % 9);
        make_sentence(&seed, n, text[i], sizeof text[i]);
        ts[i] = text[i];
        total_words += (size_t)n;
    }
    int rounds = 0;
    double t0 = now(), el = 0;
    while (el < 1.0) {
        if (es_text_encoder_embed(e, ts, 1000, v, &err) != ES_OK) {
            fprintf(stderr, "bench_wordvec: %s\n", err.message);
            return 1;
        }
        rounds++;
        el = now() - t0;
    }
    printf("throughput: %.0f sentences/s (%.1f words each), %.1f M words/s\n",
           rounds * 1000 / el, total_words / 1000.0, rounds * (double)total_words / el / 1e6);
    es_text_encoder_free(e);
    free(v);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS: %.1f MB (the mapped file counts once its pages are read)\n",
           ru.ru_maxrss / 1024.0);
    return 0;
}
