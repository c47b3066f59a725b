/* bridge_file.h — the .esbridge layout (docs/FORMATS.md is the
 * specification; keep them in step), shared by bridge_file.c and the tests
 * that build hostile files, plus the atomic file writer that the .esbridge
 * and ONNX writers both use. */
#ifndef ES_MODELS_BRIDGE_FILE_H
#define ES_MODELS_BRIDGE_FILE_H

#include <stddef.h>

#include "earshot.h"
#include "models/bridge/bridge_net.h"

#define ES_BRIDGE_MAGIC "ESBRIDGE"          /* 8 bytes, no NUL            */
#define ES_BRIDGE_FORMAT_VERSION 1

/* Fixed header: byte offsets of its little-endian u32 fields. */
#define ES_BRIDGE_OFF_VERSION 8
#define ES_BRIDGE_OFF_INPUT 12
#define ES_BRIDGE_OFF_FEATURES_LAYOUT 16
#define ES_BRIDGE_OFF_FEATURE_DIM 20
#define ES_BRIDGE_OFF_WHISPER_DIM 24
#define ES_BRIDGE_OFF_HEAD 28
#define ES_BRIDGE_OFF_WEIGHT_TYPE 32
#define ES_BRIDGE_OFF_N_LAYERS 36
#define ES_BRIDGE_OFF_DIMS 40               /* u32 [ES_BRIDGE_MAX_LAYERS+1] */
#define ES_BRIDGE_OFF_WHISPER_ID_LEN 76
#define ES_BRIDGE_OFF_TEXT_ID_LEN 80
#define ES_BRIDGE_OFF_NOTES_LEN 84
#define ES_BRIDGE_HEADER_SIZE 88

#define ES_BRIDGE_WEIGHTS_F32 0
#define ES_BRIDGE_WEIGHTS_INT8 1

#define ES_BRIDGE_MAX_DIM 65536
#define ES_BRIDGE_NOTES_MAX (1u << 20)      /* bytes of training notes    */
#define ES_BRIDGE_FILE_MAX (1ull << 31)     /* refuse larger files        */

/* Writes size bytes to path atomically: path.tmp, fsync, rename, then
 * fsync of the directory. On failure path is untouched and no .tmp stays. */
es_status es_bridge_write_atomic(const char *path, const void *data,
                                 size_t size, es_error *err);

#endif
