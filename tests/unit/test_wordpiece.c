/* test_wordpiece.c — the WordPiece tokenizer on strings whose ids were
 * looked up by hand in all-MiniLM-L6-v2's vocab.txt (grep -nxF TOKEN
 * vocab.txt; id = line - 1), greedy longest match on a tiny vocab written
 * here, vocab file errors, bad input text, and several threads at once.
 * The bulk comparison with the Python reference is tests/ref/test_wordpiece.py. */
#include "testlib.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/bert/wordpiece.h"

#define CLS 101
#define SEP 102
#define UNK 100
#define MAXN 300

static es_wordpiece *real_vocab(void)
{
    const char *path = es_test_require_shared("models/minilm-tokenizer/vocab.txt");
    es_wordpiece *wp = NULL;
    es_error err;
    if (es_wordpiece_load(path, 1, &wp, &err) != ES_OK) fail_msg("%s", err.message);
    return wp;
}

/* Encodes text and compares with want[0..n). */
static void expect(const es_wordpiece *wp, const char *text, int max_len,
                   const int32_t *want, int n)
{
    int32_t ids[MAXN];
    int n_ids = -1;
    es_error err;
    if (es_wordpiece_encode(wp, text, max_len, ids, &n_ids, &err) != ES_OK)
        fail_msg("encode \"%s\": %s", text, err.message);
    int same = n_ids == n;
    for (int i = 0; same && i < n; i++) same = ids[i] == want[i];
    if (!same) {
        char got[4096] = "";
        for (int i = 0; i < n_ids; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), " %d", ids[i]);
        fail_msg("\"%s\" (max_len %d): got%s (n=%d, want n=%d)", text, max_len, got, n_ids, n);
    }
}

#define EXPECT(wp, text, max_len, ...)                                         \
    do {                                                                       \
        const int32_t w_[] = {__VA_ARGS__};                                    \
        expect(wp, text, max_len, w_, (int)(sizeof w_ / sizeof *w_));          \
    } while (0)

static void real_vocab_basics(void **state)
{
    (void)state;
    es_wordpiece *wp = real_vocab();
    assert_int_equal(es_wordpiece_vocab_size(wp), 30522);
    assert_int_equal(es_wordpiece_cls(wp), CLS);
    assert_int_equal(es_wordpiece_sep(wp), SEP);
    assert_int_equal(es_wordpiece_pad(wp), 0);
    assert_int_equal(es_wordpiece_unk(wp), UNK);
    assert_int_equal(es_wordpiece_id(wp, "[MASK]"), 103);
    assert_int_equal(es_wordpiece_id(wp, "hello"), 7592);
    assert_int_equal(es_wordpiece_id(wp, "##ffa"), 20961);
    assert_int_equal(es_wordpiece_id(wp, "ffa"), -1);          /* only as ##ffa */
    assert_int_equal(es_wordpiece_id(wp, "no-such-token"), -1);
    assert_string_equal(es_wordpiece_token(wp, 7592), "hello");
    assert_string_equal(es_wordpiece_token(wp, 0), "[PAD]");
    assert_null(es_wordpiece_token(wp, 30522));
    assert_null(es_wordpiece_token(wp, -1));
    es_wordpiece_free(wp);
}

