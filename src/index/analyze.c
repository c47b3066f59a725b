/* analyze.c — one file → chunks, features, speech scores, sound vectors and
 * the transcript of its speech-like regions. */
#include "index/analyze.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "dsp/speech_detect.h"
#include "index/transcript_filter.h"
#include "models/whisper/whisper_pool.h"

/* Longest stretch of audio sent to the recogniser at once: bounds memory
 * on long recordings; longer speech is cut there. */
#define ASR_REGION_MAX_S 120.0

struct es_analyzer {
    es_analyze_config cfg;
    es_features *features;
    int n_features;           /* the sound features' part of the input     */
    int in_dim;               /* bridge input (features ‖ Whisper states)  */
    es_speech_detector *detector;
    es_asr *asr;              /* loaded on the first speech-like chunk      */
    int asr_failed;
    char asr_error[ES_ERROR_MESSAGE_MAX];
    es_whisper_pool *whisper; /* hybrid only                                */
    float *in_row;            /* one bridge input row                       */
};

es_status es_analyzer_create(const es_analyze_config *cfg, es_analyzer **out,
                             es_error *err)
{
    *out = NULL;
    es_analyzer *a = calloc(1, sizeof *a);
    if (!a) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    a->cfg = *cfg;
    es_feature_set set = ES_FEATURES_FULL;
    if (cfg->bridge && es_bridge_get_input(cfg->bridge) == ES_BRIDGE_INPUT_SMALL)
        set = ES_FEATURES_SMALL;
    es_status st = es_features_create(set, &a->features, err);
    if (st == ES_OK) st = es_speech_detector_create(&a->detector, err);
    if (st == ES_OK && cfg->hybrid)
        st = es_whisper_pool_open(cfg->whisper_name, cfg->models_dir,
                                  cfg->asr_threads, &a->whisper, err);
    if (st != ES_OK) {
        es_analyzer_free(a);
        return st;
    }
    if (a->whisper && cfg->bridge &&
        strcmp(es_bridge_whisper_identity(cfg->bridge),
               es_whisper_pool_identity(a->whisper)) != 0) {
        st = es_fail(err, ES_ERR_FORMAT,
                     "the bridge was trained on the states of %s, but the "
                     "Whisper model here is %s: train a bridge for it "
                     "(earshot train --features hybrid)",
                     es_bridge_whisper_identity(cfg->bridge),
                     es_whisper_pool_identity(a->whisper));
        es_analyzer_free(a);
        return st;
    }
    a->n_features = es_features_dim(a->features);
    a->in_dim = a->n_features + (a->whisper ? es_whisper_pool_dim(a->whisper)
                                            : 0);
    if (cfg->bridge && es_bridge_in_dim(cfg->bridge) != a->in_dim) {
        es_analyzer_free(a);
        return es_fail(err, ES_ERR_FORMAT,
                       "the bridge reads %d inputs but this mode gives %d",
                       es_bridge_in_dim(cfg->bridge), a->in_dim);
    }
    if (!(a->in_row = malloc((size_t)a->in_dim * sizeof(float)))) {
        es_analyzer_free(a);
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    *out = a;
    return ES_OK;
}

const char *es_analyzer_asr_describe(const es_analyzer *a)
{
    return a->asr ? es_asr_describe(a->asr) : "";
}

void es_analyzer_free(es_analyzer *a)
{
    if (!a) return;
    es_features_free(a->features);
    es_speech_detector_free(a->detector);
    es_asr_free(a->asr);
    es_whisper_pool_free(a->whisper);
    free(a->in_row);
    free(a);
}

void es_analysis_clear(es_analysis *r)
{
    for (size_t i = 0; i < r->n_chunks; i++) {
        free(r->chunks[i].features);
        free(r->chunks[i].sound);
        free(r->chunks[i].text);
    }
    for (size_t i = 0; i < r->n_segments; i++) free(r->segments[i].text);
    free(r->chunks);
    free(r->segments);
    memset(r, 0, sizeof *r);
}

char *es_segments_text_in(const es_analysis_segment *segs, size_t n,
                          double start_s, double end_s)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        double mid = 0.5 * (segs[i].start_s + segs[i].end_s);
        if (mid >= start_s && mid < end_s && segs[i].text[0])
            len += strlen(segs[i].text) + 1;
    }
    if (len == 0) return NULL;
    char *t = malloc(len);
    if (!t) return NULL;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double mid = 0.5 * (segs[i].start_s + segs[i].end_s);
        if (!(mid >= start_s && mid < end_s && segs[i].text[0])) continue;
        if (at) t[at++] = ' ';
        size_t k = strlen(segs[i].text);
        memcpy(t + at, segs[i].text, k);
        at += k;
    }
    t[at] = 0;
    return t;
}

