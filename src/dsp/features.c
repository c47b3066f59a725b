/* features.c — the sound feature vector fed to the "bridge" MLP: public API,
 * the handle with everything precomputed, and the assembly of per-frame
 * descriptors into one fixed-length vector (layout: docs/FEATURES.md).
 *
 * One STFT pass feeds every spectral descriptor: each frame's power spectrum
 * goes through the mel bank, the spectral shape descriptors and the chroma
 * bank, then is dropped (unless tracing). Scratch arrays live in the handle
 * and only grow, so steady-state calls do not allocate. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "dsp/chroma.h"
#include "dsp/features_trace.h"
#include "dsp/mfcc.h"
#include "dsp/onset.h"
#include "dsp/pspec.h"
#include "dsp/spectral.h"
#include "dsp/temporal.h"

#define NAME_MAX_LEN 32

/* Full-vector indices of the five "small" components. */
static const int small_index[ES_FEAT_SMALL_DIM] = {0, 1, 73, 81, 126};
static const char *const small_name[ES_FEAT_SMALL_DIM] = {
    "mfcc_1", "mfcc_2", "centroid_mean", "zcr_mean", "tempo_bpm"};

struct es_features {
    es_feature_set set;
    int dim;
    int keep_power;
    char names[ES_FEAT_FULL_DIM][NAME_MAX_LEN];

    /* precomputed */
    es_pspec *stft;
    es_melbank mel;
    float dct[ES_FEAT_N_MELS * ES_FEAT_N_MFCC];
    es_spectral spectral;
    es_chromabank chroma;

    /* scratch, sized for cap_frames frames */
    size_t cap_frames, cap_power_frames;
    float *frames;          /* one block carved into the arrays below      */
    float *power_all;       /* [T × 513] when tracing                     */
    float power[ES_FEAT_N_BINS];
    double *block_energy;
    int *block_crossings;
    es_features_trace tr;   /* pointers into frames, last results          */
    float full[ES_FEAT_FULL_DIM];
};

es_status es_feature_set_parse(const char *name, es_feature_set *out,
                               es_error *err)
{
    if (!out)
        return es_fail(err, ES_ERR_INVALID_ARG, "feature set: out is NULL");
    if (name && strcmp(name, "full") == 0) {
        *out = ES_FEATURES_FULL;
        return ES_OK;
    }
    if (name && strcmp(name, "small") == 0) {
        *out = ES_FEATURES_SMALL;
        return ES_OK;
    }
    return es_fail(err, ES_ERR_INVALID_ARG,
                   "unknown feature set '%s': use \"full\" (128-d) or "
                   "\"small\" (5-d)", name ? name : "(null)");
}

const char *es_feature_set_name(es_feature_set set)
{
    switch (set) {
    case ES_FEATURES_FULL: return "full";
    case ES_FEATURES_SMALL: return "small";
    }
    return "unknown";
}

static void name_full_layout(char names[][NAME_MAX_LEN])
{
    int i = 0;
    for (int c = 0; c < 20; c++) snprintf(names[i++], NAME_MAX_LEN, "mfcc_mean_%d", c);
    for (int c = 0; c < 20; c++) snprintf(names[i++], NAME_MAX_LEN, "mfcc_std_%d", c);
    for (int c = 0; c < 20; c++) snprintf(names[i++], NAME_MAX_LEN, "delta_std_%d", c);
    for (int c = 0; c < 13; c++) snprintf(names[i++], NAME_MAX_LEN, "delta2_std_%d", c);
    static const char *const pairs[] = {"centroid", "bandwidth", "rolloff",
                                        "flatness", "zcr", "rms"};
    for (int p = 0; p < 6; p++) {
        snprintf(names[i++], NAME_MAX_LEN, "%s_mean", pairs[p]);
        snprintf(names[i++], NAME_MAX_LEN, "%s_std", pairs[p]);
    }
    for (int b = 0; b < 7; b++) snprintf(names[i++], NAME_MAX_LEN, "contrast_mean_%d", b);
    for (int b = 0; b < 7; b++) snprintf(names[i++], NAME_MAX_LEN, "contrast_std_%d", b);
    for (int c = 0; c < 12; c++) snprintf(names[i++], NAME_MAX_LEN, "chroma_mean_%d", c);
    for (int c = 0; c < 12; c++) snprintf(names[i++], NAME_MAX_LEN, "chroma_std_%d", c);
    snprintf(names[i++], NAME_MAX_LEN, "onset_mean");
    snprintf(names[i++], NAME_MAX_LEN, "onset_std");
    snprintf(names[i++], NAME_MAX_LEN, "onset_max");
    snprintf(names[i++], NAME_MAX_LEN, "tempo_bpm");
    snprintf(names[i++], NAME_MAX_LEN, "tempo_confidence");
}

