/* test_bridge_protobuf.c — the protobuf wire-format writer behind the ONNX
 * export (src/models/bridge/protobuf.c), byte for byte against encodings
 * worked out from the protobuf specification. (The whole ONNX file is
 * checked by tests/ref/test_bridge_onnx.py with the onnx package.) */
#include "testlib.h"

#include <string.h>

#include "models/bridge/protobuf.h"

static void expect(es_pb *b, const uint8_t *want, size_t n)
{
    assert_false(b->oom);
    assert_int_equal(b->len, n);
    assert_memory_equal(b->data, want, n);
    es_pb_free(b);
}

static void test_varints(void **state)
{
    (void)state;
    es_pb b = {0};
    es_pb_raw_varint(&b, 0);
    es_pb_raw_varint(&b, 1);
    es_pb_raw_varint(&b, 127);
    es_pb_raw_varint(&b, 128);
    es_pb_raw_varint(&b, 300);
    const uint8_t w1[] = {0x00, 0x01, 0x7f, 0x80, 0x01, 0xac, 0x02};
    expect(&b, w1, sizeof w1);

    es_pb_raw_varint(&b, UINT64_MAX);
    const uint8_t w2[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                          0x01};
    expect(&b, w2, sizeof w2);

    /* field 1 int64 150; field 2 int64 -1 (ten bytes); field 20 = 2 */
    es_pb_int64(&b, 1, 150);
    es_pb_int64(&b, 2, -1);
    es_pb_int64(&b, 20, 2);
    const uint8_t w3[] = {0x08, 0x96, 0x01, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff,
                          0xff, 0xff, 0xff, 0xff, 0x01, 0xa0, 0x01, 0x02};
    expect(&b, w3, sizeof w3);
}

static void test_fixed_and_bytes(void **state)
{
    (void)state;
    es_pb b = {0};
    es_pb_fixed32(&b, 3, 0x01020304u);
    es_pb_float(&b, 2, 1.0f);
    es_pb_string(&b, 2, "testing");
    es_pb_string(&b, 1, "");
    const uint8_t w[] = {0x1d, 0x04, 0x03, 0x02, 0x01,
                         0x15, 0x00, 0x00, 0x80, 0x3f,
                         0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g',
                         0x0a, 0x00};
    expect(&b, w, sizeof w);

    const float v[] = {1.0f, -2.0f};
    es_pb_packed_floats(&b, 4, v, 2);
    const uint8_t wp[] = {0x22, 0x08, 0x00, 0x00, 0x80, 0x3f,
                          0x00, 0x00, 0x00, 0xc0};
    expect(&b, wp, sizeof wp);
}

static void test_nested_and_growth(void **state)
{
    (void)state;
    es_pb child = {0}, parent = {0};
    es_pb_int64(&child, 1, 150);
    es_pb_message(&parent, 3, &child);
    es_pb empty = {0};
    es_pb_message(&parent, 4, &empty);
    const uint8_t w[] = {0x1a, 0x03, 0x08, 0x96, 0x01, 0x22, 0x00};
    expect(&parent, w, sizeof w);
    es_pb_free(&child);

    /* A long run grows the buffer many times and keeps every byte. */
    static uint8_t big[100000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 31 + 7);
    es_pb_bytes(&parent, 9, big, sizeof big);
    assert_false(parent.oom);
    /* tag 0x4a, length 100000 = varint a0 8d 06 */
    assert_int_equal(parent.len, 1 + 3 + sizeof big);
    const uint8_t head[] = {0x4a, 0xa0, 0x8d, 0x06};
    assert_memory_equal(parent.data, head, 4);
    assert_memory_equal(parent.data + 4, big, sizeof big);
    es_pb_free(&parent);

    /* An out-of-memory child marks its parent. */
    child.oom = 1;
    es_pb_message(&parent, 1, &child);
    assert_true(parent.oom);
    es_pb_int64(&parent, 1, 1);
    assert_int_equal(parent.len, 0);
    es_pb_free(&parent);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varints),
        cmocka_unit_test(test_fixed_and_bytes),
        cmocka_unit_test(test_nested_and_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
