/* index_models.h — which models an index uses, and whether they changed.
 *
 * An index records (in its metadata) the text encoder, the bridge, the
 * speech recogniser choice, the feature layout, the chunking and the mode.
 * Together they form the "models key" stored on every file row: a file
 * whose key differs from the current one is analysed again. Searching opens
 * the text encoder the index was built with (not whatever is newest), so
 * query and index vectors stay in one space. */
#ifndef ES_INDEX_MODELS_H
#define ES_INDEX_MODELS_H

#include "earshot.h"
#include "index/indexer.h"
#include "index/store.h"

typedef struct es_index_models {
    es_text_encoder *enc;
    es_bridge *bridge;          /* NULL: no sound path                      */
    char text_model[4096];      /* name or path to reopen the encoder       */
    char bridge_path[4096];     /* "" without a bridge                      */
    char bridge_hash[17];
    char asr_choice[4096];      /* "whisper:<file>", "pocketsphinx", "none" */
    char key[8192];             /* the models key of this configuration     */
} es_index_models;

/* For indexing: resolves the models from cfg, falling back to the ones the
 * index recorded, then to the defaults. */
es_status es_index_models_for_update(es_store *s, const es_index_config *cfg,
                                     es_index_models *m, es_error *err);
/* Writes the models and mode into the index's metadata (own transaction). */
es_status es_index_models_record(es_store *s, const es_index_config *cfg,
                                 const es_index_models *m, es_error *err);

/* For searching: the text encoder the index was built with; with
 * need_bridge, also its bridge (query by example). */
es_status es_index_models_for_search(es_store *s, int need_bridge,
                                     const char *models_dir,
                                     es_index_models *m, es_error *err);

void es_index_models_close(es_index_models *m);

#endif
