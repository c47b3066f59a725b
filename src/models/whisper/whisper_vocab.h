/* whisper_vocab.h — Whisper's token ids: the special tokens derived from
 * n_vocab, the language codes, byte-level BPE detokenisation to UTF-8, and
 * the non-speech token set that decoding suppresses.
 *
 * A ggml file stores only the base vocabulary (raw bytes per token, id =
 * BPE rank); the special tokens follow it in openai/whisper's order
 * (tokenizer.py get_encoding; whisper.cpp whisper_vocab agrees):
 *
 *   eot = n_base            50256 (.en, gpt2 base) / 50257 (multilingual)
 *   sot = eot + 1
 *   n_languages language tokens (openai's LANGUAGES order: en, zh, de, ...)
 *   translate, transcribe, sot_lm, sot_prev, no_speech, no_timestamps
 *   timestamp_begin: 1501 timestamps <|0.00|> ... <|30.00|>, 0.02 s apart
 *
 * so n_vocab = n_base + 1509 + n_languages. Multilingual iff n_vocab >=
 * 51865 (whisper.cpp's rule): 51864 = .en (99 language slots, unused),
 * 51865 = multilingual with 99 languages, 51866 = large-v3 with 100.
 *
 * Some ggml files (for-tests-ggml-tiny.bin among them) store the 1476
 * multilingual tokens that are not valid UTF-8 by themselves (single bytes
 * >= 0x80, pieces of characters) as U+FFFD; es_whisper_vocab_new restores
 * their bytes from a table of openai's multilingual.tiktoken when the
 * stored form is exactly that lossy one (n_repaired counts them). */
#ifndef ES_MODELS_WHISPER_VOCAB_H
#define ES_MODELS_WHISPER_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"

#define ES_WHISPER_N_TIMESTAMPS 1501
#define ES_WHISPER_TIME_PRECISION 0.02   /* seconds per timestamp step */
#define ES_WHISPER_MAX_LANGUAGES 100     /* openai's LANGUAGES table   */

typedef struct es_whisper_vocab {
    int n_vocab;            /* logits per token                          */
    int multilingual;       /* n_vocab >= 51865                          */
    int n_languages;        /* language tokens (99, or 100 for large-v3) */
    int32_t eot;            /* = number of text tokens (ids below it)    */
    int32_t sot;
    int32_t lang_begin;     /* sot + 1: language i is lang_begin + i     */
    int32_t translate, transcribe, sot_lm, sot_prev, no_speech;
    int32_t no_timestamps;
    int32_t timestamp_begin;
    /* Base vocabulary bytes (may be empty: then text decodes to ""). */
    int n_tokens;           /* tokens with bytes (ids 0..n_tokens-1)     */
    char **bytes;           /* owned copies                              */
    int *len;
    int32_t space;          /* the token " " (suppress_blank), -1 if none */
    int n_repaired;         /* tokens whose U+FFFD-mangled bytes were restored */
    /* openai's Tokenizer.non_speech_tokens, sorted; empty without bytes. */
    int32_t *non_speech;
    int n_non_speech;
    void *index;            /* bytes → id hash for BPE (internal)         */
} es_whisper_vocab;

/* Special-token ids for a model with n_vocab logits; tokens (bytes per id,
 * as stored in the ggml file) may be NULL/0 for a vocabulary without text
 * (tests). Validates that n_vocab has room for the specials and that the
 * file's tokens do not overlap them (n_tokens <= eot + 1: multilingual
 * files store an empty token 50256 before eot). */
es_status es_whisper_vocab_new(int n_vocab, int n_tokens,
                               char *const *bytes, const int *len,
                               es_whisper_vocab **out, es_error *err);
/* Reads a whisper.cpp ggml file's header and vocabulary (the tensors are
 * not read), e.g. the vocab-only for-tests-ggml-tiny.bin. */
es_status es_whisper_vocab_load_file(const char *path, es_whisper_vocab **out,
                                     es_error *err);
void es_whisper_vocab_free(es_whisper_vocab *v);

static inline int es_whisper_is_timestamp(const es_whisper_vocab *v, int32_t t)
{
    return t >= v->timestamp_begin;
}

/* Language table (openai/whisper tokenizer.py LANGUAGES order). */
const char *es_whisper_lang_code(int i);   /* "en", "zh", ...; NULL past end */
const char *es_whisper_lang_name(int i);   /* "english", ...                */
/* Index of a code ("de") or English name ("german"), case-insensitive;
 * -1 if unknown or beyond the model's n_languages. */
int es_whisper_lang_index(const es_whisper_vocab *v, const char *code_or_name);
static inline int32_t es_whisper_lang_token(const es_whisper_vocab *v, int i)
{
    return v->lang_begin + i;
}

/* Text of the text tokens among tokens[0..n) (ids >= eot are skipped),
 * their bytes concatenated, invalid UTF-8 replaced with U+FFFD the way
 * Python's bytes.decode("utf-8", "replace") does (one U+FFFD per maximal
 * invalid subpart). *out is malloc'd and NUL-terminated. */
es_status es_whisper_detokenize(const es_whisper_vocab *v, const int32_t *tokens,
                                int n, char **out, es_error *err);

/* Bytes b[0..n) made valid UTF-8 (same replacement rule) into a malloc'd
 * NUL-terminated string; NULL when out of memory. */
char *es_whisper_utf8_sanitize(const char *b, size_t n);

/* Byte-pair encodes one pre-tokenised chunk (no regex splitting: the
 * caller gives e.g. " hello" or "♪♪") with tiktoken's rule: merge the
 * adjacent pair whose merged bytes have the lowest id, until none is in
 * the vocabulary. Writes up to max ids; returns the count (which may
 * exceed max), or -1 when a single byte is not in the vocabulary. */
int es_whisper_bpe_encode(const es_whisper_vocab *v, const char *b, size_t n,
                          int32_t *out, int max);
/* openai's non_speech_tokens derivation by BPE on this vocabulary (sorted,
 * malloc'd into *out; returns the count or -1). Symbols whose bytes the
 * file does not hold (see whisper_vocab.c) are missed; es_whisper_vocab_new
 * uses openai's published sets for the two standard base vocabularies. */
int es_whisper_vocab_derive_non_speech(const es_whisper_vocab *v, int32_t **out);
/* Id of the token whose bytes are exactly b[0..n), or -1. */
int32_t es_whisper_token_lookup(const es_whisper_vocab *v, const char *b, size_t n);

#endif
