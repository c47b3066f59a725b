/* features_trace.h — read access to the per-frame arrays behind the last
 * es_features_compute call, for tests/tools/dump_features and the NumPy
 * reference tests. Not part of the public API. */
#ifndef ES_DSP_FEATURES_TRACE_H
#define ES_DSP_FEATURES_TRACE_H

#include <stddef.h>

#include "earshot.h"

/* STFT/feature constants of layout version 1 (docs/FEATURES.md). */
#define ES_FEAT_N_FFT 1024
#define ES_FEAT_HOP 512
#define ES_FEAT_N_BINS (ES_FEAT_N_FFT / 2 + 1)
#define ES_FEAT_N_MELS 64
#define ES_FEAT_N_MFCC 20
#define ES_FEAT_N_DELTA2 13
#define ES_FEAT_DELTA_WIDTH 9
#define ES_FEAT_TOP_DB 80.0f
#define ES_FEAT_CONTRAST_FMIN 100.0
#define ES_FEAT_CONTRAST_QUANTILE 0.02
#define ES_FEAT_FULL_DIM 128
#define ES_FEAT_SMALL_DIM 5

/* All arrays are frame-major: row t holds frame t. Valid until the next
 * compute or free. */
typedef struct es_features_trace {
    size_t n_frames;
    const float *power;        /* [T × 513], NULL unless tracing is on     */
    const float *mel_db;       /* [T × 64]  after the top_db floor         */
    const float *mfcc;         /* [T × 20]                                  */
    const float *delta;        /* [T × 20]                                  */
    const float *delta2;       /* [T × 20]                                  */
    const float *centroid, *bandwidth, *rolloff, *flatness; /* [T]         */
    const float *contrast;     /* [T × 7]                                   */
    const float *zcr, *rms;    /* [T]                                       */
    const float *chroma;       /* [T × 12]                                  */
    const float *onset;        /* [T]                                       */
    double tempo_bpm, tempo_confidence;
    const float *full;         /* [128], the full vector of the last call  */
} es_features_trace;

/* With keep_power set, compute also keeps every frame's power spectrum. */
void es_features_set_tracing(es_features *f, int keep_power);
void es_features_get_trace(const es_features *f, es_features_trace *out);

#endif
