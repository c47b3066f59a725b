/* prompts.h — the text a label stands for: "church_bells" with the
 * template "the sound of {}" is "the sound of church bells". Several
 * templates can be averaged into one target vector.
 * Owned by prompts.c. */
#ifndef ES_DATA_PROMPTS_H
#define ES_DATA_PROMPTS_H

#include <stddef.h>

#include "earshot.h"

#define ES_PROMPT_DEFAULT "the sound of {}"

/* Label → words: '_' and '-' become spaces, runs of spaces collapse. The
 * template's first "{}" is replaced by the words (a template without "{}"
 * is ES_ERR_INVALID_ARG). Fails with ES_ERR_INVALID_ARG if out is short. */
es_status es_prompt_format(const char *tmpl, const char *label, char *out,
                           size_t size, es_error *err);

/* out[n_labels × dim]: for each label, the L2-normalised mean of the
 * embeddings of its prompts under every template (dim = encoder's). */
es_status es_prompt_embed_labels(es_text_encoder *enc,
                                 const char *const *labels, int n_labels,
                                 const char *const *templates, int n_templates,
                                 float *out, es_error *err);

#endif
