/* wav_header.h — what a RIFF/WAVE header declares about its data chunk.
 * FFmpeg clamps a WAV's data size to the file size, which hides a recording
 * that was cut short; the decoder asks this instead to detect truncation. */
#ifndef ES_AUDIO_WAV_HEADER_H
#define ES_AUDIO_WAV_HEADER_H

#include <stdint.h>

/* For a RIFF/WAVE file whose data chunk declares a real size (not the 0 or
 * 0xFFFFFFFF of a streamed WAV), sets *declared to that size and *present to
 * the data bytes the file actually holds, and returns 1. Returns 0 for any
 * other file or header (RF64 included), reading at most 64 chunk headers. */
int es_wav_data_sizes(const char *path, uint64_t *declared, uint64_t *present);

#endif
