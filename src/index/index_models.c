/* index_models.c — resolving, recording and reopening an index's models. */
#include "index/index_models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "index/file_hash.h"
#include "index/walk.h"
#include "models/whisper/whisper_names.h"

#define DEFAULT_BRIDGE "bridge/default.esbridge"

static int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

static es_status models_dir(const char *given, char *buf, size_t size,
                            es_error *err)
{
    if (given) {
        snprintf(buf, size, "%s", given);
        return ES_OK;
    }
    return es_models_dir(buf, size, err);
}

/* The recogniser that `auto` would load, named without loading it. */
static void asr_choice(const es_index_config *cfg, const char *dir, char *out,
                       size_t size)
{
    if (cfg->no_asr) {
        snprintf(out, size, "none");
        return;
    }
    const char *name = cfg->asr_model;
    if (name && strcmp(name, "auto") != 0) {
        snprintf(out, size, "%s", name);
        return;
    }
    char buf[4200];
    const char *path = NULL;
    es_error e;
    if (es_whisper_model_path(NULL, dir, buf, sizeof buf, &path, &e) == ES_OK &&
        path) {
        snprintf(out, size, "whisper:%s", path);
        return;
    }
    snprintf(out, size, "pocketsphinx");
}

static es_status open_bridge(es_index_models *m, const char *path,
                             es_error *err)
{
    size_t n = strlen(path);
    if (n >= sizeof m->bridge_path)
        return es_fail(err, ES_ERR_INVALID_ARG, "bridge path too long");
    es_status st = es_file_hash(path, m->bridge_hash, err);
    if (st == ES_OK) st = es_bridge_load(path, m->enc, &m->bridge, err);
    if (st == ES_OK) memcpy(m->bridge_path, path, n + 1);
    return st;
}

es_status es_index_models_for_update(es_store *s, const es_index_config *cfg,
                                     es_index_models *m, es_error *err)
{
    memset(m, 0, sizeof *m);
    char dir[4096];
    es_status st = models_dir(cfg->models_dir, dir, sizeof dir, err);
    if (st != ES_OK) return st;
    char *old_bridge = NULL;
    if ((st = es_store_meta_get(s, "bridge_path", &old_bridge, err)) != ES_OK)
        goto done;

    const char *text = cfg->text_model ? cfg->text_model : "auto";
    es_text_encoder_params tp = es_text_encoder_default_params();
    if (!strcmp(text, "auto") || !strcmp(text, "minilm") ||
        !strcmp(text, "wordvec")) {
        st = es_text_encoder_open_named(text, dir, &tp, &m->enc, err);
    } else {   /* a path: recorded absolute, so search finds it again */
        char *abs = NULL;
        if ((st = es_path_absolute(text, &abs, err)) != ES_OK) goto done;
        st = es_text_encoder_open(abs, &tp, &m->enc, err);
        snprintf(m->text_model, sizeof m->text_model, "%s", abs);
        free(abs);
    }
    if (st != ES_OK) goto done;
    if (!m->text_model[0])
        snprintf(m->text_model, sizeof m->text_model, "%s",
                 es_text_encoder_get_kind(m->enc) == ES_TEXT_BERT ? "minilm"
                                                                  : "wordvec");

    char def[4200];
    snprintf(def, sizeof def, "%s/%s", dir, DEFAULT_BRIDGE);
    if (cfg->bridge_path && strcmp(cfg->bridge_path, "none") != 0) {
        char *abs = NULL;
        if ((st = es_path_absolute(cfg->bridge_path, &abs, err)) != ES_OK)
            goto done;
        st = open_bridge(m, abs, err);
        free(abs);
    } else if (cfg->bridge_path) {
        st = ES_OK;   /* "none": no sound path */
    } else if (old_bridge && old_bridge[0] && exists(old_bridge)) {
        st = open_bridge(m, old_bridge, err);
    } else if (exists(def)) {
        st = open_bridge(m, def, err);
    }
    if (st != ES_OK) goto done;
    if (m->bridge && cfg->mode == ES_MODE_HYBRID &&
        es_bridge_get_input(m->bridge) != ES_BRIDGE_INPUT_HYBRID) {
        st = es_fail(err, ES_ERR_INVALID_ARG,
                     "%s: hybrid mode needs a bridge trained on hybrid inputs "
                     "(earshot train --features hybrid); this one reads %s",
                     m->bridge_path, es_bridge_input_name(
                         es_bridge_get_input(m->bridge)));
        goto done;
    }
    if (m->bridge && cfg->mode == ES_MODE_LIGHTWEIGHT &&
        es_bridge_get_input(m->bridge) == ES_BRIDGE_INPUT_HYBRID) {
        st = es_fail(err, ES_ERR_INVALID_ARG,
                     "%s: this bridge reads Whisper states: index with "
                     "--mode hybrid", m->bridge_path);
        goto done;
    }
    asr_choice(cfg, dir, m->asr_choice, sizeof m->asr_choice);
    snprintf(m->key, sizeof m->key,
             "mode=%s;text=%s;bridge=%s;asr=%s;features=%d;chunk=%g/%g",
             es_index_mode_name(cfg->mode), es_text_encoder_identity(m->enc),
             m->bridge ? m->bridge_hash : "none", m->asr_choice,
             ES_FEATURES_LAYOUT_VERSION, cfg->chunk.window_s, cfg->chunk.hop_s);
done:
    free(old_bridge);
    if (st != ES_OK) es_index_models_close(m);
    return st;
}

