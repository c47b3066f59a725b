/* whisper_names.h — which ggml file a Whisper model name means. The one
 * rule es_asr_open_named (asr.c) and es_whisper_pool_open (whisper_pool.c)
 * share, so that `transcribe --model NAME` and `--whisper NAME` find the
 * same file. Owned by whisper_names.c. */
#ifndef ES_MODELS_WHISPER_NAMES_H
#define ES_MODELS_WHISPER_NAMES_H

#include <stddef.h>

#include "earshot.h"

/* Resolves name against models_dir (NULL = es_models_dir(); only read for
 * the names below) and sets *path to:
 *   - buf, holding <models_dir>/<file>, for "whisper-tiny" or
 *     "whisper-tiny.en" (ES_MODEL_WHISPER_TINY[_EN]_FILE); when that file
 *     is missing, fails with ES_ERR_NOT_FOUND naming the file looked for
 *     and `earshot models pull NAME`;
 *   - buf, holding the first of those two files that exists, for NULL or
 *     "auto"; NULL when neither does (not an error: the caller says what
 *     to install, or falls back), buf then holding the models directory;
 *   - name itself for anything else (a path, not checked here).
 * buf needs size ≥ 4200 for any models directory es_models_dir accepts. */
es_status es_whisper_model_path(const char *name, const char *models_dir,
                                char *buf, size_t size, const char **path,
                                es_error *err);

#endif
