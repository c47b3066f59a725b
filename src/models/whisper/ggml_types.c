/* ggml_types.c — sizes and dequantization of ggml tensor types (see
 * ggml_types.h). */
#include "models/whisper/ggml_types.h"

#include <string.h>

#include "nn/half.h"

const char *es_ggml_type_name(int type)
{
    switch (type) {
    case ES_GGML_TYPE_F32: return "f32";
    case ES_GGML_TYPE_F16: return "f16";
    case ES_GGML_TYPE_Q4_0: return "q4_0";
    case ES_GGML_TYPE_Q4_1: return "q4_1";
    case ES_GGML_TYPE_Q5_0: return "q5_0";
    case ES_GGML_TYPE_Q5_1: return "q5_1";
    case ES_GGML_TYPE_Q8_0: return "q8_0";
    default: return NULL;
    }
}

int es_ggml_type_block(int type)
{
    if (!es_ggml_type_name(type)) return 0;
    return type == ES_GGML_TYPE_F32 || type == ES_GGML_TYPE_F16 ? 1 : ES_GGML_QK;
}

int es_ggml_type_block_bytes(int type)
{
    switch (type) {
    case ES_GGML_TYPE_F32: return 4;
    case ES_GGML_TYPE_F16: return 2;
    case ES_GGML_TYPE_Q4_0: return 2 + 16;
    case ES_GGML_TYPE_Q4_1: return 4 + 16;
    case ES_GGML_TYPE_Q5_0: return 2 + 4 + 16;
    case ES_GGML_TYPE_Q5_1: return 4 + 4 + 16;
    case ES_GGML_TYPE_Q8_0: return 2 + 32;
    default: return 0;
    }
}

const char *es_ggml_ftype_name(int ftype)
{
    switch (ftype) {
    case 0: return "f32";
    case 1: return "f16";
    case 2: return "q4_0";
    case 3: return "q4_1";
    case 7: return "q8_0";
    case 8: return "q5_0";
    case 9: return "q5_1";
    default: return NULL;
    }
}

static uint16_t rd16(const unsigned char *b) { return (uint16_t)(b[0] | b[1] << 8); }

static uint32_t rd32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

void es_ggml_dequantize(int type, const void *src, float *dst, size_t n)
{
    const unsigned char *b = src;
    switch (type) {
    case ES_GGML_TYPE_F32:
        for (size_t i = 0; i < n; i++) {
            uint32_t u = rd32(b + 4 * i);
            memcpy(&dst[i], &u, 4);
        }
        return;
    case ES_GGML_TYPE_F16:
        for (size_t i = 0; i < n; i++) dst[i] = es_f16_to_f32(rd16(b + 2 * i));
        return;
    default:
        break;
    }
    const size_t bb = (size_t)es_ggml_type_block_bytes(type);
    for (size_t blk = 0; blk < n / ES_GGML_QK; blk++, b += bb, dst += ES_GGML_QK) {
        const float d = es_f16_to_f32(rd16(b));
        switch (type) {
        case ES_GGML_TYPE_Q8_0:
            for (int j = 0; j < 32; j++) dst[j] = d * (float)(int8_t)b[2 + j];
            break;
        case ES_GGML_TYPE_Q4_0:
            for (int j = 0; j < 16; j++) {
                dst[j] = d * (float)((b[2 + j] & 0x0f) - 8);
                dst[j + 16] = d * (float)((b[2 + j] >> 4) - 8);
            }
            break;
        case ES_GGML_TYPE_Q4_1: {
            const float m = es_f16_to_f32(rd16(b + 2));
            for (int j = 0; j < 16; j++) {
                dst[j] = d * (float)(b[4 + j] & 0x0f) + m;
                dst[j + 16] = d * (float)(b[4 + j] >> 4) + m;
            }
            break;
        }
        case ES_GGML_TYPE_Q5_0: {
            const uint32_t qh = rd32(b + 2);
            const unsigned char *qs = b + 6;
            for (int j = 0; j < 16; j++) {
                int x0 = (qs[j] & 0x0f) | (int)(((qh >> j) << 4) & 0x10);
                int x1 = (qs[j] >> 4) | (int)((qh >> (j + 12)) & 0x10);
                dst[j] = d * (float)(x0 - 16);
                dst[j + 16] = d * (float)(x1 - 16);
            }
            break;
        }
        case ES_GGML_TYPE_Q5_1: {
            const float m = es_f16_to_f32(rd16(b + 2));
            const uint32_t qh = rd32(b + 4);
            const unsigned char *qs = b + 8;
            for (int j = 0; j < 16; j++) {
                int x0 = (qs[j] & 0x0f) | (int)(((qh >> j) << 4) & 0x10);
                int x1 = (qs[j] >> 4) | (int)((qh >> (j + 12)) & 0x10);
                dst[j] = d * (float)x0 + m;
                dst[j + 16] = d * (float)x1 + m;
            }
            break;
        }
        default:
            break;
        }
    }
}
