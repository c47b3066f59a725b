/* speech_detect_tool.c — runs the speech detector (src/dsp/speech_detect.c)
 * over files, one line per file or per index chunk, and times it. Used by
 * bench/fit_speech_detect.py to dump the chunk features it fits the
 * detector's weights on, and by bench/run-speech-detect.sh.
 *
 *   speech_detect_tool [--chunks] [--features] FILE...   (or - : paths on stdin)
 *       prints  path <TAB> chunk <TAB> start_s <TAB> n_samples <TAB> score
 *       [<TAB> gated <TAB> feature values…] ; without --chunks the whole file
 *       (decoded to 16 kHz mono) is one input, with it the index's chunks
 *       (10 s windows, 5 s hop).
 *   speech_detect_tool --names          the feature names, one per line
 *   speech_detect_tool --threshold      the detector's threshold
 *   speech_detect_tool --bench N FILE   CPU ms per 10 s chunk over N calls
 *                                       (FILE's first 10 s, looped if short)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsp/speech_detect.h"
#include "dsp/speech_detect_trace.h"
#include "earshot.h"

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void print_row(es_speech_detector *d, const char *path, size_t index,
                      double start_s, const float *x, size_t n, int features)
{
    float score = 0;
    es_error err;
    if (es_speech_detector_score(d, x, n, &score, &err) != ES_OK) {
        fprintf(stderr, "speech_detect_tool: %s: %s\n", path, err.message);
        return;
    }
    printf("%s\t%zu\t%.3f\t%zu\t%.6f", path, index, start_s, n, score);
    if (features) {
        float f[ES_SD_N_FEAT];
        int gated = es_speech_detector_features(d, x, n, f);
        printf("\t%d", gated);
        for (int i = 0; i < ES_SD_N_FEAT; i++) printf("\t%.6g", f[i]);
    }
    printf("\n");
}

static int run_file(es_speech_detector *d, const char *path, int chunks,
                    int features)
{
    es_error err;
    if (!chunks) {
        float *x = NULL;
        size_t n = 0;
        if (es_decode_file(path, 0, &x, &n, &err) != ES_OK) {
            fprintf(stderr, "speech_detect_tool: %s\n", err.message);
            return 1;
        }
        print_row(d, path, 0, 0.0, x, n, features);
        es_free(x);
        return 0;
    }
    es_chunk_params p = es_chunk_default_params();
    es_chunker *c;
    if (es_chunker_open(path, &p, &c, &err) != ES_OK) {
        fprintf(stderr, "speech_detect_tool: %s\n", err.message);
        return 1;
    }
    es_chunk ch;
    es_status st;
    while ((st = es_chunker_next(c, &ch, &err)) == ES_OK)
        print_row(d, path, ch.index, ch.start_s, ch.samples, ch.n_samples,
                  features);
    es_chunker_close(c);
    if (st != ES_DONE) {
        fprintf(stderr, "speech_detect_tool: %s\n", err.message);
        return 1;
    }
    return 0;
}

static int bench(es_speech_detector *d, int reps, const char *path)
{
    es_error err;
    float *x = NULL;
    size_t n = 0;
    if (es_decode_file(path, 0, &x, &n, &err) != ES_OK) {
        fprintf(stderr, "speech_detect_tool: %s\n", err.message);
        return 1;
    }
    const size_t w = 10 * ES_SAMPLE_RATE;
    float *chunk = malloc(sizeof(float) * w);
    if (!chunk) {
        es_free(x);
        return 1;
    }
    for (size_t i = 0; i < w; i++) chunk[i] = x[i % n];
    float s = 0;
    es_speech_detector_score(d, chunk, w, &s, NULL);       /* warm-up */
    double t0 = cpu_seconds();
    for (int r = 0; r < reps; r++) es_speech_detector_score(d, chunk, w, &s, NULL);
    double dt = (cpu_seconds() - t0) / reps;
    printf("%.4f ms CPU per 10 s chunk (%d calls, score %.3f)\n", dt * 1e3,
           reps, s);
    free(chunk);
    es_free(x);
    return 0;
}

int main(int argc, char **argv)
{
    int chunks = 0, features = 0, i = 1;
    es_speech_detector *d;
    es_error err;
    if (es_speech_detector_create(&d, &err) != ES_OK) {
        fprintf(stderr, "speech_detect_tool: %s\n", err.message);
        return 1;
    }
    int rc = 0;
    if (argc >= 2 && strcmp(argv[1], "--names") == 0) {
        for (int k = 0; k < ES_SD_N_FEAT; k++)
            printf("%s\n", es_speech_detector_feature_name(k));
        goto done;
    }
    if (argc >= 2 && strcmp(argv[1], "--threshold") == 0) {
        printf("%.6f\n", es_speech_detector_threshold(d));
        goto done;
    }
    if (argc == 4 && strcmp(argv[1], "--bench") == 0) {
        rc = bench(d, atoi(argv[2]), argv[3]);
        goto done;
    }
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (strcmp(argv[i], "--chunks") == 0) chunks = 1;
        else if (strcmp(argv[i], "--features") == 0) features = 1;
        else {
            fprintf(stderr, "speech_detect_tool: unknown option %s\n", argv[i]);
            rc = 2;
            goto done;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "usage: speech_detect_tool [--chunks] [--features] "
                        "FILE... | -   (see the header of "
                        "tests/tools/speech_detect_tool.c)\n");
        rc = 2;
        goto done;
    }
    for (; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) {
            char line[8192];
            while (fgets(line, sizeof line, stdin)) {
                line[strcspn(line, "\r\n")] = '\0';
                if (line[0]) rc |= run_file(d, line, chunks, features);
            }
        } else {
            rc |= run_file(d, argv[i], chunks, features);
        }
    }
done:
    es_speech_detector_free(d);
    return rc;
}
