/* asr_impl.h — how a speech-recognition backend plugs into the public
 * es_asr handle (the same pattern as text_encoder_impl.h). asr.c does the
 * selection and dispatch; backends live in src/models/whisper/ and
 * src/models/asr/pocketsphinx_backend.c. */
#ifndef ES_MODELS_ASR_IMPL_H
#define ES_MODELS_ASR_IMPL_H

#include "earshot.h"

typedef struct es_asr_backend {
    es_asr_kind kind;
    char describe[256];
    void *impl;
    /* Fills *out (allocated with es_transcript_alloc helpers in asr.c). */
    es_status (*transcribe)(void *impl, const float *samples, size_t n,
                            es_transcript **out, es_error *err);
    void (*free)(void *impl);
} es_asr_backend;

es_status es_whisper_backend_open(const char *path, const es_asr_params *params,
                                  es_asr_backend *out, es_error *err);
es_status es_pocketsphinx_backend_open(const char *model_dir,
                                       const es_asr_params *params,
                                       es_asr_backend *out, es_error *err);

/* Transcript building, shared by the backends. */
es_transcript *es_transcript_new(void);
/* Appends a segment (copies text and tokens); ES_ERR_NOMEM on failure. */
es_status es_transcript_add(es_transcript *t, double start, double end,
                            const char *text, float avg_logprob,
                            float no_speech_prob, const int32_t *tokens,
                            int n_tokens);

#endif
