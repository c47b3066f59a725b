/* whisper_names.c — Whisper model names to ggml files (see
 * whisper_names.h): a catalogue name is its file in the models directory,
 * "auto" the first installed of whisper-tiny and whisper-tiny.en, anything
 * else a path. */
#include "models/whisper/whisper_names.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

es_status es_whisper_model_path(const char *name, const char *models_dir,
                                char *buf, size_t size, const char **path,
                                es_error *err)
{
    if (!buf || !size || !path)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper model path: bad argument");
    *path = NULL;
    buf[0] = 0;
    const int is_auto = !name || !strcmp(name, "auto");
    const char *rel = NULL;
    if (name && !strcmp(name, "whisper-tiny")) rel = ES_MODEL_WHISPER_TINY_FILE;
    else if (name && !strcmp(name, "whisper-tiny.en")) rel = ES_MODEL_WHISPER_TINY_EN_FILE;
    else if (!is_auto) {
        *path = name;
        return ES_OK;
    }
    char dir[4096];
    if (models_dir) snprintf(dir, sizeof dir, "%s", models_dir);
    else {
        es_status s = es_models_dir(dir, sizeof dir, err);
        if (s) return s;
    }
    if (rel) {
        snprintf(buf, size, "%s/%s", dir, rel);
        if (!exists(buf))
            return es_fail(err, ES_ERR_NOT_FOUND, "%s is not installed (looked for %s): "
                           "install it with `earshot models pull %s`", name, buf, name);
        *path = buf;
        return ES_OK;
    }
    static const char *const order[] = {ES_MODEL_WHISPER_TINY_FILE,
                                        ES_MODEL_WHISPER_TINY_EN_FILE};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        snprintf(buf, size, "%s/%s", dir, order[i]);
        if (exists(buf)) {
            *path = buf;
            return ES_OK;
        }
    }
    snprintf(buf, size, "%s", dir);
    return ES_OK;
}
