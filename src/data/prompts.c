/* prompts.c — label → prompt text → target vector (see prompts.h). The
 * bridge learns to map a sound to the embedding of "the sound of dog";
 * averaging several templates gives a steadier target than any one. */
#include "data/prompts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

es_status es_prompt_format(const char *tmpl, const char *label, char *out,
                           size_t size, es_error *err)
{
    if (!tmpl || !label || !out || size == 0)
        return es_fail(err, ES_ERR_INVALID_ARG, "prompt: NULL argument");
    const char *hole = strstr(tmpl, "{}");
    if (!hole)
        return es_fail(err, ES_ERR_INVALID_ARG, "prompt template '%.100s' has no {} "
                       "where the label goes (e.g. \"the sound of {}\")", tmpl);
    size_t o = 0;
    const size_t pre = (size_t)(hole - tmpl);
    if (pre >= size) goto short_buf;
    memcpy(out, tmpl, pre);
    o = pre;
    /* the label's words: '_' and '-' are spaces, runs collapse, ends trimmed */
    int pending_space = 0, any = 0;
    for (const char *c = label; *c; c++) {
        int sp = *c == '_' || *c == '-' || *c == ' ' || *c == '\t';
        if (sp) {
            pending_space = any;
            continue;
        }
        if (pending_space) {
            if (o + 1 >= size) goto short_buf;
            out[o++] = ' ';
            pending_space = 0;
        }
        if (o + 1 >= size) goto short_buf;
        out[o++] = *c;
        any = 1;
    }
    const char *post = hole + 2;
    size_t np = strlen(post);
    if (o + np >= size) goto short_buf;
    memcpy(out + o, post, np + 1);
    return ES_OK;
short_buf:
    out[0] = 0;
    return es_fail(err, ES_ERR_INVALID_ARG, "prompt for label '%.100s' is longer than "
                   "its buffer (%zu bytes)", label, size);
}

es_status es_prompt_embed_labels(es_text_encoder *enc,
                                 const char *const *labels, int n_labels,
                                 const char *const *templates, int n_templates,
                                 float *out, es_error *err)
{
    if (!enc || !out || n_labels < 0 || n_templates < 1 || (n_labels && !labels) ||
        !templates)
        return es_fail(err, ES_ERR_INVALID_ARG, "prompt embed: bad argument (needs an "
                       "encoder, labels and at least one template)");
    if (n_labels == 0) return ES_OK;
    const int dim = es_text_encoder_dim(enc);
    const size_t n = (size_t)n_labels * (size_t)n_templates;
    char **texts = calloc(n, sizeof *texts);
    float *emb = malloc(n * (size_t)dim * sizeof *emb);
    es_status s = ES_OK;
    if (!texts || !emb) {
        s = es_fail(err, ES_ERR_NOMEM, "prompt embed: out of memory");
        goto done;
    }
    for (int l = 0; l < n_labels; l++) {
        for (int t = 0; t < n_templates; t++) {
            if (!labels[l] || !templates[t]) {
                s = es_fail(err, ES_ERR_INVALID_ARG, "prompt embed: NULL label or "
                            "template");
                goto done;
            }
            size_t cap = strlen(templates[t]) + strlen(labels[l]) + 1;
            char *p = malloc(cap);
            if (!p) {
                s = es_fail(err, ES_ERR_NOMEM, "prompt embed: out of memory");
                goto done;
            }
            texts[(size_t)l * (size_t)n_templates + (size_t)t] = p;
            s = es_prompt_format(templates[t], labels[l], p, cap, err);
            if (s) goto done;
        }
    }
    s = es_text_encoder_embed(enc, (const char *const *)texts, n, emb, err);
    if (s) goto done;
    for (int l = 0; l < n_labels; l++) {
        float *o = out + (size_t)l * (size_t)dim;
        for (int i = 0; i < dim; i++) {
            double acc = 0.0;
            for (int t = 0; t < n_templates; t++)
                acc += emb[((size_t)l * (size_t)n_templates + (size_t)t) * (size_t)dim +
                           (size_t)i];
            o[i] = (float)(acc / n_templates);
        }
        double nn = 0.0;
        for (int i = 0; i < dim; i++) nn += (double)o[i] * o[i];
        /* a label whose prompts all embed to zero (no known word) stays zero */
        if (nn > 0.0) {
            const float inv = (float)(1.0 / sqrt(nn));
            for (int i = 0; i < dim; i++) o[i] *= inv;
        }
    }
done:
    if (texts)
        for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(emb);
    return s;
}
