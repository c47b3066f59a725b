/* asr.c — the public es_asr handle: picks a backend (a ggml file is
 * Whisper, a directory is a PocketSphinx model) or the installed one, and
 * dispatches; plus the transcript structure both backends fill. */
#include "core/error.h"
#include "models/asr/asr_impl.h"
#include "models/whisper/whisper_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct es_asr {
    es_asr_backend b;
};

es_asr_params es_asr_default_params(void)
{
    es_asr_params p;
    memset(&p, 0, sizeof p);
    p.timestamps = 1;
    p.no_speech_threshold = 0.6f;
    p.logprob_threshold = -1.0f;
    p.compression_ratio_threshold = 2.4f;
    p.temperature_increment = 0.2f;
    return p;
}

es_status es_asr_open(const char *path, const es_asr_params *params,
                      es_asr **out, es_error *err)
{
    if (!path || !out) return es_fail(err, ES_ERR_INVALID_ARG, "asr: no path given");
    *out = NULL;
    es_asr_params def = es_asr_default_params();
    if (!params) params = &def;
    if (params->threads < 0 || params->beam_size < 0 || params->beam_size > 16)
        return es_fail(err, ES_ERR_INVALID_ARG, "asr: threads must be >= 0 and "
                       "beam_size 0..16");
    struct stat st;
    if (stat(path, &st) != 0)
        return es_fail(err, errno == EACCES ? ES_ERR_PERMISSION : ES_ERR_NOT_FOUND,
                       "%s: no such speech model (expected a whisper.cpp ggml "
                       "file or a PocketSphinx model directory)", path);
    es_asr *a = calloc(1, sizeof *a);
    if (!a) return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    es_status s = S_ISDIR(st.st_mode)
                      ? es_pocketsphinx_backend_open(path, params, &a->b, err)
                      : es_whisper_backend_open(path, params, &a->b, err);
    if (s) {
        free(a);
        return s;
    }
    *out = a;
    return ES_OK;
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

es_status es_asr_open_named(const char *name, const char *models_dir,
                            const es_asr_params *params, es_asr **out,
                            es_error *err)
{
    if (!out) return es_fail(err, ES_ERR_INVALID_ARG, "asr: out is NULL");
    *out = NULL;
    if (name && !strcmp(name, "pocketsphinx")) {
        if (!exists(ES_POCKETSPHINX_MODEL_DIR))
            return es_fail(err, ES_ERR_NOT_FOUND, "PocketSphinx's model is not "
                           "installed (%s): install the Debian package "
                           "pocketsphinx-en-us (scripts/install-deps.sh)",
                           ES_POCKETSPHINX_MODEL_DIR);
        return es_asr_open(ES_POCKETSPHINX_MODEL_DIR, params, out, err);
    }
    char buf[4200];
    const char *path = NULL;
    es_status s = es_whisper_model_path(name, models_dir, buf, sizeof buf, &path, err);
    if (s) return s;
    if (path) return es_asr_open(path, params, out, err);
    if (exists(ES_POCKETSPHINX_MODEL_DIR))
        return es_asr_open(ES_POCKETSPHINX_MODEL_DIR, params, out, err);
    return es_fail(err, ES_ERR_NOT_FOUND, "no speech recognizer is installed: "
                   "get Whisper with `earshot models pull whisper-tiny` (needs "
                   "the network) or PocketSphinx with the Debian package "
                   "pocketsphinx-en-us (scripts/install-deps.sh)");
}

es_asr_kind es_asr_get_kind(const es_asr *a) { return a ? a->b.kind : (es_asr_kind)0; }
const char *es_asr_describe(const es_asr *a) { return a ? a->b.describe : ""; }

es_status es_asr_transcribe(es_asr *a, const float *samples, size_t n,
                            es_transcript **out, es_error *err)
{
    if (!a || !out || (n && !samples))
        return es_fail(err, ES_ERR_INVALID_ARG, "asr: NULL argument");
    *out = NULL;
    es_status s = a->b.transcribe(a->b.impl, samples, n, out, err);
    if (s == ES_OK && *out)
        snprintf((*out)->backend, sizeof (*out)->backend, "%.127s", a->b.describe);
    return s;
}

void es_asr_free(es_asr *a)
{
    if (!a) return;
    if (a->b.free) a->b.free(a->b.impl);
    free(a);
}

es_transcript *es_transcript_new(void)
{
    return calloc(1, sizeof(es_transcript));
}

es_status es_transcript_add(es_transcript *t, double start, double end,
                            const char *text, float avg_logprob,
                            float no_speech_prob, const int32_t *tokens,
                            int n_tokens)
{
    es_asr_segment *seg = realloc(t->segments, (t->n_segments + 1) * sizeof *seg);
    if (!seg) return ES_ERR_NOMEM;
    t->segments = seg;
    es_asr_segment *g = &seg[t->n_segments];
    memset(g, 0, sizeof *g);
    g->start = start;
    g->end = end;
    g->avg_logprob = avg_logprob;
    g->no_speech_prob = no_speech_prob;
    g->text = strdup(text ? text : "");
    if (n_tokens > 0) {
        g->tokens = malloc((size_t)n_tokens * sizeof(int32_t));
        if (g->tokens) memcpy(g->tokens, tokens, (size_t)n_tokens * sizeof(int32_t));
        g->n_tokens = g->tokens ? n_tokens : 0;
    }
    if (!g->text || (n_tokens > 0 && !g->tokens)) {
        free(g->text);
        free(g->tokens);
        return ES_ERR_NOMEM;
    }
    t->n_segments++;
    return ES_OK;
}

void es_transcript_free(es_transcript *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n_segments; i++) {
        free(t->segments[i].text);
        free(t->segments[i].tokens);
    }
    free(t->segments);
    free(t);
}