static void real_vocab_tricky_strings(void **state)
{
    (void)state;
    es_wordpiece *wp = real_vocab();
    /* una ##ffa ##ble: greedy longest prefix, then "##" pieces */
    EXPECT(wp, "unaffable", 256, CLS, 14477, 20961, 3468, SEP);
    /* cafe: lowercased, accent stripped */
    EXPECT(wp, "Café", 256, CLS, 7668, SEP);
    /* cafe: decomposed e + U+0301 gives the same */
    EXPECT(wp, "cafe\xcc\x81", 256, CLS, 7668, SEP);
    /* naive ang ##strom */
    EXPECT(wp, "naïve Ångström", 256, CLS, 15743, 17076, 15687, SEP);
    /* st ##raße: ß is kept (no case folding) */
    EXPECT(wp, "Straße", 256, CLS, 2358, 27807, SEP);
    /* istanbul: İ lowercases to i + U+0307, the mark is then dropped */
    EXPECT(wp, "İstanbul", 256, CLS, 9960, SEP);
    /* ο ##δ ##υ ##σ ##σ ##ε ##υ ##σ: per-char lowercase, no final ς */
    EXPECT(wp, "ΟΔΥΣΣΕΥΣ", 256, CLS, 1169, 29722, 29735, 29733, 29733, 29723,
           29735, 29733, SEP);
    /* 北 京 [UNK] [UNK] [UNK]: each CJK char is its own word (欢 迎 你
     * are not in the vocab) */
    EXPECT(wp, "北京欢迎你", 256, CLS, 1781, 1755, UNK, UNK, UNK, SEP);
    /* ᄒ ##ᅡ ##ᆫ: Hangul syllables decompose to jamo under NFD */
    EXPECT(wp, "한", 256, CLS, 1469, 30006, 30021, SEP);
    /* hello , world ! : punctuation split */
    EXPECT(wp, "Hello, world!", 256, CLS, 7592, 1010, 2088, 999, SEP);
    /* don ' t */
    EXPECT(wp, "don't", 256, CLS, 2123, 1005, 1056, SEP);
    /* dog barking / church bells: search queries */
    EXPECT(wp, "dog barking", 256, CLS, 3899, 19372, SEP);
    EXPECT(wp, "church bells", 256, CLS, 2277, 10118, SEP);
    /* snow ##man [UNK] [UNK]: ☃ and 🐶 are not in the vocab */
    EXPECT(wp, "snowman ☃ 🐶", 256, CLS, 4586, 2386, UNK, UNK, SEP);
    /* bell ##cha ##r: BEL and DEL are dropped, joining the word */
    EXPECT(wp, "bell\x07" "ch\x7f" "ar", 256, CLS, 4330, 7507, 2099, SEP);
    /* zero ##wi ##dt ##h: U+200B (Cf) is dropped, not a space */
    EXPECT(wp, "zero\xe2\x80\x8bwidth", 256, CLS, 5717, 9148, 11927, 2232, SEP);
    /* tab ##s and new lines end: \t \n NBSP U+3000 are spaces */
    EXPECT(wp, "tabs\tand\nnew\xc2\xa0lines\xe3\x80\x80" "end", 256,
           CLS, 21628, 2015, 1998, 2047, 3210, 2203, SEP);
    /* x y: U+2028 / U+2029 split words (Python's str.split) */
    EXPECT(wp, "\xe2\x80\xa8x\xe2\x80\xa9y", 256, CLS, 1060, 1061, SEP);
    /* [CLS] hello [SEP]: literal special tokens map to their ids */
    EXPECT(wp, "[CLS] hello [SEP]", 256, CLS, CLS, 7592, SEP, SEP);
    /* empty and whitespace-only text */
    EXPECT(wp, "", 256, CLS, SEP);
    EXPECT(wp, " \t\r\n ", 256, CLS, SEP);
    es_wordpiece_free(wp);
}

static void real_vocab_long_words_and_truncation(void **state)
{
    (void)state;
    es_wordpiece *wp = real_vocab();
    char word[128];
    /* 100 chars: aaa + 48 × ##aa + ##a (13360, 11057…, 2050) */
    memset(word, 'a', 100);
    word[100] = '\0';
    int32_t want[64];
    int n = 0;
    want[n++] = CLS;
    want[n++] = 13360;
    for (int i = 0; i < 48; i++) want[n++] = 11057;
    want[n++] = 2050;
    want[n++] = SEP;
    expect(wp, word, 256, want, n);
    /* 101 chars → [UNK]; the next word is unaffected */
    memset(word, 'a', 101);
    strcpy(word + 101, " dog");
    EXPECT(wp, word, 256, CLS, UNK, 3899, SEP);
    /* 101 × é: length counts code points after accent stripping */
    char accents[256] = "";
    for (int i = 0; i < 101; i++) strcat(accents, "\xc3\xa9");
    EXPECT(wp, accents, 256, CLS, UNK, SEP);
    /* truncation: one two | three four; pieces are cut mid-word */
    EXPECT(wp, "one two three four", 4, CLS, 2028, 2048, SEP);
    EXPECT(wp, "one two three four", 2, CLS, SEP);
    EXPECT(wp, "unaffable", 3, CLS, 14477, SEP);
    EXPECT(wp, "unaffable", 5, CLS, 14477, 20961, 3468, SEP);
    es_wordpiece_free(wp);
}