/* ------------------------------------------------------ speech regions */
typedef struct region {
    float *x;
    size_t n, cap;
    uint64_t start;           /* absolute sample of x[0]                    */
    uint64_t done_until;      /* samples before this were transcribed       */
    int open;
} region;

static es_status region_append(region *g, uint64_t at, const float *x,
                               size_t n, es_error *err)
{
    uint64_t from = at;
    if (!g->open) {
        if (from < g->done_until) from = g->done_until;
        g->start = from;
        g->n = 0;
        g->open = 1;
    }
    uint64_t have_end = g->start + g->n;
    if (at + n <= have_end) return ES_OK;
    if (from < have_end) from = have_end;
    size_t skip = (size_t)(from - at), add = n - skip;
    if (g->n + add > g->cap) {
        size_t cap = (g->n + add) * 3 / 2;
        float *y = realloc(g->x, cap * sizeof *y);
        if (!y) return es_fail(err, ES_ERR_NOMEM, "out of memory");
        g->x = y;
        g->cap = cap;
    }
    memcpy(g->x + g->n, x + skip, add * sizeof *x);
    g->n += add;
    return ES_OK;
}

static es_status add_segment(es_analysis *r, size_t *cap, double start,
                             double end, const char *text, float nsp,
                             es_error *err)
{
    if (r->n_segments == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        es_analysis_segment *s = realloc(r->segments, c * sizeof *s);
        if (!s) return es_fail(err, ES_ERR_NOMEM, "out of memory");
        r->segments = s;
        *cap = c;
    }
    /* trim surrounding blanks */
    while (*text == ' ') text++;
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == ' ') len--;
    es_analysis_segment *s = &r->segments[r->n_segments];
    if (!(s->text = malloc(len + 1)))
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    memcpy(s->text, text, len);
    s->text[len] = 0;
    s->start_s = start;
    s->end_s = end;
    s->no_speech_prob = nsp;
    r->n_segments++;
    return ES_OK;
}

/* Transcribes the open region, if any, and appends its segments. A
 * recogniser that cannot be loaded is reported once (as a warning) and
 * the file keeps its sound path. */
static es_status region_flush(es_analyzer *a, region *g, es_analysis *r,
                              size_t *seg_cap, es_error *err)
{
    if (!g->open) return ES_OK;
    g->open = 0;
    g->done_until = g->start + g->n;
    if (g->n < ES_SAMPLE_RATE / 4) return ES_OK;
    if (!a->asr && !a->asr_failed) {
        es_asr_params p = es_asr_default_params();
        p.threads = a->cfg.asr_threads;
        es_error e;
        if (es_asr_open_named(a->cfg.asr_name, a->cfg.models_dir, &p, &a->asr,
                              &e) != ES_OK) {
            a->asr_failed = 1;
            snprintf(a->asr_error, sizeof a->asr_error, "%s", e.message);
        }
    }
    if (!a->asr) {
        snprintf(r->warning, sizeof r->warning, "no transcript: %s",
                 a->asr_error);
        return ES_OK;
    }
    es_transcript *t = NULL;
    es_status st = es_asr_transcribe(a->asr, g->x, g->n, &t, err);
    if (st != ES_OK) return st;
    double off = (double)g->start / ES_SAMPLE_RATE;
    r->asr_seconds += (double)g->n / ES_SAMPLE_RATE;
    for (size_t i = 0; i < t->n_segments && st == ES_OK; i++) {
        const es_asr_segment *s = &t->segments[i];
        if (!s->text || !s->text[0] || es_transcript_is_repetitive(s->text))
            continue;
        st = add_segment(r, seg_cap, off + s->start, off + s->end, s->text,
                         s->no_speech_prob, err);
    }
    es_transcript_free(t);
    return st;
}

