/* transcript_filter.h — telling a recogniser's hallucination from speech.
 *
 * On sirens, engines or birdsong that the speech detector lets through,
 * PocketSphinx "hears" loops like "woo woo woo hoo woo woo": indexed, they
 * match each other and any query about nothing in particular. Whisper
 * guards against the same failure with its compression-ratio rule; this
 * is the word-level version for any recogniser: a segment of at least
 * ES_REPEAT_MIN_WORDS words of which fewer than half are distinct is
 * dropped. */
#ifndef ES_TRANSCRIPT_FILTER_H
#define ES_TRANSCRIPT_FILTER_H

#define ES_REPEAT_MIN_WORDS 6

/* 1 when text is a repetition loop (see above), else 0. */
int es_transcript_is_repetitive(const char *text);

#endif
