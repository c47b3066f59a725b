/* whisper_weights.h — what a loaded Whisper model and a session hold, shared
 * by the loader (whisper_load.c), the encoder (whisper_encoder.c), the
 * decoder (whisper_decoder.c) and the session code (whisper_model.c).
 * Nothing outside those files includes it: the rest of earshot sees the
 * opaque types of whisper_model.h.
 *
 * Every matrix is an es_linear in PyTorch's [n_out × n_in] layout: float32,
 * or int8 with per-row scales when the model was loaded with params.int8
 * (see whisper_load.c for why f16/q8_0 files are widened to f32 at load). */
#ifndef ES_MODELS_WHISPER_WEIGHTS_H
#define ES_MODELS_WHISPER_WEIGHTS_H

#include <stdint.h>

#include "models/whisper/whisper_model.h"
#include "nn/linear.h"

/* One multi-head attention: query, key, value and output projections.
 * For self-attention, q/k/v are stacked into one [3d × d] matrix (the key's
 * bias rows are 0: openai's key projection has no bias) so one GEMM makes
 * all three. For cross-attention q is separate from the stacked [2d × d]
 * key/value matrix, which runs once per window over the encoder output. */
typedef struct wh_attn {
    es_linear qkv;     /* self: [3d × d]; cross: query only [d × d] */
    es_linear kv;      /* cross only: [2d × d] (key bias 0)          */
    es_linear out;     /* [d × d] */
} wh_attn;

typedef struct wh_block {
    float *attn_ln_g, *attn_ln_b;
    wh_attn attn;
    float *cross_ln_g, *cross_ln_b;   /* decoder only */
    wh_attn cross;                    /* decoder only */
    float *mlp_ln_g, *mlp_ln_b;
    es_linear mlp0;    /* [4d × d] */
    es_linear mlp2;    /* [d × 4d] */
} wh_block;

struct es_whisper_model {
    char *path;
    es_whisper_hparams hp;
    es_whisper_file_vocab vocab;
    char *vocab_blob;           /* the bytes vocab.bytes points into */
    float *filters;             /* [n_mels × 201] */
    char size_name[32];
    int vocab_only;
    int int8;

    /* encoder */
    es_linear conv1;            /* [d × n_mels·3] (torch [out][in][k] flattened) */
    es_linear conv2;            /* [d × d·3] */
    float *enc_pos;             /* [n_audio_ctx × d] */
    wh_block *enc;              /* [n_audio_layer] */
    float *ln_post_g, *ln_post_b;

    /* decoder */
    es_linear logits;           /* token embedding [n_vocab × d], no bias */
    es_matrix tok_rows;         /* int8 copy for the embedding lookup (int8 mode) */
    float *dec_pos;             /* [n_text_ctx × d] */
    wh_block *dec;              /* [n_text_layer] */
    float *ln_g, *ln_b;
};

struct es_whisper_session {
    const es_whisper_model *m;
    int n_seq;
    int threads;
    int n_ctx;                  /* encoder positions of the last encode, 0 = none */
    float *enc_out;             /* [n_audio_ctx × d] */
    float **cross_kv;           /* per decoder layer: [n_audio_ctx × 2d] (k | v) */
    float **self_k, **self_v;   /* [layer·n_seq + seq]: [n_text_ctx × d] */
    int *n_cached;              /* per sequence: positions held in the cache */
};

#define WH_LN_EPS 1e-5f

/* Encoder / decoder internals (whisper_encoder.c, whisper_decoder.c). */
es_status wh_encode(es_whisper_session *s, const float *mel, int n_frames,
                    es_error *err);
es_status wh_decode(es_whisper_session *s, int seq, const int32_t *tokens,
                    int n_tokens, int n_past, float *logits, es_error *err);

/* Multi-head attention of T queries over L keys for one head layout:
 * q [T × ·] (row stride qs), k, v [L × ·] (row strides ks, vs), out
 * [T × d] (stride os). causal_from ≥ 0: query t sees keys 0..causal_from+t;
 * < 0: all keys. scores needs T·L floats. */
void wh_attention(const float *q, int qs, const float *k, int ks,
                  const float *v, int vs, float *out, int os, int T, int L,
                  int n_head, int d, int causal_from, float *scores);

/* Largest es_linear_scratch of the model's layers. */
size_t wh_model_scratch(const es_whisper_model *m);

#endif
