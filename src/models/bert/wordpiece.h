/* wordpiece.h — BERT's WordPiece tokenizer, giving the same ids as Hugging
 * Face's BertTokenizer (tokenize_chinese_chars=True, strip_accents=None) for
 * the vocab.txt that ships with a sentence-transformers model.
 *
 * Text goes through: clean (drop NUL, U+FFFD, control and format chars; map
 * whitespace to space), spaces around CJK ideographs, lowercasing plus
 * NFD-and-drop-marks (lower_case=1) or NFC (lower_case=0), split on
 * whitespace and punctuation, then greedy longest-match-first WordPiece with
 * "##" continuation pieces. The literal special tokens [CLS] [SEP] [PAD]
 * [UNK] [MASK] in the text map straight to their ids, as in HF.
 *
 * A loaded tokenizer is read-only: es_wordpiece_encode may run on one
 * handle from several threads at once (scratch memory is per call). */
#ifndef ES_MODELS_BERT_WORDPIECE_H
#define ES_MODELS_BERT_WORDPIECE_H

#include <stdint.h>

#include "earshot.h"

typedef struct es_wordpiece es_wordpiece;

/* Reads vocab.txt: one token per line, id = 0-based line number; "\n",
 * "\r\n" and "\r" end lines, the last line may lack one. Fails with
 * ES_ERR_NOT_FOUND / ES_ERR_PERMISSION / ES_ERR_IO when the file cannot be
 * read, ES_ERR_FORMAT (message names the file and line) when it is empty,
 * holds invalid UTF-8, a NUL byte or a duplicate token, or lacks one of
 * [CLS] [SEP] [UNK] [PAD]. lower_case=0 is HF's do_lower_case=False: no
 * lowercasing and no accent stripping. */
es_status es_wordpiece_load(const char *vocab_path, int lower_case,
                            es_wordpiece **out, es_error *err);
void es_wordpiece_free(es_wordpiece *wp);

int es_wordpiece_vocab_size(const es_wordpiece *wp);
/* Id of an exact vocabulary entry ("##ing" for a continuation piece), or
 * -1 when absent. */
int es_wordpiece_id(const es_wordpiece *wp, const char *token);
/* The token with this id, or NULL when out of range. */
const char *es_wordpiece_token(const es_wordpiece *wp, int id);
int es_wordpiece_cls(const es_wordpiece *wp);
int es_wordpiece_sep(const es_wordpiece *wp);
int es_wordpiece_pad(const es_wordpiece *wp);
int es_wordpiece_unk(const es_wordpiece *wp);

/* Encodes text (UTF-8; invalid bytes are dropped) as [CLS] pieces [SEP],
 * at most max_len ids (max_len >= 2, else ES_ERR_INVALID_ARG): pieces past
 * max_len - 2 are cut, [SEP] always ends the sequence. ids must hold
 * max_len entries; *n_ids receives the count. */
es_status es_wordpiece_encode(const es_wordpiece *wp, const char *text,
                              int max_len, int32_t *ids, int *n_ids,
                              es_error *err);

#endif
