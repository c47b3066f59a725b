/* whisper_runner.h — what the decoding loop needs from a Whisper model, as
 * a table of functions. The real one wraps es_whisper_session
 * (whisper_model.h); tests supply scripted fakes to check the decoding rules
 * (timestamps, suppression, fallback, seek, beam search) exactly. */
#ifndef ES_MODELS_WHISPER_RUNNER_H
#define ES_MODELS_WHISPER_RUNNER_H

#include <stdint.h>

#include "earshot.h"

typedef struct es_whisper_runner {
    void *ctx;
    int n_vocab;          /* logits per token                        */
    int n_text_ctx;       /* longest token sequence (448 in Whisper) */
    int n_audio_ctx;      /* encoder positions of a 30 s window      */
    int n_mels;
    /* See es_whisper_encode / es_whisper_decode / es_whisper_seq_copy. */
    es_status (*encode)(void *ctx, const float *mel, int n_frames,
                        es_error *err);
    es_status (*decode)(void *ctx, int seq, const int32_t *tokens,
                        int n_tokens, int n_past, float *logits,
                        es_error *err);
    es_status (*seq_copy)(void *ctx, int dst, int src, int n_past,
                          es_error *err);
} es_whisper_runner;

#endif
