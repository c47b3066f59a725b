/* ggml_types.h — the tensor element types of ggml model files (f32, f16 and
 * the block quantizations q4_0, q4_1, q5_0, q5_1, q8_0): their sizes, so a
 * loader can check a tensor's byte count before reading it, and their exact
 * dequantization to float32.
 *
 * Block layouts (32 values a block, little-endian, as ggml writes them):
 *   q8_0: f16 d, int8 q[32]                  → d·q
 *   q4_0: f16 d, u8 qs[16]                   → d·(nibble − 8)
 *   q4_1: f16 d, f16 m, u8 qs[16]            → d·nibble + m
 *   q5_0: f16 d, u32 qh, u8 qs[16]           → d·(5-bit − 16)
 *   q5_1: f16 d, f16 m, u32 qh, u8 qs[16]    → d·5-bit + m
 * In the 4/5-bit forms value j < 16 takes the low nibble of qs[j] and value
 * j + 16 the high nibble; bit j (resp. j + 16) of qh is the fifth bit. */
#ifndef ES_MODELS_WHISPER_GGML_TYPES_H
#define ES_MODELS_WHISPER_GGML_TYPES_H

#include <stddef.h>
#include <stdint.h>

enum {
    ES_GGML_TYPE_F32 = 0,
    ES_GGML_TYPE_F16 = 1,
    ES_GGML_TYPE_Q4_0 = 2,
    ES_GGML_TYPE_Q4_1 = 3,
    ES_GGML_TYPE_Q5_0 = 6,
    ES_GGML_TYPE_Q5_1 = 7,
    ES_GGML_TYPE_Q8_0 = 8
};

#define ES_GGML_QK 32   /* values per quantization block */

/* Name of a tensor type ("q8_0"), or NULL when earshot cannot read it. */
const char *es_ggml_type_name(int type);
/* Values per block (1 for f32/f16, 32 otherwise) and bytes per block;
 * 0 for a type earshot cannot read. */
int es_ggml_type_block(int type);
int es_ggml_type_block_bytes(int type);
/* Name of a file-level ftype (hparams.ftype % 1000: 0 f32, 1 f16, 2 q4_0,
 * 3 q4_1, 7 q8_0, 8 q5_0, 9 q5_1), or NULL when unknown. */
const char *es_ggml_ftype_name(int ftype);

/* Widens n values (n a multiple of the type's block) stored in src to
 * float32. */
void es_ggml_dequantize(int type, const void *src, float *dst, size_t n);

#endif
