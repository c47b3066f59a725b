/* wordpiece.c — BERT WordPiece: vocab.txt into a hash table, and text into
 * the ids Hugging Face's BertTokenizer gives (see wordpiece.h).
 *
 * encode runs three passes over each chunk of the text (chunks of about
 * 4 KiB that end after an ASCII space, see CHUNK), with scratch memory
 * owned by the call:
 *   1. clean: UTF-8 → UTF-8 with control/format chars dropped, whitespace
 *      made ' ', CJK ideographs padded with spaces and (lower_case) each
 *      char lowercased on its own. A literal [CLS] / [SEP] / [PAD] / [UNK]
 *      / [MASK] becomes one private-use code point U+E000+k between spaces:
 *      real private-use chars are category Co and already dropped, so the
 *      marker cannot collide with text.
 *   2. normalise with utf8proc: NFD then drop Mn (lower_case), else NFC.
 *   3. split on ' ' and punctuation; each word goes through greedy
 *      longest-match-first WordPiece.
 *
 * Why this order matches HF. The slow BertTokenizer lowercases the text one
 * char at a time (a regex in PreTrainedTokenizer.tokenize: so 'Σ' is always
 * 'σ', never the final 'ς'), splits on special tokens, cleans, pads CJK,
 * applies NFC, splits on whitespace and then lowercases and NFDs each token.
 * Lowercasing is idempotent and NFD(lower(NFC(x))) == NFD(x) for every code
 * point (checked exhaustively with Python's unicodedata), so with lower_case
 * the NFC step can be skipped and NFD can run on the whole text. Python's
 * str.split() also splits on U+2028 / U+2029, which cleaning keeps (Zl, Zp),
 * so they are treated as spaces here. utf8proc's simple lowercase equals
 * Python's str.lower() except U+0130 'İ' → "i\u0307", special-cased below.
 *
 * Known differences from HF's slow BertTokenizer (checked code point by
 * code point against tests/ref/wordpiece_ref.py, which follows it):
 *   - Unicode versions: this utf8proc (2.8) follows Unicode 15.0, Python
 *     3.11's unicodedata 14.0. The 4,447 code points new in 15.0 (e.g. CJK
 *     extension H, U+31350–U+323AF) are Cn in Python (dropped) but letters
 *     or marks here (mostly → [UNK]). Other Python versions move this line.
 *   - Cased mode (lower_case=0) only: the slow tokenizer also keeps a token
 *     that reads exactly "[CLS]" etc. only after cleaning (e.g.
 *     "[CL\u200bS]") whole; like BertTokenizerFast, only a literal special
 *     token in the raw text is recognised here.
 *   - A special token name missing from vocab.txt ([MASK] is optional) is
 *     plain text here; HF would append it to the vocabulary with a new id.
 * BertTokenizerFast (Rust tokenizers 0.23, what sentence-transformers
 * runs) was compared code point by code point and on 30,000 random mixed
 * texts: identical except that it keeps unassigned code points (its
 * "other" class lacks Cn; the word becomes [UNK]), does not pad
 * U+2B820–U+2B91F (its CJK range starts at U+2B920), and its older tables
 * miss ~500 recently added marks, letters and punctuation. */
#include "models/bert/wordpiece.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/error.h"

#define MAX_WORD_CPS 100            /* HF max_input_chars_per_word          */
#define SPECIAL_MARK 0xE000         /* U+E000 + k stands for special token k */
#define FNV_BASIS 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

enum { SP_PAD, SP_UNK, SP_CLS, SP_SEP, SP_MASK, N_SPECIAL };
static const char *const special_name[N_SPECIAL] = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

struct es_wordpiece {
    char *data;                 /* the file; each line NUL-terminated in place */
    const char **tok;           /* tok[id] points into data                     */
    uint32_t *tok_len;          /* bytes                                        */
    int n;
    int32_t *slot;              /* open addressing: an id, or -1 when empty     */
    uint32_t *slot_hash;
    uint32_t mask;
    int max_cps;                /* longest token in code points: no longer
                                 * substring can match, so none is tried      */
    int special[N_SPECIAL];     /* ids; [MASK] may be -1                        */
    int lower;
};

