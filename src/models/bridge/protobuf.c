/* protobuf.c — the protobuf wire-format writer (protobuf.h): a growable
 * byte buffer plus the encodings of the field kinds ONNX needs. Values are
 * encoded little-endian whatever the host. */
#include "models/bridge/protobuf.h"

#include <stdlib.h>
#include <string.h>

void es_pb_free(es_pb *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static int reserve(es_pb *b, size_t n)
{
    if (b->oom)
        return 0;
    if (n <= b->cap - b->len)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return 0;
        }
        cap *= 2;
    }
    uint8_t *d = realloc(b->data, cap);
    if (!d) {
        b->oom = 1;
        return 0;
    }
    b->data = d;
    b->cap = cap;
    return 1;
}

void es_pb_raw(es_pb *b, const void *data, size_t n)
{
    if (n == 0 || !reserve(b, n))
        return;
    memcpy(b->data + b->len, data, n);
    b->len += n;
}

void es_pb_raw_varint(es_pb *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        uint8_t byte = (uint8_t)(v & 0x7f);
        v >>= 7;
        tmp[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
    } while (v);
    es_pb_raw(b, tmp, n);
}

void es_pb_tag(es_pb *b, uint32_t field, int wire_type)
{
    es_pb_raw_varint(b, ((uint64_t)field << 3) | (uint64_t)wire_type);
}

void es_pb_uint64(es_pb *b, uint32_t field, uint64_t v)
{
    es_pb_tag(b, field, ES_PB_VARINT);
    es_pb_raw_varint(b, v);
}

void es_pb_int64(es_pb *b, uint32_t field, int64_t v)
{
    es_pb_uint64(b, field, (uint64_t)v);
}

static void put_le32(es_pb *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};
    es_pb_raw(b, p, 4);
}

void es_pb_fixed32(es_pb *b, uint32_t field, uint32_t v)
{
    es_pb_tag(b, field, ES_PB_FIXED32);
    put_le32(b, v);
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

void es_pb_float(es_pb *b, uint32_t field, float v)
{
    es_pb_fixed32(b, field, float_bits(v));
}

void es_pb_bytes(es_pb *b, uint32_t field, const void *data, size_t n)
{
    es_pb_tag(b, field, ES_PB_LEN);
    es_pb_raw_varint(b, n);
    es_pb_raw(b, data, n);
}

void es_pb_string(es_pb *b, uint32_t field, const char *s)
{
    es_pb_bytes(b, field, s, strlen(s));
}

void es_pb_packed_floats(es_pb *b, uint32_t field, const float *v, size_t n)
{
    es_pb_tag(b, field, ES_PB_LEN);
    es_pb_raw_varint(b, 4 * (uint64_t)n);
    if (!reserve(b, 4 * n))
        return;
    for (size_t i = 0; i < n; i++)
        put_le32(b, float_bits(v[i]));
}

void es_pb_message(es_pb *b, uint32_t field, const es_pb *child)
{
    if (child->oom) {
        b->oom = 1;
        return;
    }
    es_pb_bytes(b, field, child->data, child->len);
}
