/* whisper_model.h — a Whisper model read from a whisper.cpp ggml file, and
 * the encoder/decoder forward pass (openai/whisper's architecture).
 *
 * Owned by the model code (loader + forward). The decoding rules and the
 * transcription loop (whisper_decode.h, whisper_transcribe.h) only see the
 * session functions below, through the es_whisper_runner interface of
 * whisper_runner.h, so they can be tested with a scripted fake model. */
#ifndef ES_MODELS_WHISPER_MODEL_H
#define ES_MODELS_WHISPER_MODEL_H

#include <stdint.h>

#include "earshot.h"
#include "models/whisper/ggml_mel.h"

typedef struct es_whisper_model es_whisper_model;

/* Vocabulary as stored in the file: raw bytes of each BPE token (no
 * special tokens; their ids are derived from n_vocab, see whisper_vocab.h). */
typedef struct es_whisper_file_vocab {
    int n;                 /* tokens stored (50256 .en / 50257 multilingual base) */
    char **bytes;          /* bytes[i]: token i's bytes (not NUL-terminated)       */
    int *len;              /* len[i]                                               */
} es_whisper_file_vocab;

typedef struct es_whisper_load_params {
    int int8;              /* quantize matrices to int8 (VNNI where available) */
    int vocab_only;        /* stop after the vocabulary (tests, tokenizer)      */
} es_whisper_load_params;

/* Loads and validates a ggml file. A vocab-only file (no tensors) fails
 * with ES_ERR_FORMAT "holds no tensors" unless vocab_only is set. */
es_status es_whisper_model_load(const char *path,
                                const es_whisper_load_params *params,
                                es_whisper_model **out, es_error *err);
void es_whisper_model_free(es_whisper_model *m);
const es_whisper_hparams *es_whisper_model_hparams(const es_whisper_model *m);
const es_whisper_file_vocab *es_whisper_model_vocab(const es_whisper_model *m);
/* Mel filters stored in the file [n_mels × 201]. */
const float *es_whisper_model_filters(const es_whisper_model *m);
/* e.g. "tiny.en", "base", from the hparams (layers, width, vocab size). */
const char *es_whisper_model_size_name(const es_whisper_model *m);
/* "f32", "f16", "q8_0", ... as stored in the file. */
const char *es_whisper_model_wtype(const es_whisper_model *m);

/* Per-transcription state: encoder output and cross-attention K/V of the
 * current window, and one self-attention KV cache per sequence (beam). */
typedef struct es_whisper_session es_whisper_session;

es_status es_whisper_session_new(const es_whisper_model *m, int n_seq,
                                 int threads, es_whisper_session **out,
                                 es_error *err);
void es_whisper_session_free(es_whisper_session *s);

/* Encodes mel [n_mels × n_frames] (row-major, already normalised as
 * whisper's log_mel_spectrogram, n_frames even, ≤ 2·n_audio_ctx). With
 * n_frames < 3000 only those frames are encoded (audio_ctx trimming:
 * n_frames/2 positions). Computes the cross-attention K/V of every layer. */
es_status es_whisper_encode(es_whisper_session *s, const float *mel,
                            int n_frames, es_error *err);
/* The encoder output of the last es_whisper_encode: [n_ctx × n_state]. */
const float *es_whisper_encoder_output(const es_whisper_session *s,
                                       int *n_ctx);
/* Feeds n_tokens tokens to sequence seq after its first n_past cached ones
 * (n_past + n_tokens ≤ n_text_ctx); writes the logits of every fed token to
 * logits[n_tokens × n_vocab]. */
es_status es_whisper_decode(es_whisper_session *s, int seq,
                            const int32_t *tokens, int n_tokens, int n_past,
                            float *logits, es_error *err);
/* Copies the first n_past cached positions of sequence src to dst (beam
 * search keeps the caches of the survivors). */
es_status es_whisper_seq_copy(es_whisper_session *s, int dst, int src,
                              int n_past, es_error *err);

#endif
