/* whisper_decode.h — Whisper's decoding of one 30 s window, as
 * openai/whisper's decoding.py defines it: the logit filters (suppress
 * blank, suppress tokens, timestamp rules), log-softmax, no-speech
 * probability, compression ratio, greedy decoding, seeded sampling at a
 * temperature with best-of-N, and beam search with patience ranked by
 * length-normalised log-probability (MaximumLikelihoodRanker).
 *
 * The filters and scores are pure functions on one logits row so they can
 * be tested on hand-made numbers; es_whisper_decode_window drives a model
 * through the es_whisper_runner table (whisper_runner.h). */
#ifndef ES_MODELS_WHISPER_DECODE_H
#define ES_MODELS_WHISPER_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"
#include "models/whisper/whisper_runner.h"
#include "models/whisper/whisper_vocab.h"

/* ------------------------------------------------------------ filters */

/* At the first sampled position (n_sampled == 0): the token " " and eot
 * become -inf (openai SuppressBlank). */
void es_whisper_suppress_blank(const es_whisper_vocab *v, float *logits,
                               int n_sampled);
/* openai SuppressTokens with suppress_tokens="-1": the non-speech set (when
 * non_speech is set) and always sot, sot_prev, sot_lm, no_speech; earshot
 * also suppresses the language and task tokens and <|notimestamps|>, which
 * never belong in sampled text (whisper.cpp does the same). */
void es_whisper_suppress_tokens(const es_whisper_vocab *v, float *logits,
                                int non_speech);
/* openai ApplyTimestampRules on the tokens sampled so far:
 *  - <|notimestamps|> is never sampled;
 *  - last two sampled were timestamps (or only one was sampled and it was a
 *    timestamp) → no timestamp next; last was a timestamp after text → no
 *    text next (a timestamp or eot);
 *  - timestamps never decrease: after a pair-closing timestamp (last was a
 *    timestamp, penultimate text) the next may equal it; otherwise it must
 *    be strictly greater than the last timestamp sampled;
 *  - at the first position only timestamps, at most
 *    max_initial_index (≥ 0; < 0 = no limit);
 *  - max_index ≥ 0: no timestamp beyond it (earshot: trimmed windows);
 *  - if the probability mass of all timestamps exceeds that of the most
 *    probable text token, only timestamps remain. */
void es_whisper_timestamp_rules(const es_whisper_vocab *v,
                                const int32_t *sampled, int n_sampled,
                                int max_initial_index, int max_index,
                                float *logits);

typedef struct es_whisper_filter {
    int suppress_blank;              /* 1 */
    int suppress_non_speech;         /* 1: openai's "-1" */
    int timestamps;                  /* 1: apply the timestamp rules */
    int max_initial_timestamp_index; /* 50 (1.0 s); < 0: none */
    int max_timestamp_index;         /* < 0: none */
} es_whisper_filter;

/* The filters in openai's order: blank, tokens, timestamps. */
void es_whisper_apply_filters(const es_whisper_vocab *v,
                              const es_whisper_filter *f,
                              const int32_t *sampled, int n_sampled,
                              float *logits);

/* ------------------------------------------------------------- scores */

/* log(sum(exp(x))) over n values (−inf entries allowed; all −inf → −inf). */
double es_whisper_logsumexp(const float *x, int n);
/* out[i] = x[i] − logsumexp(x); out may equal x. */
void es_whisper_log_softmax(const float *x, int n, float *out);
/* softmax(x)[idx], e.g. the no-speech probability at the SOT position. */
float es_whisper_softmax_at(const float *x, int n, int idx);
/* First index of the largest value (−1 if n == 0). */
int es_whisper_argmax(const float *x, int n);
/* len(text) / len(zlib.compress(text)), as openai's compression_ratio
 * (zlib's default level); 0 for empty text. */
float es_whisper_compression_ratio(const char *text, size_t n);
/* openai: sum_logprob / (n_tokens + 1) (eot counts). */
static inline float es_whisper_avg_logprob(double sum_logprob, int n_tokens)
{
    return (float)(sum_logprob / (double)(n_tokens + 1));
}

