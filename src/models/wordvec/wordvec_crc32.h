/* wordvec_crc32.h — CRC-32 (IEEE 802.3, the one zlib and Python's
 * zlib.crc32 compute), used to check .eswv files at open. */
#ifndef ES_MODELS_WORDVEC_CRC32_H
#define ES_MODELS_WORDVEC_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC: start with crc = 0. */
uint32_t es_crc32(uint32_t crc, const void *data, size_t len);

#endif