/* ---------------------------------------------------------------- chunks */
static es_status add_chunk(es_analyzer *a, es_analysis *r, size_t *cap,
                           const es_chunk *c, float score, es_error *err)
{
    if (r->n_chunks == *cap) {
        size_t n = *cap ? *cap * 2 : 16;
        es_analysis_chunk *v = realloc(r->chunks, n * sizeof *v);
        if (!v) return es_fail(err, ES_ERR_NOMEM, "out of memory");
        r->chunks = v;
        *cap = n;
    }
    es_analysis_chunk *k = &r->chunks[r->n_chunks];
    memset(k, 0, sizeof *k);
    r->n_chunks++;
    k->start_s = c->start_s;
    k->end_s = c->end_s;
    k->speech_score = score;
    if (!(k->features = malloc((size_t)a->n_features * sizeof(float))))
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    es_status st = es_features_compute(a->features, c->samples, c->n_samples,
                                       k->features, err);
    if (st != ES_OK || !a->cfg.bridge) return st;
    memcpy(a->in_row, k->features, (size_t)a->n_features * sizeof(float));
    if (a->whisper) {
        size_t n = c->n_samples;
        if (n > 30 * ES_SAMPLE_RATE) n = 30 * ES_SAMPLE_RATE;
        st = es_whisper_pool_compute(a->whisper, c->samples, n,
                                     a->in_row + a->n_features, err);
        if (st != ES_OK) return st;
    }
    int dim = es_bridge_out_dim(a->cfg.bridge);
    if (!(k->sound = malloc((size_t)dim * sizeof(float))))
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    return es_bridge_embed(a->cfg.bridge, a->in_row, 1, k->sound, err);
}

/* With Whisper, the chunk's speech score is 1 − the no-speech probability
 * of the segments in it (Whisper's own judgement beats the detector's);
 * PocketSphinx has none, so the detector's score stays. */
static void whisper_scores(es_analyzer *a, es_analysis *r)
{
    if (!a->asr || es_asr_get_kind(a->asr) != ES_ASR_WHISPER) return;
    for (size_t i = 0; i < r->n_chunks; i++) {
        es_analysis_chunk *k = &r->chunks[i];
        double sum = 0;
        int n = 0;
        for (size_t j = 0; j < r->n_segments; j++) {
            const es_analysis_segment *s = &r->segments[j];
            if (s->end_s > k->start_s && s->start_s < k->end_s) {
                sum += s->no_speech_prob;
                n++;
            }
        }
        if (n) k->speech_score = (float)(1.0 - sum / n);
    }
}

es_status es_analyzer_run(es_analyzer *a, const char *path, es_analysis *out,
                          es_error *err)
{
    memset(out, 0, sizeof *out);
    es_chunker *ch = NULL;
    es_status st = es_chunker_open(path, &a->cfg.chunk, &ch, err);
    if (st != ES_OK) return st;
    out->n_features = a->n_features;
    out->sound_dim = a->cfg.bridge ? es_bridge_out_dim(a->cfg.bridge) : 0;
    float threshold = a->cfg.hybrid ? -1.0f
                                    : es_speech_detector_threshold(a->detector);
    region g = {0};
    size_t chunk_cap = 0, seg_cap = 0;
    es_chunk c;
    while ((st = es_chunker_next(ch, &c, err)) == ES_OK) {
        if (a->cfg.stop && *a->cfg.stop) {
            st = es_fail(err, ES_DONE, "%s: interrupted", path);
            break;
        }
        if (c.end_s <= a->cfg.range_start_s) continue;
        if (a->cfg.range_end_s > 0 && c.start_s >= a->cfg.range_end_s) {
            st = ES_DONE;
            break;
        }
        float score = 0;
        if ((st = es_speech_detector_score(a->detector, c.samples,
                                           c.n_samples, &score, err)) != ES_OK ||
            (st = add_chunk(a, out, &chunk_cap, &c, score, err)) != ES_OK)
            break;
        uint64_t at = (uint64_t)llround(c.start_s * ES_SAMPLE_RATE);
        if (!a->cfg.no_asr && score > threshold) {
            if ((st = region_append(&g, at, c.samples, c.n_samples, err)) != ES_OK)
                break;
            if ((double)g.n / ES_SAMPLE_RATE >= ASR_REGION_MAX_S &&
                (st = region_flush(a, &g, out, &seg_cap, err)) != ES_OK)
                break;
        } else if (g.open && at >= g.start + g.n) {
            if ((st = region_flush(a, &g, out, &seg_cap, err)) != ES_OK) break;
        }
    }
    if (st == ES_DONE && !(a->cfg.stop && *a->cfg.stop))
        st = region_flush(a, &g, out, &seg_cap, err);
    const es_audio_info *info = es_chunker_info(ch);
    out->duration_s = out->n_chunks ? out->chunks[out->n_chunks - 1].end_s : 0;
    if (info && info->duration_s > out->duration_s)
        out->duration_s = info->duration_s;
    es_chunker_close(ch);
    free(g.x);
    if (st != ES_OK) {
        if (a->cfg.stop && *a->cfg.stop) st = ES_DONE;
        es_analysis_clear(out);
        return st;
    }
    whisper_scores(a, out);
    for (size_t i = 0; i < out->n_chunks; i++)
        out->chunks[i].text = es_segments_text_in(out->segments,
                                                  out->n_segments,
                                                  out->chunks[i].start_s,
                                                  out->chunks[i].end_s);
    return ES_OK;
}
