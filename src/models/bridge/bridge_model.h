/* bridge_model.h — a bridge as stored and loaded: the net plus what it was
 * trained on (input layout, text space, Whisper model for hybrid inputs)
 * and free-form training notes. The public es_bridge wraps this.
 *
 * Owned by bridge_file.c (versioned, checksummed file; docs/FORMATS.md)
 * and bridge_api.c (the public functions of earshot.h). */
#ifndef ES_MODELS_BRIDGE_MODEL_H
#define ES_MODELS_BRIDGE_MODEL_H

#include "earshot.h"
#include "models/bridge/bridge_net.h"

#define ES_BRIDGE_IDENTITY_MAX 256

typedef struct es_bridge_meta {
    es_bridge_input input;
    int features_layout;    /* ES_FEATURES_LAYOUT_VERSION at training       */
    int feature_dim;        /* hand-crafted part: 128 (full/hybrid) or 5    */
    int whisper_dim;        /* hybrid: 2 · n_audio_state (mean ‖ max); else 0 */
    char whisper_identity[ES_BRIDGE_IDENTITY_MAX];  /* hybrid; else ""       */
    char text_identity[ES_BRIDGE_IDENTITY_MAX];     /* es_text_encoder_identity */
    char *notes;            /* UTF-8 JSON (training config, metrics) or NULL;
                               owned (malloc)                               */
} es_bridge_meta;

struct es_bridge {
    es_bridge_net *net;
    es_bridge_meta meta;
    char describe[256];
};

/* Writes net + meta to path atomically (temp file + rename). With int8 the
 * weights are stored as int8 + per-row scales (the net is quantized first
 * if it is not already). Checks net.dims[0] == feature_dim + whisper_dim. */
es_status es_bridge_save(const char *path, const es_bridge_net *net,
                         const es_bridge_meta *meta, int int8, es_error *err);
/* Reads and validates a bridge file (magic, version, CRC, sizes, values);
 * hostile files get ES_ERR_FORMAT naming the file, never a crash. */
es_status es_bridge_read(const char *path, es_bridge_net **net,
                         es_bridge_meta *meta, es_error *err);
void es_bridge_meta_free(es_bridge_meta *meta);

/* ES_OK when the bridge at path (meta) was trained for the text space
 * `identity` (an es_text_encoder_identity); else ES_ERR_FORMAT with a
 * message naming both identities and what to do. (bridge_api.c) */
es_status es_bridge_check_identity(const es_bridge_meta *meta, const char *path,
                                   const char *identity, es_error *err);

#endif