es_status es_features_create(es_feature_set set, es_features **out,
                             es_error *err)
{
    if (!out)
        return es_fail(err, ES_ERR_INVALID_ARG, "features: out is NULL");
    *out = NULL;
    if (set != ES_FEATURES_FULL && set != ES_FEATURES_SMALL)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "features: unknown feature set %d (use ES_FEATURES_FULL "
                       "or ES_FEATURES_SMALL)", (int)set);
    es_features *f = calloc(1, sizeof *f);
    if (!f) return es_fail(err, ES_ERR_NOMEM, "features: out of memory");
    f->set = set;
    f->dim = set == ES_FEATURES_FULL ? ES_FEAT_FULL_DIM : ES_FEAT_SMALL_DIM;
    if (set == ES_FEATURES_FULL)
        name_full_layout(f->names);
    else
        for (int i = 0; i < ES_FEAT_SMALL_DIM; i++)
            snprintf(f->names[i], NAME_MAX_LEN, "%s", small_name[i]);

    f->stft = es_pspec_create(ES_FEAT_N_FFT, ES_FEAT_HOP);
    int bad = !f->stft;
    bad |= es_melbank_init(&f->mel, ES_SAMPLE_RATE, ES_FEAT_N_FFT,
                           ES_FEAT_N_MELS, 0.0, ES_SAMPLE_RATE / 2.0) != 0;
    bad |= es_spectral_init(&f->spectral, ES_SAMPLE_RATE, ES_FEAT_N_FFT,
                            ES_FEAT_CONTRAST_FMIN, ES_FEAT_CONTRAST_QUANTILE) != 0;
    bad |= es_chromabank_init(&f->chroma, ES_SAMPLE_RATE, ES_FEAT_N_FFT) != 0;
    if (bad) {
        es_features_free(f);
        return es_fail(err, ES_ERR_NOMEM,
                       "features: cannot allocate the filterbanks / FFT plan");
    }
    es_dct_ortho_matrix(ES_FEAT_N_MELS, ES_FEAT_N_MFCC, f->dct);
    *out = f;
    return ES_OK;
}

int es_features_dim(const es_features *f) { return f ? f->dim : 0; }

const char *es_features_component_name(const es_features *f, int i)
{
    if (!f || i < 0 || i >= f->dim) return NULL;
    return f->names[i];
}

void es_features_free(es_features *f)
{
    if (!f) return;
    es_pspec_free(f->stft);
    es_melbank_free(&f->mel);
    es_spectral_free(&f->spectral);
    es_chromabank_free(&f->chroma);
    free(f->frames);
    free(f->power_all);
    free(f->block_energy);
    free(f->block_crossings);
    free(f);
}

void es_features_set_tracing(es_features *f, int keep_power)
{
    f->keep_power = keep_power != 0;
}

void es_features_get_trace(const es_features *f, es_features_trace *out)
{
    *out = f->tr;
    out->full = f->full;
}

