/* transcript_filter.c — distinct-word ratio of a transcript segment. */
#include "index/transcript_filter.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Words compared case-insensitively, up to 32 bytes each; at most 256
 * words are looked at (a segment is seconds of speech). */
#define MAX_WORDS 256
#define WORD_MAX 32

int es_transcript_is_repetitive(const char *text)
{
    char words[MAX_WORDS][WORD_MAX];
    int n = 0, distinct = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p && n < MAX_WORDS) {
        while (*p && !(isalnum(*p) || *p >= 0x80 || *p == '\'')) p++;
        if (!*p) break;
        char w[WORD_MAX];
        int len = 0;
        while (*p && (isalnum(*p) || *p >= 0x80 || *p == '\'')) {
            if (len < WORD_MAX - 1) w[len++] = (char)tolower(*p);
            p++;
        }
        w[len] = 0;
        int seen = 0;
        for (int i = 0; i < n && !seen; i++) seen = !strcmp(words[i], w);
        memcpy(words[n++], w, (size_t)len + 1);
        distinct += !seen;
    }
    return n >= ES_REPEAT_MIN_WORDS && 2 * distinct < n;
}
