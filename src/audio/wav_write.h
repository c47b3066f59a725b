/* wav_write.h — writing mono 16-bit PCM WAV files (the output of
 * `earshot decode`), streamed so long files need no buffer. */
#ifndef ES_AUDIO_WAV_WRITE_H
#define ES_AUDIO_WAV_WRITE_H

#include <stddef.h>
#include <stdio.h>
#include "earshot.h"

typedef struct es_wav_writer {
    FILE *f;
    char *path;
    int sample_rate;
    unsigned long long n_samples;
} es_wav_writer;

es_status es_wav_writer_open(es_wav_writer *w, const char *path,
                             int sample_rate, es_error *err);
/* Converts float samples in [-1, 1] to s16 with clipping. */
es_status es_wav_writer_write(es_wav_writer *w, const float *x, size_t n,
                              es_error *err);
/* Patches the sizes into the header and closes the file. */
es_status es_wav_writer_close(es_wav_writer *w, es_error *err);

#endif
