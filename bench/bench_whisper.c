/* bench_whisper.c — speed and memory of earshot's Whisper model on a ggml
 * file: load time, encoder time for 5 / 10 / 30 s windows (audio_ctx
 * trimming: 250 / 500 / 1500 positions) with 1 and 2 OpenBLAS threads,
 * decoder ms per token (3-token prompt, then 50 single tokens through the
 * KV cache, the greedy loop's pattern), and peak RSS. Timing does not
 * depend on the weight values, so synthetic files in whisper.cpp's layout
 * serve (tests/ref/whisper_synth.py):
 *
 *   /usr/bin/python3 -c 'import sys; sys.path.insert(0, "tests/ref");
 *     import whisper_synth as w
 *     for t in ("f32", "f16", "q8_0"):
 *         w.write_model(f"/tmp/tiny-{t}.bin",
 *             "../shared/models/whisper-aux/for-tests-ggml-tiny.bin", w.TINY, t)'
 *   build/bench/bench_whisper /tmp/tiny-f32.bin [--int8] [--reps N]
 *
 * Run one model per process: peak RSS is the process's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "models/whisper/whisper_model.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int argmax(const float *x, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_whisper MODEL [--int8] [--reps N]\n");
        return 2;
    }
    es_whisper_load_params lp = {0, 0};
    int reps = 3;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--int8")) lp.int8 = 1;
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
    }
    if (reps < 1) reps = 1;
    es_error err;
    es_whisper_model *m;
    double t0 = now_ms();
    if (es_whisper_model_load(argv[1], &lp, &m, &err) != ES_OK) {
        fprintf(stderr, "bench_whisper: %s\n", err.message);
        return 1;
    }
    const double t_load = now_ms() - t0;
    const es_whisper_hparams *h = es_whisper_model_hparams(m);
    printf("model %s: %s %s%s, load %.0f ms\n", argv[1], es_whisper_model_size_name(m),
           es_whisper_model_wtype(m), lp.int8 ? " → int8" : " → f32", t_load);
    const int n_max = 2 * h->n_audio_ctx;
    float *mel = malloc(sizeof *mel * (size_t)h->n_mels * (size_t)n_max);
    float *logits = malloc(sizeof *logits * (size_t)h->n_vocab * 3);
    if (!mel || !logits) return 1;
    srand(1);
    const int secs[3] = {5, 10, 30};
    for (int threads = 1; threads <= 2; threads++) {
        es_whisper_session *s;
        if (es_whisper_session_new(m, 1, threads, &s, &err) != ES_OK) {
            fprintf(stderr, "bench_whisper: %s\n", err.message);
            return 1;
        }
        for (int k = 0; k < 3; k++) {
            int frames = secs[k] * 100 < n_max ? secs[k] * 100 : n_max;
            for (size_t i = 0; i < (size_t)h->n_mels * (size_t)frames; i++)
                mel[i] = (float)rand() / RAND_MAX * 2 - 1;
            double best = 1e30;
            for (int r = 0; r < reps; r++) {
                t0 = now_ms();
                if (es_whisper_encode(s, mel, frames, &err) != ES_OK) {
                    fprintf(stderr, "bench_whisper: %s\n", err.message);
                    return 1;
                }
                double t = now_ms() - t0;
                best = t < best ? t : best;
            }
            printf("  encode %2d s (%4d positions), %d thread%s: %8.1f ms (best of %d)\n",
                   secs[k], frames / 2, threads, threads > 1 ? "s" : "", best, reps);
        }
        /* decoder: 3-token prompt then 50 greedy tokens, each on its own */
        int32_t tok[3] = {h->n_vocab > 50259 ? 50258 : 0, 1, 2};
        if (es_whisper_decode(s, 0, tok, 3, 0, logits, &err) != ES_OK) {
            fprintf(stderr, "bench_whisper: %s\n", err.message);
            return 1;
        }
        int steps = h->n_text_ctx - 3 < 50 ? h->n_text_ctx - 3 : 50;
        int32_t next = argmax(logits + 2 * (size_t)h->n_vocab, h->n_vocab);
        t0 = now_ms();
        for (int i = 0; i < steps; i++) {
            if (es_whisper_decode(s, 0, &next, 1, 3 + i, logits, &err) != ES_OK) {
                fprintf(stderr, "bench_whisper: %s\n", err.message);
                return 1;
            }
            next = argmax(logits, h->n_vocab);
        }
        printf("  decode, %d thread%s: %.2f ms/token (%d tokens after a 3-token prompt, "
               "over a 30 s window)\n", threads, threads > 1 ? "s" : "",
               (now_ms() - t0) / steps, steps);
        es_whisper_session_free(s);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  peak RSS %.0f MiB\n", (double)ru.ru_maxrss / 1024.0);
    free(mel);
    free(logits);
    es_whisper_model_free(m);
    return 0;
}
