/* wordvec_tokenize.h — splits text into the tokens the word vectors know:
 * case-folded, accent-stripped runs of letters and digits, with English
 * contractions resolved. The rules are written down in docs/WORDVEC.md
 * ("Tokenisation") and mirrored by tests/ref/wordvec_ref.py. */
#ifndef ES_MODELS_WORDVEC_TOKENIZE_H
#define ES_MODELS_WORDVEC_TOKENIZE_H

#include <stddef.h>

/* Longest word (bytes after folding, apostrophes included) that is looked
 * at; longer words cannot be in any vocabulary and are skipped whole. */
#define ES_WORDVEC_MAX_WORD 255

/* Called once per token, in text order; tok is not NUL-terminated. */
typedef void (*es_wordvec_token_fn)(const char *tok, size_t len, void *ctx);

/* Tokenises len bytes of UTF-8 (invalid bytes count as separators). Uses
 * no heap memory and no global state. */
void es_wordvec_tokenize(const char *text, size_t len, es_wordvec_token_fn fn,
                         void *ctx);

#endif
