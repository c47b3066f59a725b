/* sha256_file.h — SHA-256 of a file, streamed through OpenSSL's EVP
 * interface (libcrypto), so a 90 MB model never has to fit in memory. */
#ifndef ES_APP_SHA256_FILE_H
#define ES_APP_SHA256_FILE_H

#include <stdint.h>

#include "earshot.h"

#define ES_SHA256_HEX_LEN 64

/* Writes the digest of the file at path as 64 lowercase hex digits plus a
 * NUL into hex, and its length into *n_bytes (may be NULL). */
es_status es_sha256_file(const char *path, char hex[ES_SHA256_HEX_LEN + 1],
                         uint64_t *n_bytes, es_error *err);

/* Same for a buffer in memory. Returns 0, or -1 if libcrypto fails. */
int es_sha256_buffer(const void *data, size_t len, char hex[ES_SHA256_HEX_LEN + 1]);

/* True when s is exactly 64 hex digits (either case). */
int es_sha256_hex_valid(const char *s);

#endif
