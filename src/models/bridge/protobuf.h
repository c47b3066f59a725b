/* protobuf.h — just enough of the protobuf wire format to write an ONNX
 * model (bridge_onnx.c) without a protobuf library: varints, 32-bit
 * fixed values, length-delimited bytes/strings, packed floats, and nested
 * messages built in their own buffer and then appended to the parent.
 *
 * Errors are sticky: an allocation failure sets `oom` and later calls do
 * nothing, so a writer checks once at the end. */
#ifndef ES_MODELS_BRIDGE_PROTOBUF_H
#define ES_MODELS_BRIDGE_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct es_pb {
    uint8_t *data;
    size_t len, cap;
    int oom;
} es_pb;

/* Wire types. */
#define ES_PB_VARINT 0
#define ES_PB_FIXED64 1
#define ES_PB_LEN 2
#define ES_PB_FIXED32 5

void es_pb_free(es_pb *b);  /* releases data; b may be reused after */

void es_pb_raw(es_pb *b, const void *data, size_t n);
void es_pb_raw_varint(es_pb *b, uint64_t v);
void es_pb_tag(es_pb *b, uint32_t field, int wire_type);

/* One field each. int64 uses two's complement (10 bytes when negative),
 * as protobuf's int64 does. */
void es_pb_uint64(es_pb *b, uint32_t field, uint64_t v);
void es_pb_int64(es_pb *b, uint32_t field, int64_t v);
void es_pb_fixed32(es_pb *b, uint32_t field, uint32_t v);
void es_pb_float(es_pb *b, uint32_t field, float v);
void es_pb_bytes(es_pb *b, uint32_t field, const void *data, size_t n);
void es_pb_string(es_pb *b, uint32_t field, const char *s);
/* A packed repeated float field: one length-delimited run of fixed32. */
void es_pb_packed_floats(es_pb *b, uint32_t field, const float *v, size_t n);
/* Appends child as a nested message; child stays owned by the caller.
 * A child that ran out of memory marks the parent too. */
void es_pb_message(es_pb *b, uint32_t field, const es_pb *child);

#endif