/* Per-frame floats: mel_db 64, mfcc/delta/delta2 3×20, contrast 7,
 * chroma 12, and 7 scalars. */
#define FLOATS_PER_FRAME \
    (ES_FEAT_N_MELS + 3 * ES_FEAT_N_MFCC + ES_CONTRAST_BANDS + ES_N_CHROMA + 7)

static int reserve(es_features *f, size_t T)
{
    if (T > f->cap_frames) {
        size_t cap = T + T / 4 + 16;
        float *fr = malloc(sizeof(float) * FLOATS_PER_FRAME * cap);
        double *be = malloc(sizeof(double) * (cap + 2));
        int *bc = malloc(sizeof(int) * (cap + 2));
        if (!fr || !be || !bc) {
            free(fr);
            free(be);
            free(bc);
            return -1;
        }
        free(f->frames);
        free(f->block_energy);
        free(f->block_crossings);
        f->frames = fr;
        f->block_energy = be;
        f->block_crossings = bc;
        f->cap_frames = cap;
    }
    if (f->keep_power && T > f->cap_power_frames) {
        float *p = malloc(sizeof(float) * ES_FEAT_N_BINS * T);
        if (!p) return -1;
        free(f->power_all);
        f->power_all = p;
        f->cap_power_frames = T;
    }
    /* carve the per-frame arrays for this T */
    float *p = f->frames;
    es_features_trace *tr = &f->tr;
    memset(tr, 0, sizeof *tr);
    tr->n_frames = T;
    tr->mel_db = p;   p += ES_FEAT_N_MELS * T;
    tr->mfcc = p;     p += ES_FEAT_N_MFCC * T;
    tr->delta = p;    p += ES_FEAT_N_MFCC * T;
    tr->delta2 = p;   p += ES_FEAT_N_MFCC * T;
    tr->contrast = p; p += ES_CONTRAST_BANDS * T;
    tr->chroma = p;   p += ES_N_CHROMA * T;
    tr->centroid = p; p += T;
    tr->bandwidth = p; p += T;
    tr->rolloff = p;  p += T;
    tr->flatness = p; p += T;
    tr->zcr = p;      p += T;
    tr->rms = p;      p += T;
    tr->onset = p;
    tr->power = f->keep_power ? f->power_all : NULL;
    return 0;
}

/* Mean and population std over T values spaced `stride` apart. */
static void mean_std(const float *x, size_t T, size_t stride, float *mean,
                     float *std)
{
    double s = 0;
    for (size_t t = 0; t < T; t++) s += x[t * stride];
    double m = s / (double)T, v = 0;
    for (size_t t = 0; t < T; t++) {
        double d = x[t * stride] - m;
        v += d * d;
    }
    *mean = (float)m;
    *std = (float)sqrt(v / (double)T);
}

static float max_of(const float *x, size_t T)
{
    float m = x[0];
    for (size_t t = 1; t < T; t++) m = x[t] > m ? x[t] : m;
    return m;
}

