/* sha256_file.c — SHA-256 of files and buffers with libcrypto's EVP API
 * (the low-level SHA256_* calls are deprecated in OpenSSL 3). */
#include "app/sha256_file.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/models_util.h"

static void to_hex(const unsigned char *md, char hex[ES_SHA256_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[ES_SHA256_HEX_LEN] = '\0';
}

es_status es_sha256_file(const char *path, char hex[ES_SHA256_HEX_LEN + 1],
                         uint64_t *n_bytes, es_error *err)
{
    hex[0] = '\0';
    if (n_bytes) *n_bytes = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return es_fail(err, errno == ENOENT ? ES_ERR_NOT_FOUND : ES_ERR_IO,
                              "%s: cannot open: %s", path, strerror(errno));
    enum { BUF = 1 << 20 };
    unsigned char *buf = malloc(BUF);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    es_status s = ES_OK;
    uint64_t total = 0;
    if (!buf || !ctx) {
        s = es_fail(err, ES_ERR_NOMEM, "out of memory hashing %s", path);
    } else if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        s = es_fail(err, ES_ERR_INTERNAL, "libcrypto: cannot start SHA-256");
    } else {
        size_t got;
        while ((got = fread(buf, 1, BUF, f)) > 0) {
            if (EVP_DigestUpdate(ctx, buf, got) != 1) {
                s = es_fail(err, ES_ERR_INTERNAL, "libcrypto: SHA-256 update failed");
                break;
            }
            total += got;
        }
        if (s == ES_OK && ferror(f))
            s = es_fail(err, ES_ERR_IO, "%s: read error after %llu bytes", path,
                               (unsigned long long)total);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;
        if (s == ES_OK && (EVP_DigestFinal_ex(ctx, md, &md_len) != 1 || md_len != 32))
            s = es_fail(err, ES_ERR_INTERNAL, "libcrypto: SHA-256 final failed");
        if (s == ES_OK) to_hex(md, hex);
    }
    EVP_MD_CTX_free(ctx);
    free(buf);
    fclose(f);
    if (s == ES_OK && n_bytes) *n_bytes = total;
    return s;
}

int es_sha256_buffer(const void *data, size_t len, char hex[ES_SHA256_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    hex[0] = '\0';
    if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32)
        return -1;
    to_hex(md, hex);
    return 0;
}

int es_sha256_hex_valid(const char *s)
{
    if (!s) return 0;
    size_t i = 0;
    for (; s[i]; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return i == ES_SHA256_HEX_LEN;
}
