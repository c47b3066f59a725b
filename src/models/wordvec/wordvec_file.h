/* wordvec_file.h — the .eswv layout constants and the handle's innards,
 * shared by wordvec.c (open, lookup) and wordvec_embed.c (sentence vectors,
 * neighbours). docs/FORMATS.md is the specification; keep them in step. */
#ifndef ES_MODELS_WORDVEC_FILE_H
#define ES_MODELS_WORDVEC_FILE_H

#include "models/wordvec/wordvec.h"

#include <stddef.h>
#include <stdint.h>

#define ESWV_MAGIC "ESWV"
#define ESWV_VERSION 1
#define ESWV_HEADER_SIZE 256
#define ESWV_HEADER_CRC_AT 252 /* CRC-32 of header bytes [0, 252) */
#define ESWV_ALIGN 64
#define ESWV_MAX_DIM 4096
#define ESWV_MAX_WORDS (1u << 26)

struct es_wordvec {
    const uint8_t *map; /* the whole file, read-only */
    size_t map_size;
    es_wordvec_info info;
    const uint32_t *offsets; /* [n_words + 1] into strings            */
    const char *strings;
    uint64_t strings_size;
    const uint32_t *ranks;   /* [n_words] 0-based source ranks         */
    const uint32_t *hash;    /* [hash_mask + 1] word index + 1, 0 empty */
    uint32_t hash_mask;
    const float *scales;     /* [n_words], int8 only                   */
    const uint8_t *vectors;  /* [n_words][dim] f16 or int8              */
};

#endif