/* Language detection on the logits after <|startoftranscript|>: argmax
 * over the language tokens; probs (n_languages, may be NULL) gets their
 * softmax. Returns the language index. */
int es_whisper_language_argmax(const es_whisper_vocab *v, const float *logits,
                               float *probs);

/* ------------------------------------------------------------ sampling */

/* Deterministic PRNG (splitmix64): the same seed gives the same samples. */
typedef struct es_whisper_rng {
    uint64_t s;
} es_whisper_rng;
void es_whisper_rng_seed(es_whisper_rng *r, uint64_t seed);
uint64_t es_whisper_rng_next(es_whisper_rng *r);
double es_whisper_rng_uniform(es_whisper_rng *r);       /* [0, 1) */
/* A draw from softmax(logits / temperature) (temperature > 0); −inf
 * logits are never drawn. */
int es_whisper_sample(const float *logits, int n, float temperature,
                      es_whisper_rng *rng);

/* --------------------------------------------------- decoding a window */

typedef struct es_whisper_decode_opts {
    float temperature;        /* 0: greedy or beam search                  */
    int beam_size;            /* > 1 with temperature 0: beam search       */
    float patience;           /* beam search: finished candidates = round(beam × patience) */
    int best_of;              /* temperature > 0: samples drawn, best kept  */
    int sample_len;           /* most tokens sampled; 0: n_text_ctx / 2 (openai) */
    es_whisper_filter filter;
    uint64_t seed;            /* sampling PRNG seed                         */
} es_whisper_decode_opts;

es_whisper_decode_opts es_whisper_decode_default_opts(void);

typedef struct es_whisper_result {
    int32_t *tokens;          /* sampled tokens, eot excluded (malloc'd)    */
    int n_tokens;
    double sum_logprob;       /* including the eot token's                  */
    float avg_logprob;        /* sum_logprob / (n_tokens + 1)               */
    float no_speech_prob;     /* softmax at the SOT position                */
    float compression_ratio;  /* of the stripped text                       */
    float temperature;
    char *text;               /* detokenised text tokens (malloc'd)         */
} es_whisper_result;

void es_whisper_result_free(es_whisper_result *r);

/* A window's prompt, decoded once and shared by every attempt
 * (temperatures, samples, beams): initial = [sot_prev, prompt...,] sot
 * sequence. Fills last_logits [n_vocab] (logits after the last initial
 * token) and *no_speech_prob (softmax at sot_index). Uses sequence 0. */
es_status es_whisper_decode_prompt(const es_whisper_runner *r,
                                   const es_whisper_vocab *v,
                                   const int32_t *initial, int n_initial,
                                   int sot_index, float *last_logits,
                                   float *no_speech_prob, es_error *err);

/* Samples tokens after a prompt decoded by es_whisper_decode_prompt
 * (sequence 0 holds its cache; beam search also uses sequences
 * 1..beam_size-1). The runner must accept seq ids < max(1, beam_size). */
es_status es_whisper_decode_continue(const es_whisper_runner *r,
                                     const es_whisper_vocab *v, int n_initial,
                                     const float *last_logits,
                                     float no_speech_prob,
                                     const es_whisper_decode_opts *o,
                                     es_whisper_result *out, es_error *err);

/* Both of the above: one window, one temperature. */
es_status es_whisper_decode_window(const es_whisper_runner *r,
                                   const es_whisper_vocab *v,
                                   const int32_t *initial, int n_initial,
                                   int sot_index,
                                   const es_whisper_decode_opts *o,
                                   es_whisper_result *out, es_error *err);

/* Runs the decoder on [sot] (sequence 0) and returns the detected
 * language index (the encoder must have run). probs may be NULL. */
es_status es_whisper_detect_language(const es_whisper_runner *r,
                                     const es_whisper_vocab *v, int *lang,
                                     float *probs, es_error *err);

#endif
