/* models_util.h — small helpers that `earshot models` (cmd_models.c,
 * model_catalog.c, download.c) share: paths and
 * directories, human-readable sizes, and structural checks of model files
 * that have no published checksum. The CLI keeps them to itself; none of
 * this is library API. */
#ifndef ES_APP_MODELS_UTIL_H
#define ES_APP_MODELS_UTIL_H

#include <stdint.h>
#include <stdio.h>

#include "earshot.h"
#include "core/error.h"   /* es_fail: the library's error helper */

#if defined(__GNUC__)
#define ES_APP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ES_APP_PRINTF(a, b)
#endif

/* snprintf that reports truncation: 0 on success, -1 if out was too small. */
int es_models_pathf(char *out, size_t size, const char *fmt, ...) ES_APP_PRINTF(3, 4);

/* Size of a regular file (following symlinks), or -1 if it is absent or not
 * a regular file. */
int64_t es_models_file_size(const char *path);
int es_models_is_dir(const char *path);

/* mkdir -p for the directory part of path (everything before the last '/'),
 * or for path itself with es_models_mkdirs. */
es_status es_models_mkdirs(const char *dir, es_error *err);
es_status es_models_mkdirs_for(const char *file_path, es_error *err);

/* "77.7 MB", "612 B" (decimal units, as Hugging Face shows sizes). */
void es_models_human_size(int64_t bytes, char *out, size_t size);

/* Structural check of a file that has no sha256 pin, chosen by its name:
 * *.json must parse as JSON, *.safetensors must have a sane JSON header,
 * ggml *.bin must start with the ggml magic, anything else must not be
 * empty. Returns ES_OK or ES_ERR_FORMAT with the reason in err. */
es_status es_models_check_structure(const char *path, const char *name, es_error *err);

/* Reads a whole (small) file into a NUL-terminated buffer; refuses files
 * larger than max_bytes. *out is freed with free(). */
es_status es_models_read_small_file(const char *path, size_t max_bytes, char **out,
                                    size_t *len, es_error *err);

#endif
