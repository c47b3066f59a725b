/* speech_detect_trace.h — the speech detector's chunk features, for the
 * tool that dumps them (tests/tools/speech_detect_tool.c) and the offline
 * fit of the detector's logistic weights (bench/fit_speech_detect.py).
 * Not part of the public API: the names and their order may change with
 * the weights in speech_detect.c. */
#ifndef ES_DSP_SPEECH_DETECT_TRACE_H
#define ES_DSP_SPEECH_DETECT_TRACE_H

#include <stddef.h>

#include "dsp/speech_detect.h"

#define ES_SD_N_FEAT 10

/* The chunk features of x[0..n) in feat[ES_SD_N_FEAT]. Returns 1 when the
 * chunk is gated (shorter than 0.1 s or silent: the score is 0 and feat is
 * all 0), 0 when feat holds the features, -1 on bad arguments or no
 * memory. */
int es_speech_detector_features(es_speech_detector *d, const float *x,
                                size_t n, float *feat);

/* Name of feature i (0 ≤ i < ES_SD_N_FEAT), else NULL. */
const char *es_speech_detector_feature_name(int i);

#endif
