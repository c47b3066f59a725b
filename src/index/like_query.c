/* like_query.c — an example clip into query vectors (like_query.h). */
#include "index/like_query.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "index/analyze.h"

/* The index's recogniser choice as a name es_asr_open_named takes. */
static const char *asr_name_of(const char *choice, int *no_asr)
{
    *no_asr = choice && !strcmp(choice, "none");
    if (!choice || !strncmp(choice, "whisper:", 8)) return NULL;
    return choice;
}

void es_like_query_free(es_like_query *q)
{
    free(q->speech);
    free(q->sound);
    free(q->text);
    memset(q, 0, sizeof *q);
}

/* Embeds an example clip through the same paths as the index. */
es_status es_like_query_embed(es_store *s, const es_index_models *m,
                              const char *file, double a, double b,
                              es_like_query *q, es_error *err)
{
    return es_like_query_embed_locked(s, m, NULL, file, a, b, q, err);
}

es_status es_like_query_embed_locked(es_store *s, const es_index_models *m,
                                     pthread_mutex_t *enc_lock,
                                     const char *file, double a, double b,
                                     es_like_query *q, es_error *err)
{
    memset(q, 0, sizeof *q);
    char *asr = NULL;
    es_status st = es_store_meta_get(s, "asr", &asr, err);
    if (st != ES_OK) return st;
    char *mode = NULL;
    if ((st = es_store_meta_get(s, "mode", &mode, err)) != ES_OK) {
        free(asr);
        return st;
    }
    es_analyze_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.chunk = es_chunk_default_params();
    cfg.bridge = m->bridge;
    cfg.hybrid = mode && !strcmp(mode, "hybrid");
    cfg.asr_name = asr_name_of(asr, &cfg.no_asr);
    cfg.range_start_s = a;
    cfg.range_end_s = b;
    es_analyzer *an = NULL;
    es_analysis r;
    memset(&r, 0, sizeof r);
    st = es_analyzer_create(&cfg, &an, err);
    if (st == ES_OK) st = es_analyzer_run(an, file, &r, err);
    es_analyzer_free(an);
    free(asr);
    free(mode);
    if (st != ES_OK) return st;
    if (r.n_chunks == 0) {
        es_analysis_clear(&r);
        return es_fail(err, ES_ERR_EMPTY, "%s: no audio in %.1f–%.1f s", file,
                       a, b);
    }
    int dim = es_text_encoder_dim(m->enc);
    if (r.sound_dim == dim && (q->sound = calloc((size_t)dim, sizeof(float)))) {
        double norm = 0;
        for (size_t i = 0; i < r.n_chunks; i++)
            for (int j = 0; j < dim; j++) q->sound[j] += r.chunks[i].sound[j];
        for (int j = 0; j < dim; j++) norm += (double)q->sound[j] * q->sound[j];
        for (int j = 0; j < dim && norm > 0; j++)
            q->sound[j] = (float)(q->sound[j] / sqrt(norm));
    }
    q->text = es_segments_text_in(r.segments, r.n_segments, 0, 1e12);
    if (q->text && (q->speech = malloc((size_t)dim * sizeof(float)))) {
        const char *t[1] = {q->text};
        if (enc_lock) pthread_mutex_lock(enc_lock);
        st = es_text_encoder_embed(m->enc, t, 1, q->speech, err);
        if (enc_lock) pthread_mutex_unlock(enc_lock);
    }
    es_analysis_clear(&r);
    if (st == ES_OK && !q->sound && !q->speech)
        st = es_fail(err, ES_ERR_NOT_FOUND,
                     "%s: nothing to search with: the index has no bridge and "
                     "no speech was recognised in the example", file);
    if (st != ES_OK) es_like_query_free(q);
    return st;
}
