/* wordvec_tokenize.c — the word-vector tokenizer (rules in docs/WORDVEC.md,
 * "Tokenisation"). One pass over the bytes, no allocation: each code point
 * is case-folded, compatibility-decomposed and stripped of marks (utf8proc,
 * with an ASCII fast path); runs of letters/digits form words, a single
 * apostrophe between two such characters joins them, and contractions are
 * resolved when a word ends. */
#include "models/wordvec/wordvec_tokenize.h"

#include <string.h>
#include <utf8proc.h>

#define FOLD_MAX 32 /* code points one folded character may expand to */

typedef struct word_state {
    char buf[ES_WORDVEC_MAX_WORD];
    size_t len;       /* bytes that would be in buf (may exceed its size) */
    int pending_apos; /* an apostrophe followed a letter/digit            */
    es_wordvec_token_fn fn;
    void *ctx;
} word_state;

static void emit(word_state *w, const char *s, size_t n)
{
    if (n) w->fn(s, n, w->ctx);
}

static int is_clitic(const char *s, size_t n)
{
    static const char *const clitics[] = {"s", "re", "ve", "ll", "d", "m"};
    for (size_t i = 0; i < sizeof clitics / sizeof *clitics; i++)
        if (strlen(clitics[i]) == n && !memcmp(clitics[i], s, n)) return 1;
    return 0;
}

/* The stem before n't: "ca" → "can", "wo" → "will", "sha" → "shall". */
static void emit_nt_stem(word_state *w, const char *s, size_t n)
{
    if (n == 2 && !memcmp(s, "ca", 2)) emit(w, "can", 3);
    else if (n == 2 && !memcmp(s, "wo", 2)) emit(w, "will", 4);
    else if (n == 3 && !memcmp(s, "sha", 3)) emit(w, "shall", 5);
    else emit(w, s, n);
}

/* A finished word → tokens: split at apostrophes; a last part that is a
 * clitic ('s 're 've 'll 'd 'm) is dropped; "…n't" becomes stem + "not". */
static void flush_word(word_state *w)
{
    size_t len = w->len;
    w->len = 0;
    w->pending_apos = 0;
    if (len == 0 || len > ES_WORDVEC_MAX_WORD) return;
    const char *b = w->buf;
    const char *last_apos = memchr(b, '\'', len) ? NULL : b + len;
    if (last_apos) { /* no apostrophe: the common case */
        emit(w, b, len);
        return;
    }
    for (size_t i = len; i-- > 0;)
        if (b[i] == '\'') { last_apos = b + i; break; }
    const char *last = last_apos + 1;
    size_t last_len = (size_t)(b + len - last);
    size_t head_len = (size_t)(last_apos - b); /* everything before it */

    /* The part before the last apostrophe. */
    const char *prev = b;
    for (size_t i = head_len; i-- > 0;)
        if (b[i] == '\'') { prev = b + i + 1; break; }
    size_t prev_len = (size_t)(last_apos - prev);

    int drop_last = is_clitic(last, last_len);
    int nt = !drop_last && last_len == 1 && last[0] == 't' && prev_len > 1 &&
             prev[prev_len - 1] == 'n';
    /* Parts before prev are emitted as they are. */
    const char *p = b;
    while (p < prev) {
        const char *q = memchr(p, '\'', (size_t)(prev - p));
        emit(w, p, (size_t)(q - p));
        p = q + 1;
    }
    if (nt) {
        emit_nt_stem(w, prev, prev_len - 1);
        emit(w, "not", 3);
        return;
    }
    emit(w, prev, prev_len);
    if (!drop_last) emit(w, last, last_len);
}

static void append(word_state *w, const char *bytes, size_t n)
{
    if (w->pending_apos) {
        if (w->len < ES_WORDVEC_MAX_WORD) w->buf[w->len] = '\'';
        w->len++;
        w->pending_apos = 0;
    }
    if (w->len + n <= ES_WORDVEC_MAX_WORD) memcpy(w->buf + w->len, bytes, n);
    w->len += n;
    if (w->len > ES_WORDVEC_MAX_WORD + 1) w->len = ES_WORDVEC_MAX_WORD + 1;
}

static int is_word_cp(utf8proc_int32_t c)
{
    utf8proc_category_t cat = utf8proc_category(c);
    return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
           cat == UTF8PROC_CATEGORY_ND;
}

/* One folded code point: part of a word, an apostrophe, or a separator. */
static void feed(word_state *w, utf8proc_int32_t c)
{
    if (c < 0x80) {
        char ch = (char)c;
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            append(w, &ch, 1);
            return;
        }
    } else if (is_word_cp(c)) {
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t n = utf8proc_encode_char(c, enc);
        append(w, (const char *)enc, (size_t)n);
        return;
    }
    if ((c == '\'' || c == 0x2019) && w->len > 0 && !w->pending_apos) {
        w->pending_apos = 1;
        return;
    }
    flush_word(w);
}

void es_wordvec_tokenize(const char *text, size_t len, es_wordvec_token_fn fn,
                         void *ctx)
{
    word_state w;
    w.len = 0;
    w.pending_apos = 0;
    w.fn = fn;
    w.ctx = ctx;
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)text;
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t c;
        if (s[i] < 0x80) {
            feed(&w, s[i++]);
            continue;
        }
        utf8proc_ssize_t n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
        if (n <= 0) { /* invalid byte: a separator */
            flush_word(&w);
            i++;
            continue;
        }
        i += (size_t)n;
        utf8proc_int32_t folded[FOLD_MAX];
        int bound = 0;
        utf8proc_ssize_t m = utf8proc_decompose_char(
            c, folded, FOLD_MAX,
            UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK,
            &bound);
        if (m < 0 || m > FOLD_MAX) {
            flush_word(&w);
            continue;
        }
        for (utf8proc_ssize_t k = 0; k < m; k++) feed(&w, folded[k]);
    }
    flush_word(&w);
}
