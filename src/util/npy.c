/* npy.c — .npy version 1.0 writer: magic, little-endian u16 header length,
 * a Python-dict header padded with spaces to a multiple of 64 bytes, then the
 * raw little-endian float32 data. */
#include "util/npy.h"
#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

es_status es_npy_write_f32(const char *path, const float *data,
                           const size_t *shape, int ndim, es_error *err)
{
    if (!path || !shape || ndim < 1 || ndim > 4)
        return es_fail(err, ES_ERR_INVALID_ARG, "npy: bad shape or path");
    char dims[160] = "";
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        char one[40];
        snprintf(one, sizeof one, ndim == 1 ? "%zu," : (i ? " %zu" : "%zu"),
                 shape[i]);
        if (ndim > 1 && i < ndim - 1) strcat(one, ",");
        strcat(dims, one);
        count *= shape[i];
    }
    if (count && !data)
        return es_fail(err, ES_ERR_INVALID_ARG, "npy: no data");

    char header[256];
    int len = snprintf(header, sizeof header,
                       "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }",
                       dims);
    /* 10 bytes of preamble + header + '\n' must be a multiple of 64. */
    size_t total = 10 + (size_t)len + 1;
    size_t padded = (total + 63) / 64 * 64;
    memset(header + len, ' ', padded - total);
    header[padded - 10 - 1] = '\n';
    size_t hlen = padded - 10;

    FILE *f = fopen(path, "wb");
    if (!f)
        return es_fail(err, ES_ERR_IO, "%s: cannot create: %s", path,
                       strerror(errno));
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, hlen, f) == hlen &&
             fwrite(data, sizeof(float), count, f) == count;
    /* earshot only targets little-endian hosts (x86-64, arm64). */
    if (fclose(f) != 0) ok = 0;
    if (!ok)
        return es_fail(err, ES_ERR_IO, "%s: write failed: %s", path,
                       strerror(errno));
    return ES_OK;
}
