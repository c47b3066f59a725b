/* speech_detect.h — a cheap speech detector: how speech-like is a chunk?
 *
 * The index weighs the speech path against the sound path by this score,
 * and runs the speech recogniser only on chunks that score high (the ASR
 * model is loaded on the first such chunk). It must be cheap next to the
 * sound features (≤ 0.5 ms per 10 s chunk on one core) and must need no
 * model download: WebRTC's VAD (libfvad) is not in Debian bookworm, so this
 * is earshot's own detector (see docs/SPEECH_DETECT.md for the design and
 * its measured accuracy on ../shared/data). */
#ifndef ES_SPEECH_DETECT_H
#define ES_SPEECH_DETECT_H

#include <stddef.h>

#include "earshot.h"

typedef struct es_speech_detector es_speech_detector;

es_status es_speech_detector_create(es_speech_detector **out, es_error *err);

/* Score in [0, 1] for n samples of 16 kHz mono audio (any length; < 0.1 s
 * or silence gives 0): roughly the probability that the chunk holds speech
 * a recogniser can transcribe. Not thread-safe per detector: one per
 * thread. */
es_status es_speech_detector_score(es_speech_detector *d, const float *x,
                                   size_t n, float *score, es_error *err);

/* The threshold above which a chunk counts as speech (run the ASR). */
float es_speech_detector_threshold(const es_speech_detector *d);

void es_speech_detector_free(es_speech_detector *d);

#endif