/* ---- vocabulary ---------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint32_t fold(uint64_t h) { return (uint32_t)(h ^ (h >> 32)); }

/* Id of ("##" if cont) + s[0..n), or -1. */
static int lookup(const es_wordpiece *wp, int cont, const char *s, size_t n)
{
    uint32_t h = fold(fnv(cont ? fnv(FNV_BASIS, "##", 2) : FNV_BASIS, s, n));
    size_t len = n + (cont ? 2 : 0);
    for (uint32_t i = h & wp->mask;; i = (i + 1) & wp->mask) {
        int32_t id = wp->slot[i];
        if (id < 0) return -1;
        if (wp->slot_hash[i] != h || wp->tok_len[id] != len) continue;
        const char *t = wp->tok[id];
        if (cont) {
            if (t[0] != '#' || t[1] != '#') continue;
            t += 2;
        }
        if (memcmp(t, s, n) == 0) return id;
    }
}

static es_status read_all(const char *path, char **out, size_t *size,
                          es_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        if (e == ENOENT)
            return es_fail(err, ES_ERR_NOT_FOUND,
                           "%s: vocabulary file not found (expected the "
                           "model's vocab.txt)", path);
        return es_fail(err, e == EACCES ? ES_ERR_PERMISSION : ES_ERR_IO,
                       "%s: cannot open vocabulary: %s", path, strerror(e));
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *nb = cap > ((size_t)-1 >> 2) ? NULL : realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = buf && ferror(f);
    fclose(f);
    if (!buf) return es_fail(err, ES_ERR_NOMEM, "%s: out of memory reading the vocabulary", path);
    if (bad) {
        free(buf);
        return es_fail(err, ES_ERR_IO, "%s: read error in the vocabulary", path);
    }
    buf[n] = '\0';
    *out = buf;
    *size = n;
    return ES_OK;
}

/* Splits data into lines ("\n", "\r\n" and "\r" end one, as in Python's
 * universal newlines), NUL-terminating each in place; fills starts and lens
 * unless they are NULL (to count). */
static int split_lines(char *data, size_t size, char **starts, size_t *lens)
{
    int n = 0;
    size_t i = 0, begin = 0;
    while (i < size) {
        char c = data[i];
        if (c != '\n' && c != '\r') {
            i++;
            continue;
        }
        if (starts) {
            starts[n] = data + begin;
            lens[n] = i - begin;
            data[i] = '\0';
        }
        n++;
        i += (c == '\r' && i + 1 < size && data[i + 1] == '\n') ? 2 : 1;
        begin = i;
    }
    if (begin < size) {
        if (starts) {
            starts[n] = data + begin;
            lens[n] = size - begin;     /* data[size] is already '\0' */
        }
        n++;
    }
    return n;
}

static es_status add_tokens(es_wordpiece *wp, char **line, size_t *line_len,
                            const char *path, es_error *err)
{
    for (int id = 0; id < wp->n; id++) {
        const char *t = line[id];
        size_t len = line_len[id];
        if (memchr(t, '\0', len))
            return es_fail(err, ES_ERR_FORMAT, "%s: line %d holds a NUL byte "
                           "(a vocab.txt is UTF-8 text)", path, id + 1);
        int cps = 0;
        for (size_t i = 0; i < len; cps++) {
            utf8proc_int32_t c;
            utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)t + i,
                                                  (utf8proc_ssize_t)(len - i), &c);
            if (r <= 0)
                return es_fail(err, ES_ERR_FORMAT, "%s: line %d is not valid "
                               "UTF-8 (byte %zu)", path, id + 1, i + 1);
            i += (size_t)r;
        }
        if (cps > wp->max_cps) wp->max_cps = cps;
        uint32_t h = fold(fnv(FNV_BASIS, t, len));
        uint32_t i = h & wp->mask;
        for (; wp->slot[i] >= 0; i = (i + 1) & wp->mask) {
            int o = wp->slot[i];
            if (wp->slot_hash[i] == h && wp->tok_len[o] == len && memcmp(wp->tok[o], t, len) == 0)
                return es_fail(err, ES_ERR_FORMAT, "%s: line %d repeats the "
                               "token \"%.60s\" of line %d (each token must "
                               "appear once)", path, id + 1, t, o + 1);
        }
        wp->slot[i] = id;
        wp->slot_hash[i] = h;
        wp->tok[id] = t;
        wp->tok_len[id] = (uint32_t)len;
    }
    return ES_OK;
}