static void bad_input_text(void **state)
{
    (void)state;
    es_wordpiece *wp = real_vocab();
    /* invalid bytes are dropped: "do\xffg" is "dog" */
    EXPECT(wp, "do\xffg", 256, CLS, 3899, SEP);
    EXPECT(wp, "dog \xc3", 256, CLS, 3899, SEP);          /* truncated seq  */
    EXPECT(wp, "\xe2\x82 dog \xc0\xaf", 256, CLS, 3899, SEP); /* overlong '/' */
    EXPECT(wp, "\xed\xa0\x80" "dog", 256, CLS, 3899, SEP);  /* surrogate    */
    EXPECT(wp, "\xef\xbf\xbd\xef\xbf\xbd", 256, CLS, SEP);  /* U+FFFD        */
    char junk[512];
    for (int i = 0; i < 511; i++) junk[i] = (char)(0x80 + (i * 37) % 128);
    junk[511] = '\0';
    int32_t ids[8];
    int n_ids;
    es_error err;
    assert_int_equal(es_wordpiece_encode(wp, junk, 8, ids, &n_ids, &err), ES_OK);
    assert_true(n_ids >= 2 && n_ids <= 8);
    for (int ml = -5; ml < 2; ml++) {
        assert_int_equal(es_wordpiece_encode(wp, "dog", ml, ids, &n_ids, &err),
                         ES_ERR_INVALID_ARG);
        assert_non_null(strstr(err.message, "max_len"));
    }
    assert_int_equal(es_wordpiece_encode(wp, NULL, 8, ids, &n_ids, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_wordpiece_encode(NULL, "x", 8, ids, &n_ids, &err), ES_ERR_INVALID_ARG);
    es_wordpiece_free(wp);
}

static const char *write_file(const char *name, const char *data, size_t n)
{
    const char *path = es_test_path("%s/%s", es_test_tmp_dir(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    return path;
}

#define WRITE(name, lit) write_file(name, lit, sizeof(lit) - 1)

static void greedy_longest_match_small_vocab(void **state)
{
    (void)state;
    /* CRLF line ends, a lone CR and no final newline: ids are still line
     * numbers. 0 [PAD] 1 [UNK] 2 [CLS] 3 [SEP] 4 a 5 ab 6 abc 7 ##c 8 ##cd
     * 9 ##d 10 b 11 x 12 ##x 13 ##bcd 14 ##b */
    const char *path = WRITE("small.txt", "[PAD]\r\n[UNK]\r\n[CLS]\r[SEP]\n"
                             "a\r\nab\r\nabc\r\n##c\r\n##cd\r\n##d\r\nb\r\nx\r\n"
                             "##x\r\n##bcd\r\n##b");
    es_wordpiece *wp;
    es_error err;
    if (es_wordpiece_load(path, 1, &wp, &err) != ES_OK) fail_msg("%s", err.message);
    assert_int_equal(es_wordpiece_vocab_size(wp), 15);
    assert_int_equal(es_wordpiece_cls(wp), 2);
    assert_int_equal(es_wordpiece_id(wp, "##b"), 14);
    assert_int_equal(es_wordpiece_id(wp, "[MASK]"), -1);
    EXPECT(wp, "abcd", 16, 2, 6, 9, 3);      /* abc ##d, not ab ##cd       */
    EXPECT(wp, "abx", 16, 2, 5, 12, 3);      /* ab ##x                     */
    EXPECT(wp, "bcd", 16, 2, 10, 8, 3);      /* b ##cd                     */
    EXPECT(wp, "xbcd", 16, 2, 11, 13, 3);    /* x ##bcd                    */
    EXPECT(wp, "ABB", 16, 2, 5, 14, 3);      /* lowercased: ab ##b         */
    EXPECT(wp, "abab", 16, 2, 1, 3);         /* ab, then no ##a: [UNK]     */
    EXPECT(wp, "abz b", 16, 2, 1, 10, 3);    /* no piece for z: whole word [UNK] */
    EXPECT(wp, "a-b", 16, 2, 4, 1, 10, 3);   /* '-' is a word of its own, unknown */
    EXPECT(wp, "[MASK]", 16, 2, 1, 1, 1, 3); /* not special here: [ mask ] */
    es_wordpiece_free(wp);

    /* cased: no lowercasing, "AB" is unknown */
    if (es_wordpiece_load(path, 0, &wp, &err) != ES_OK) fail_msg("%s", err.message);
    EXPECT(wp, "AB ab", 16, 2, 1, 5, 3);
    es_wordpiece_free(wp);
}

static void vocab_errors(void **state)
{
    (void)state;
    es_wordpiece *wp = (es_wordpiece *)&wp;
    es_error err;
    const char *missing = es_test_path("%s/no-such-vocab.txt", es_test_tmp_dir());
    assert_int_equal(es_wordpiece_load(missing, 1, &wp, &err), ES_ERR_NOT_FOUND);
    assert_null(wp);
    assert_non_null(strstr(err.message, missing));

    struct { const char *name, *data, *needle; } cases[] = {
        {"empty.txt", "", "empty"},
        {"no_unk.txt", "[PAD]\n[CLS]\n[SEP]\nhello\n", "[UNK]"},
        {"no_cls.txt", "[PAD]\n[UNK]\n[SEP]\n", "[CLS]"},
        {"dup.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\nhello\n", "line 7"},
        {"dup_crlf.txt", "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[SEP]", "line 5"},
        {"bad_utf8.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nca\xff" "fe\n", "line 5"},
        {"blank_dup.txt", "[PAD]\n\n[UNK]\n[CLS]\n[SEP]\n\n", "line 6"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *path = write_file(cases[i].name, cases[i].data, strlen(cases[i].data));
        wp = (es_wordpiece *)&wp;
        es_status st = es_wordpiece_load(path, 1, &wp, &err);
        if (st != ES_ERR_FORMAT || wp != NULL || !strstr(err.message, path) ||
            !strstr(err.message, cases[i].needle))
            fail_msg("%s: status %d, message \"%s\"", cases[i].name, st, err.message);
    }
    /* A NUL byte inside a line */
    const char *path = WRITE("nul.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\na\0b\n");
    assert_int_equal(es_wordpiece_load(path, 1, &wp, &err), ES_ERR_FORMAT);
    assert_non_null(strstr(err.message, "NUL"));
    assert_int_equal(es_wordpiece_load(NULL, 1, &wp, &err), ES_ERR_INVALID_ARG);
}

/* Several threads encode with one handle at once; all must agree. */
struct job { const es_wordpiece *wp; const char *text; int32_t ids[256]; int n; int ok; };

static void *encode_many(void *arg)
{
    struct job *j = arg;
    j->ok = 1;
    for (int r = 0; r < 50; r++) {
        int32_t ids[256];
        int n;
        es_error err;
        if (es_wordpiece_encode(j->wp, j->text, 256, ids, &n, &err) != ES_OK ||
            (r > 0 && (n != j->n || memcmp(ids, j->ids, sizeof *ids * (size_t)n) != 0)))
            j->ok = 0;
        memcpy(j->ids, ids, sizeof ids);
        j->n = n;
    }
    return NULL;
}

static void threads_share_one_tokenizer(void **state)
{
    (void)state;
    es_wordpiece *wp = real_vocab();
    const char *text = "Café au lait, naïve Zoë! 北京 unaffable ΟΔΥΣΣΕΥΣ "
                       "the quick brown fox jumps over the lazy dog. ";
    struct job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct job){.wp = wp, .text = text};
        assert_int_equal(pthread_create(&th[i], NULL, encode_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(jobs[i].ok);
        assert_int_equal(jobs[i].n, jobs[0].n);
        assert_memory_equal(jobs[i].ids, jobs[0].ids, sizeof(int32_t) * (size_t)jobs[0].n);
    }
    es_wordpiece_free(wp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(greedy_longest_match_small_vocab),
        cmocka_unit_test(vocab_errors),
        cmocka_unit_test(real_vocab_basics),
        cmocka_unit_test(real_vocab_tricky_strings),
        cmocka_unit_test(real_vocab_long_words_and_truncation),
        cmocka_unit_test(bad_input_text),
        cmocka_unit_test(threads_share_one_tokenizer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