es_status es_index_models_record(es_store *s, const es_index_config *cfg,
                                 const es_index_models *m, es_error *err)
{
    char layout[16];
    snprintf(layout, sizeof layout, "%d", ES_FEATURES_LAYOUT_VERSION);
    const char *kv[][2] = {
        {"mode", es_index_mode_name(cfg->mode)},
        {"text_model", m->text_model},
        {"text_identity", es_text_encoder_identity(m->enc)},
        {"text_describe", es_text_encoder_describe(m->enc)},
        {"bridge_path", m->bridge_path},
        {"bridge_describe", m->bridge ? es_bridge_describe(m->bridge) : ""},
        {"asr", m->asr_choice},
        {"feature_layout", layout},
        {"models_key", m->key},
    };
    es_status st = es_store_begin(s, err);
    for (size_t i = 0; st == ES_OK && i < sizeof kv / sizeof *kv; i++)
        st = es_store_meta_set(s, kv[i][0], kv[i][1], err);
    if (st != ES_OK) {
        es_store_rollback(s);
        return st;
    }
    return es_store_commit(s, err);
}

es_status es_index_models_for_search(es_store *s, int need_bridge,
                                     const char *models_dir_given,
                                     es_index_models *m, es_error *err)
{
    memset(m, 0, sizeof *m);
    char dir[4096];
    char *text = NULL, *identity = NULL, *bridge = NULL;
    es_status st = models_dir(models_dir_given, dir, sizeof dir, err);
    if (st == ES_OK) st = es_store_meta_get(s, "text_model", &text, err);
    if (st == ES_OK) st = es_store_meta_get(s, "text_identity", &identity, err);
    if (st == ES_OK) st = es_store_meta_get(s, "bridge_path", &bridge, err);
    if (st != ES_OK) goto done;
    if (!text || !identity) {
        st = es_fail(err, ES_ERR_NOT_FOUND,
                     "%s: nothing indexed yet (run `earshot index DIR`)",
                     es_store_path(s));
        goto done;
    }
    es_text_encoder_params tp = es_text_encoder_default_params();
    if (text[0] == '/')
        st = es_text_encoder_open(text, &tp, &m->enc, err);
    else
        st = es_text_encoder_open_named(text, dir, &tp, &m->enc, err);
    if (st != ES_OK) goto done;
    if (strcmp(es_text_encoder_identity(m->enc), identity) != 0) {
        st = es_fail(err, ES_ERR_FORMAT,
                     "%s: indexed with text encoder %s, but %s is installed "
                     "now: re-run `earshot index` to re-embed",
                     es_store_path(s), identity,
                     es_text_encoder_identity(m->enc));
        goto done;
    }
    snprintf(m->text_model, sizeof m->text_model, "%s", text);
    if (need_bridge && bridge && bridge[0]) {
        if (!exists(bridge)) {
            st = es_fail(err, ES_ERR_NOT_FOUND,
                         "%s: the index's bridge %s is gone; re-index with "
                         "--bridge PATH", es_store_path(s), bridge);
            goto done;
        }
        st = open_bridge(m, bridge, err);
    }
done:
    free(text);
    free(identity);
    free(bridge);
    if (st != ES_OK) es_index_models_close(m);
    return st;
}

void es_index_models_close(es_index_models *m)
{
    es_text_encoder_free(m->enc);
    es_bridge_free(m->bridge);
    m->enc = NULL;
    m->bridge = NULL;
}