es_status es_wordpiece_load(const char *vocab_path, int lower_case,
                            es_wordpiece **out, es_error *err)
{
    if (!vocab_path || !out)
        return es_fail(err, ES_ERR_INVALID_ARG, "wordpiece: NULL argument");
    *out = NULL;
    char *data = NULL;
    size_t size = 0;
    es_status st = read_all(vocab_path, &data, &size, err);
    if (st != ES_OK) return st;
    if (size == 0) {
        free(data);
        return es_fail(err, ES_ERR_FORMAT, "%s: vocabulary file is empty "
                       "(expected one token per line)", vocab_path);
    }
    if (size > ((size_t)1 << 30)) {
        free(data);
        return es_fail(err, ES_ERR_FORMAT, "%s: %zu bytes is too large for a "
                       "vocabulary file", vocab_path, size);
    }
    int n = split_lines(data, size, NULL, NULL);
    es_wordpiece *wp = calloc(1, sizeof *wp);
    char **line = calloc((size_t)n, sizeof *line);
    size_t *line_len = calloc((size_t)n, sizeof *line_len);
    uint32_t cap = 2;
    while (cap < (uint32_t)n * 2u) cap <<= 1;
    if (wp) {
        wp->data = data;
        wp->n = n;
        wp->lower = lower_case != 0;
        wp->mask = cap - 1;
        wp->tok = calloc((size_t)n, sizeof *wp->tok);
        wp->tok_len = calloc((size_t)n, sizeof *wp->tok_len);
        wp->slot = malloc(sizeof *wp->slot * cap);
        wp->slot_hash = malloc(sizeof *wp->slot_hash * cap);
    }
    if (!wp || !line || !line_len || !wp->tok || !wp->tok_len || !wp->slot ||
        !wp->slot_hash) {
        if (!wp) free(data);
        es_wordpiece_free(wp);
        free(line);
        free(line_len);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory loading the vocabulary", vocab_path);
    }
    memset(wp->slot, 0xff, sizeof *wp->slot * cap);
    split_lines(data, size, line, line_len);
    st = add_tokens(wp, line, line_len, vocab_path, err);
    free(line);
    free(line_len);
    for (int k = 0; st == ES_OK && k < N_SPECIAL; k++) {
        wp->special[k] = es_wordpiece_id(wp, special_name[k]);
        if (wp->special[k] < 0 && k != SP_MASK)
            st = es_fail(err, ES_ERR_FORMAT, "%s: no %s token; a BERT vocab.txt "
                         "must list [PAD], [UNK], [CLS] and [SEP]",
                         vocab_path, special_name[k]);
    }
    if (st != ES_OK) {
        es_wordpiece_free(wp);
        return st;
    }
    *out = wp;
    return ES_OK;
}

void es_wordpiece_free(es_wordpiece *wp)
{
    if (!wp) return;
    free(wp->data);
    free(wp->tok);
    free(wp->tok_len);
    free(wp->slot);
    free(wp->slot_hash);
    free(wp);
}

int es_wordpiece_vocab_size(const es_wordpiece *wp) { return wp ? wp->n : 0; }

int es_wordpiece_id(const es_wordpiece *wp, const char *token)
{
    if (!wp || !token) return -1;
    return lookup(wp, 0, token, strlen(token));
}

const char *es_wordpiece_token(const es_wordpiece *wp, int id)
{
    return wp && id >= 0 && id < wp->n ? wp->tok[id] : NULL;
}

int es_wordpiece_cls(const es_wordpiece *wp) { return wp ? wp->special[SP_CLS] : -1; }
int es_wordpiece_sep(const es_wordpiece *wp) { return wp ? wp->special[SP_SEP] : -1; }
int es_wordpiece_pad(const es_wordpiece *wp) { return wp ? wp->special[SP_PAD] : -1; }
int es_wordpiece_unk(const es_wordpiece *wp) { return wp ? wp->special[SP_UNK] : -1; }

/* ---- text ---------------------------------------------------------------- */

static int is_cjk(int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int is_punct(int32_t c)
{
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
        (c >= 123 && c <= 126))
        return 1;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
        return 1;
    default:
        return 0;
    }
}

/* Unicode category C*: Cc, Cf, Cs, Co and unassigned Cn. */
static int is_other(utf8proc_category_t cat)
{
    return cat == UTF8PROC_CATEGORY_CN || cat == UTF8PROC_CATEGORY_CC ||
           cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CS ||
           cat == UTF8PROC_CATEGORY_CO;
}

static int match_special(const es_wordpiece *wp, const char *s, size_t n)
{
    for (int k = 0; k < N_SPECIAL; k++) {
        size_t len = strlen(special_name[k]);
        if (wp->special[k] >= 0 && n >= len && memcmp(s, special_name[k], len) == 0)
            return k;
    }
    return -1;
}