es_status es_features_compute(es_features *f, const float *samples, size_t n,
                              float *out, es_error *err)
{
    if (!f || !out)
        return es_fail(err, ES_ERR_INVALID_ARG, "features: handle or out is NULL");
    if (n == 0 || !samples)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "features: empty input (%zu samples); a chunk needs at "
                       "least 1 sample of 16 kHz mono audio", n);
    const size_t T = es_pspec_n_frames(f->stft, n);
    if (reserve(f, T) != 0)
        return es_fail(err, ES_ERR_NOMEM,
                       "features: out of memory for %zu frames", T);
    es_features_trace *tr = &f->tr;
    /* the trace's pointers are const for readers; we own them */
    float *mel_db = (float *)tr->mel_db, *mfcc = (float *)tr->mfcc;
    float *delta = (float *)tr->delta, *delta2 = (float *)tr->delta2;
    float *contrast = (float *)tr->contrast, *chroma = (float *)tr->chroma;
    float *centroid = (float *)tr->centroid, *bandwidth = (float *)tr->bandwidth;
    float *rolloff = (float *)tr->rolloff, *flatness = (float *)tr->flatness;
    float *zcr = (float *)tr->zcr, *rms = (float *)tr->rms;
    float *onset = (float *)tr->onset;

    /* one STFT pass: every spectral descriptor from each power spectrum */
    for (size_t t = 0; t < T; t++) {
        float *P = f->keep_power ? f->power_all + t * ES_FEAT_N_BINS : f->power;
        es_pspec_frame(f->stft, samples, n, t, P);
        es_melbank_apply(&f->mel, P, mel_db + t * ES_FEAT_N_MELS);
        es_spectral_frame sf;
        es_spectral_compute(&f->spectral, P, &sf);
        centroid[t] = sf.centroid;
        bandwidth[t] = sf.bandwidth;
        rolloff[t] = sf.rolloff;
        flatness[t] = sf.flatness;
        memcpy(contrast + t * ES_CONTRAST_BANDS, sf.contrast, sizeof sf.contrast);
        es_chromabank_apply(&f->chroma, P, chroma + t * ES_N_CHROMA);
    }
    es_zcr_rms(samples, n, ES_FEAT_HOP, f->block_energy, f->block_crossings,
               zcr, rms);

    es_power_to_db(mel_db, T * ES_FEAT_N_MELS, ES_FEAT_TOP_DB);
    for (size_t t = 0; t < T; t++)
        es_dct_apply(f->dct, ES_FEAT_N_MELS, ES_FEAT_N_MFCC,
                     mel_db + t * ES_FEAT_N_MELS, mfcc + t * ES_FEAT_N_MFCC);
    es_delta(mfcc, T, ES_FEAT_N_MFCC, 1,
             es_delta_width(T, 1, ES_FEAT_DELTA_WIDTH), delta);
    es_delta(mfcc, T, ES_FEAT_N_MFCC, 2,
             es_delta_width(T, 2, ES_FEAT_DELTA_WIDTH), delta2);
    es_onset_envelope(mel_db, T, ES_FEAT_N_MELS, onset);
    es_tempo(onset, T, (double)ES_SAMPLE_RATE / ES_FEAT_HOP, &tr->tempo_bpm,
             &tr->tempo_confidence);

    /* assemble layout version 1 */
    float *v = f->full, unused;
    for (int c = 0; c < 20; c++)
        mean_std(mfcc + c, T, ES_FEAT_N_MFCC, &v[c], &v[20 + c]);
    for (int c = 0; c < 20; c++)
        mean_std(delta + c, T, ES_FEAT_N_MFCC, &unused, &v[40 + c]);
    for (int c = 0; c < 13; c++)
        mean_std(delta2 + c, T, ES_FEAT_N_MFCC, &unused, &v[60 + c]);
    const float *scalars[6] = {centroid, bandwidth, rolloff, flatness, zcr, rms};
    for (int p = 0; p < 6; p++)
        mean_std(scalars[p], T, 1, &v[73 + 2 * p], &v[74 + 2 * p]);
    for (int b = 0; b < 7; b++)
        mean_std(contrast + b, T, ES_CONTRAST_BANDS, &v[85 + b], &v[92 + b]);
    for (int c = 0; c < 12; c++)
        mean_std(chroma + c, T, ES_N_CHROMA, &v[99 + c], &v[111 + c]);
    mean_std(onset, T, 1, &v[123], &v[124]);
    v[125] = max_of(onset, T);
    v[126] = (float)tr->tempo_bpm;
    v[127] = (float)tr->tempo_confidence;

    if (f->set == ES_FEATURES_FULL)
        memcpy(out, v, sizeof(float) * ES_FEAT_FULL_DIM);
    else
        for (int i = 0; i < ES_FEAT_SMALL_DIM; i++) out[i] = v[small_index[i]];
    return ES_OK;
}
