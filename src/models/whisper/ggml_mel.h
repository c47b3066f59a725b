/* ggml_mel.h — reading the start of a whisper.cpp ggml model file: the
 * magic, the 11 hyperparameters and the mel filterbank.
 *
 * This is the first stage of the Whisper model loader. The log-mel front end
 * needs only the filters, so it stops there; the full loader continues from
 * es_whisper_ggml_header.vocab_offset (vocabulary, then tensors) with the same
 * bounded reader.
 *
 * Layout (little-endian, as written by whisper.cpp's converter):
 *   u32 magic 0x67676d6c ("ggml")
 *   i32 n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer,
 *       n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype
 *   i32 n_mel, i32 n_fft (= 201 bins), f32[n_mel × n_fft] filters
 *
 * Every read is checked against the file's size before it happens, so a
 * truncated or hostile file gives ES_ERR_FORMAT with a message naming the
 * file and what was being read, never a huge allocation or a short read. */
#ifndef ES_MODELS_WHISPER_GGML_MEL_H
#define ES_MODELS_WHISPER_GGML_MEL_H

#include <stdint.h>
#include <stdio.h>

#include "earshot.h"

#define ES_GGML_MAGIC 0x67676d6cu
/* Bins per mel filter stored in Whisper files: n_fft 400 → 201 bins. */
#define ES_GGML_MEL_N_FFT 201
#define ES_GGML_MAX_MELS 512

/* ---------------------------------------------------- bounded file reader */

/* A model file opened for reading, which knows its size and position so
 * that every read can be validated before it is attempted. */
typedef struct es_ggml_reader {
    FILE *fp;
    char *path;        /* owned copy, used in every error message */
    uint64_t size;     /* bytes in the file */
    uint64_t pos;      /* bytes consumed so far */
} es_ggml_reader;

/* Opens path. Errors: ES_ERR_NOT_FOUND, ES_ERR_PERMISSION, ES_ERR_IO. */
es_status es_ggml_reader_open(const char *path, es_ggml_reader *r,
                              es_error *err);
void es_ggml_reader_close(es_ggml_reader *r);
/* Reads exactly n bytes; what names the field for the error message.
 * ES_ERR_FORMAT if the file ends first. */
es_status es_ggml_read_bytes(es_ggml_reader *r, void *dst, size_t n,
                             const char *what, es_error *err);
es_status es_ggml_read_u32(es_ggml_reader *r, uint32_t *v, const char *what,
                           es_error *err);
es_status es_ggml_read_i32(es_ggml_reader *r, int32_t *v, const char *what,
                           es_error *err);
/* Reads n little-endian float32 values. */
es_status es_ggml_read_f32(es_ggml_reader *r, float *dst, size_t n,
                           const char *what, es_error *err);

/* ------------------------------------------------- header + mel filters */

/* The model hyperparameters, in file order. */
typedef struct es_whisper_hparams {
    int32_t n_vocab;
    int32_t n_audio_ctx;
    int32_t n_audio_state;
    int32_t n_audio_head;
    int32_t n_audio_layer;
    int32_t n_text_ctx;
    int32_t n_text_state;
    int32_t n_text_head;
    int32_t n_text_layer;
    int32_t n_mels;
    int32_t ftype;     /* ftype % 1000 is the type, 1000 × quantization version added */
} es_whisper_hparams;

typedef struct es_whisper_ggml_header {
    es_whisper_hparams hparams;
    int n_mel;              /* bands of the stored filterbank (= hparams.n_mels) */
    int n_fft;              /* bins per band: always 201 */
    float *mel_filters;     /* [n_mel × n_fft] row-major, owned */
    uint64_t vocab_offset;  /* where the vocabulary starts */
} es_whisper_ggml_header;

/* Reads magic, hparams and filters from the reader's current position (the
 * start of the file). On failure *out is left empty (nothing to free). */
es_status es_whisper_ggml_read_header(es_ggml_reader *r,
                                      es_whisper_ggml_header *out,
                                      es_error *err);
/* Opens path, reads the header, closes the file. */
es_status es_whisper_ggml_load_header(const char *path,
                                      es_whisper_ggml_header *out,
                                      es_error *err);
void es_whisper_ggml_header_free(es_whisper_ggml_header *h);

#endif