/* Pass 1 (see the file comment). dst needs 2 * n + 16 bytes: no input char
 * grows by more than half (CJK: +2 spaces on 3 bytes, 'İ' 2 → 3 bytes,
 * 'Ⱥ' U+023A lowercases from 2 to 3 bytes). Returns the bytes written. */
static size_t clean(const es_wordpiece *wp, const char *s, size_t n, uint8_t *dst)
{
    size_t i = 0, o = 0;
    while (i < n) {
        if (s[i] == '[') {
            int k = match_special(wp, s + i, n - i);
            if (k >= 0) {
                dst[o++] = ' ';
                o += (size_t)utf8proc_encode_char(SPECIAL_MARK + k, dst + o);
                dst[o++] = ' ';
                i += strlen(special_name[k]);
                continue;
            }
        }
        utf8proc_int32_t c;
        utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(n - i), &c);
        if (r <= 0) {           /* invalid byte: U+FFFD, which is dropped */
            i++;
            continue;
        }
        i += (size_t)r;
        if (c == 0 || c == 0xFFFD) continue;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            dst[o++] = ' ';
            continue;
        }
        utf8proc_category_t cat = utf8proc_category(c);
        if (is_other(cat)) continue;
        if (cat == UTF8PROC_CATEGORY_ZS || c == 0x2028 || c == 0x2029) {
            dst[o++] = ' ';
            continue;
        }
        if (is_cjk(c)) {
            dst[o++] = ' ';
            o += (size_t)utf8proc_encode_char(c, dst + o);
            dst[o++] = ' ';
            continue;
        }
        if (wp->lower) {
            if (c == 0x130) {   /* Python: 'İ'.lower() == 'i\u0307' */
                dst[o++] = 'i';
                o += (size_t)utf8proc_encode_char(0x307, dst + o);
                continue;
            }
            c = utf8proc_tolower(c);
        }
        o += (size_t)utf8proc_encode_char(c, dst + o);
    }
    return o;
}

/* Pass 3 for one word (no spaces, no punctuation unless it is that single
 * char): appends its pieces, or [UNK], to ids[*out..limit). */
static void emit_word(const es_wordpiece *wp, const int32_t *w, size_t len,
                      int32_t *ids, int *out, int limit)
{
    int unk = wp->special[SP_UNK];
    if (len == 1 && w[0] >= SPECIAL_MARK && w[0] < SPECIAL_MARK + N_SPECIAL) {
        ids[(*out)++] = wp->special[w[0] - SPECIAL_MARK];
        return;
    }
    if (len > MAX_WORD_CPS) {
        ids[(*out)++] = unk;
        return;
    }
    char bytes[MAX_WORD_CPS * 4];
    size_t off[MAX_WORD_CPS + 1];
    int32_t pieces[MAX_WORD_CPS];
    size_t b = 0;
    for (size_t i = 0; i < len; i++) {
        off[i] = b;
        b += (size_t)utf8proc_encode_char(w[i], (utf8proc_uint8_t *)bytes + b);
    }
    off[len] = b;
    int np = 0;
    for (size_t start = 0; start < len;) {
        size_t end = len - start > (size_t)wp->max_cps ? start + (size_t)wp->max_cps : len;
        int id = -1;
        for (; end > start; end--) {
            id = lookup(wp, start > 0, bytes + off[start], off[end] - off[start]);
            if (id >= 0) break;
        }
        if (id < 0) {           /* no piece fits: the whole word is [UNK] */
            ids[(*out)++] = unk;
            return;
        }
        pieces[np++] = id;
        start = end;
    }
    for (int p = 0; p < np && *out < limit; p++) ids[(*out)++] = pieces[p];
}

/* Scratch for one encode call, grown as chunks need. */
typedef struct scratch {
    uint8_t *buf;               /* pass 1 output, cap_buf bytes               */
    int32_t *cps;               /* pass 2 output, cap_cps code points         */
    size_t cap_buf, cap_cps;
} scratch;

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 1;
    void *q = realloc(*p, need * elem);
    if (!q) return 0;
    *p = q;
    *cap = need;
    return 1;
}

