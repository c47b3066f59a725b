/* dump_mel_filters.c — writes Whisper's mel filterbank as [n_mels × 201]
 * float32 .npy, either computed (Slaney, 0..8 kHz) or read from a
 * whisper.cpp ggml model file, for tests/ref/test_logmel.py.
 *
 *   dump_mel_filters OUT.npy (N_MELS | --ggml MODEL) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/mel.h"
#include "earshot.h"
#include "models/whisper/ggml_mel.h"
#include "util/npy.h"

int main(int argc, char **argv)
{
    if (argc < 3 || (!strcmp(argv[2], "--ggml") && argc < 4)) {
        fprintf(stderr, "usage: dump_mel_filters OUT.npy (N_MELS | --ggml MODEL)\n");
        return 2;
    }
    es_error err;
    es_status s;
    if (!strcmp(argv[2], "--ggml")) {
        es_whisper_ggml_header h;
        s = es_whisper_ggml_load_header(argv[3], &h, &err);
        if (s == ES_OK) {
            size_t shape[2] = {(size_t)h.n_mel, (size_t)h.n_fft};
            s = es_npy_write_f32(argv[1], h.mel_filters, shape, 2, &err);
            es_whisper_ggml_header_free(&h);
        }
    } else {
        int n_mels = atoi(argv[2]);
        if (n_mels < 1 || n_mels > 512) {
            fprintf(stderr, "dump_mel_filters: bad n_mels %s\n", argv[2]);
            return 2;
        }
        float *w = malloc(sizeof(float) * (size_t)n_mels * 201);
        if (!w || es_mel_filters(16000, 400, n_mels, 0, 8000, w) != 0) {
            fprintf(stderr, "dump_mel_filters: cannot build filters\n");
            free(w);
            return 1;
        }
        size_t shape[2] = {(size_t)n_mels, 201};
        s = es_npy_write_f32(argv[1], w, shape, 2, &err);
        free(w);
    }
    if (s != ES_OK) {
        fprintf(stderr, "dump_mel_filters: %s\n", err.message);
        return 1;
    }
    return 0;
}