/* Passes 1-3 over text[0..n), appending to ids[*out..limit). */
static es_status encode_span(const es_wordpiece *wp, const char *text, size_t n,
                             scratch *sc, int32_t *ids, int *out, int limit,
                             es_error *err)
{
    if (!grow((void **)&sc->buf, &sc->cap_buf, 2 * n + 16, 1) ||
        !grow((void **)&sc->cps, &sc->cap_cps, 2 * n + 16, sizeof *sc->cps))
        return es_fail(err, ES_ERR_NOMEM, "wordpiece encode: out of memory "
                       "(%zu bytes of text)", n);
    size_t nb = clean(wp, text, n, sc->buf);

    /* utf8proc_decompose reports the size it needs when the buffer is short */
    utf8proc_option_t opt = UTF8PROC_STABLE | (wp->lower ? UTF8PROC_DECOMPOSE : UTF8PROC_COMPOSE);
    utf8proc_ssize_t ncp = utf8proc_decompose(sc->buf, (utf8proc_ssize_t)nb, sc->cps,
                                              (utf8proc_ssize_t)sc->cap_cps, opt);
    if (ncp > (utf8proc_ssize_t)sc->cap_cps) {
        if (!grow((void **)&sc->cps, &sc->cap_cps, (size_t)ncp, sizeof *sc->cps))
            return es_fail(err, ES_ERR_NOMEM, "wordpiece encode: out of memory");
        ncp = utf8proc_decompose(sc->buf, (utf8proc_ssize_t)nb, sc->cps,
                                 (utf8proc_ssize_t)sc->cap_cps, opt);
    }
    int32_t *cps = sc->cps;
    if (ncp >= 0 && wp->lower) {
        utf8proc_ssize_t k = 0;
        for (utf8proc_ssize_t i = 0; i < ncp; i++)
            if (utf8proc_category(cps[i]) != UTF8PROC_CATEGORY_MN) cps[k++] = cps[i];
        ncp = k;
    } else if (ncp >= 0) {
        ncp = utf8proc_normalize_utf32(cps, ncp, opt);
    }
    if (ncp < 0)
        return es_fail(err, ES_ERR_INTERNAL, "wordpiece encode: utf8proc: %s",
                       utf8proc_errmsg(ncp));

    size_t i = 0, len = (size_t)ncp;
    while (i < len && *out < limit) {
        if (cps[i] == ' ') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && cps[j] != ' ') j++;
        for (size_t k = i; k < j && *out < limit;) {
            size_t e = k + 1;
            if (!is_punct(cps[k]))
                while (e < j && !is_punct(cps[e])) e++;
            emit_word(wp, cps + k, e - k, ids, out, limit);
            k = e;
        }
        i = j;
    }
    return ES_OK;
}

/* Texts are encoded in chunks of about CHUNK bytes, each ending just after
 * an ASCII space, tab or newline: a separator in every pass (no NFC
 * composition or mark reordering crosses it, no special token holds one),
 * so the result is the same as in one piece, memory stays bounded and a
 * long text stops being read once max_len ids are out. */
#define CHUNK 4096

es_status es_wordpiece_encode(const es_wordpiece *wp, const char *text,
                              int max_len, int32_t *ids, int *n_ids,
                              es_error *err)
{
    if (!wp || !text || !ids || !n_ids)
        return es_fail(err, ES_ERR_INVALID_ARG, "wordpiece encode: NULL argument");
    if (max_len < 2)
        return es_fail(err, ES_ERR_INVALID_ARG, "wordpiece encode: max_len %d "
                       "leaves no room for [CLS] and [SEP] (need >= 2)", max_len);
    *n_ids = 0;
    size_t n = strlen(text);
    if (n > ((size_t)1 << 40))
        return es_fail(err, ES_ERR_INVALID_ARG, "wordpiece encode: text of "
                       "%zu bytes is too long", n);
    scratch sc = {0};
    int out = 0, limit = max_len - 1;
    ids[out++] = wp->special[SP_CLS];
    es_status st = ES_OK;
    for (size_t at = 0; at < n && out < limit && st == ES_OK;) {
        size_t end = n;
        if (n - at > CHUNK) {
            end = at + CHUNK;
            while (end < n && !strchr(" \t\n\r", text[end])) end++;
            if (end < n) end++;
        }
        st = encode_span(wp, text + at, end - at, &sc, ids, &out, limit, err);
        at = end;
    }
    free(sc.buf);
    free(sc.cps);
    if (st != ES_OK) return st;
    ids[out++] = wp->special[SP_SEP];
    *n_ids = out;
    return ES_OK;
}
