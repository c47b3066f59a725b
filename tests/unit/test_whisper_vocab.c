/* test_whisper_vocab.c — Whisper's special-token layout for every vocabulary
 * size (.en 51864, multilingual 51865, large-v3 51866), the language table,
 * UTF-8 repair, and the real vocabulary of for-tests-ggml-tiny.bin: known
 * token ids (looked up in multilingual.tiktoken: base64 bytes → rank),
 * detokenising jfk.wav's transcript, byte-pair encoding, and openai's
 * non_speech_tokens, compared with the list HF publishes in whisper's
 * generation_config.json (suppress_tokens minus the specials). */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/whisper/whisper_vocab.h"

static es_whisper_vocab *real_vocab(void)
{
    const char *path = es_test_require_shared("models/whisper-aux/for-tests-ggml-tiny.bin");
    es_whisper_vocab *v = NULL;
    es_error err;
    if (es_whisper_vocab_load_file(path, &v, &err)) fail_msg("%s", err.message);
    return v;
}

static void layout_multilingual(void **state)
{
    (void)state;
    es_whisper_vocab *v = NULL;
    es_error err;
    assert_int_equal(es_whisper_vocab_new(51865, 0, NULL, NULL, &v, &err), ES_OK);
    assert_true(v->multilingual);
    assert_int_equal(v->n_languages, 99);
    assert_int_equal(v->eot, 50257);
    assert_int_equal(v->sot, 50258);
    assert_int_equal(es_whisper_lang_token(v, 0), 50259);              /* en */
    assert_int_equal(es_whisper_lang_token(v, 98), 50357);             /* su */
    assert_int_equal(v->translate, 50358);
    assert_int_equal(v->transcribe, 50359);
    assert_int_equal(v->sot_lm, 50360);
    assert_int_equal(v->sot_prev, 50361);
    assert_int_equal(v->no_speech, 50362);
    assert_int_equal(v->no_timestamps, 50363);
    assert_int_equal(v->timestamp_begin, 50364);
    assert_int_equal(v->timestamp_begin + ES_WHISPER_N_TIMESTAMPS, 51865);
    assert_int_equal(v->space, -1);
    assert_int_equal(v->n_non_speech, 0);
    es_whisper_vocab_free(v);
}

static void layout_english_only(void **state)
{
    (void)state;
    es_whisper_vocab *v = NULL;
    es_error err;
    assert_int_equal(es_whisper_vocab_new(51864, 0, NULL, NULL, &v, &err), ES_OK);
    assert_false(v->multilingual);
    assert_int_equal(v->n_languages, 99);
    /* whisper.cpp's defaults for .en: eot 50256 sot 50257 translate 50357
     * transcribe 50358 solm 50359 prev 50360 nosp 50361 not 50362 beg 50363 */
    assert_int_equal(v->eot, 50256);
    assert_int_equal(v->sot, 50257);
    assert_int_equal(v->translate, 50357);
    assert_int_equal(v->transcribe, 50358);
    assert_int_equal(v->sot_lm, 50359);
    assert_int_equal(v->sot_prev, 50360);
    assert_int_equal(v->no_speech, 50361);
    assert_int_equal(v->no_timestamps, 50362);
    assert_int_equal(v->timestamp_begin, 50363);
    es_whisper_vocab_free(v);
}

static void layout_large_v3(void **state)
{
    (void)state;
    es_whisper_vocab *v = NULL;
    es_error err;
    assert_int_equal(es_whisper_vocab_new(51866, 0, NULL, NULL, &v, &err), ES_OK);
    assert_int_equal(v->n_languages, 100);
    assert_int_equal(v->eot, 50257);
    assert_int_equal(es_whisper_lang_token(v, 99), 50358);             /* yue */
    assert_int_equal(v->translate, 50359);
    assert_int_equal(v->transcribe, 50360);
    assert_int_equal(v->no_speech, 50363);
    assert_int_equal(v->no_timestamps, 50364);
    assert_int_equal(v->timestamp_begin, 50365);
    assert_int_equal(es_whisper_lang_index(v, "yue"), 99);
    assert_int_equal(es_whisper_lang_index(v, "Cantonese"), 99);
    es_whisper_vocab_free(v);
}

static void bad_sizes(void **state)
{
    (void)state;
    es_whisper_vocab *v = NULL;
    es_error err;
    int bad[] = {0, 1000, 51863, 51867, 60000, -5};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(es_whisper_vocab_new(bad[i], 0, NULL, NULL, &v, &err), ES_ERR_FORMAT);
        assert_null(v);
        assert_non_null(strstr(err.message, "n_vocab"));
    }
    assert_int_equal(es_whisper_vocab_new(51865, 60000, NULL, NULL, &v, &err), ES_ERR_FORMAT);
}

static void languages(void **state)
{
    (void)state;
    es_whisper_vocab *v = NULL;
    es_error err;
    assert_int_equal(es_whisper_vocab_new(51865, 0, NULL, NULL, &v, &err), ES_OK);
    const char *first[] = {"en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl"};
    for (int i = 0; i < 11; i++) assert_string_equal(es_whisper_lang_code(i), first[i]);
    assert_string_equal(es_whisper_lang_code(98), "su");
    assert_string_equal(es_whisper_lang_code(99), "yue");
    assert_null(es_whisper_lang_code(100));
    assert_int_equal(es_whisper_lang_index(v, "en"), 0);
    assert_int_equal(es_whisper_lang_index(v, "DE"), 2);
    assert_int_equal(es_whisper_lang_index(v, "german"), 2);
    assert_int_equal(es_whisper_lang_index(v, "haw"), 93);
    assert_int_equal(es_whisper_lang_index(v, "yue"), -1);   /* 99 languages only */
    assert_int_equal(es_whisper_lang_index(v, "xx"), -1);
    assert_int_equal(es_whisper_lang_index(v, NULL), -1);
    es_whisper_vocab_free(v);
}

static void expect_sanitize(const char *in, size_t n, const char *want)
{
    char *s = es_whisper_utf8_sanitize(in, n);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

static void utf8_repair(void **state)
{
    (void)state;
    /* expected strings: Python's bytes.decode("utf-8", "replace") */
    expect_sanitize("abc", 3, "abc");
    expect_sanitize("\xe2\x82\xac", 3, "\xe2\x82\xac");                   /* € */
    expect_sanitize("\xe6\x97", 2, "\xef\xbf\xbd");                       /* cut 日 */
    expect_sanitize("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    expect_sanitize("\xf0\x9f\x98x", 4, "\xef\xbf\xbdx");
    expect_sanitize("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd");
    expect_sanitize("\xf4\x90\x80\x80", 4,
                    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    expect_sanitize("a\xff" "b", 3, "a\xef\xbf\xbd" "b");
    expect_sanitize("", 0, "");
}

static void real_vocab_tokens(void **state)
{
    (void)state;
    es_whisper_vocab *v = real_vocab();
    assert_int_equal(v->n_vocab, 51865);
    assert_int_equal(v->n_tokens, 50257);
    assert_int_equal(v->eot, 50257);
    assert_int_equal(v->space, 220);
    struct { int32_t id; const char *s; } known[] = {
        {0, "!"}, {1, "\""}, {220, " "}, {264, " the"}, {15947, "Hello"},
        {2425, " Hello"}, {400, " And"}, {7177, " fellow"}, {6280, " Americans"},
        {13, "."}, {11, ","}, {3961, "\xe2\x99\xaa"} /* ♪ */,
    };
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        int32_t id = known[i].id;
        assert_int_equal(v->len[id], (int)strlen(known[i].s));
        assert_memory_equal(v->bytes[id], known[i].s, strlen(known[i].s));
        assert_int_equal(es_whisper_token_lookup(v, known[i].s, strlen(known[i].s)), id);
    }
    es_whisper_vocab_free(v);
}

static void real_vocab_jfk(void **state)
{
    (void)state;
    es_whisper_vocab *v = real_vocab();
    /* <|0.00|> And so my fellow Americans, ask not what your country can do
     * for you, ask what you can do for your country. <|11.00|> <|eot|> */
    const int32_t ids[] = {50364, 400, 370, 452, 7177, 6280, 11, 1029, 406, 437,
                           428, 1941, 393, 360, 337, 291, 11, 1029, 437, 291, 393,
                           360, 337, 428, 1941, 13, 50914, 50257};
    char *text = NULL;
    es_error err;
    assert_int_equal(es_whisper_detokenize(v, ids, (int)(sizeof ids / sizeof *ids),
                                           &text, &err), ES_OK);
    assert_string_equal(text, " And so my fellow Americans, ask not what your country "
                              "can do for you, ask what you can do for your country.");
    free(text);
    es_whisper_vocab_free(v);
}

/* A vocabulary whose token bytes are given here: ids 0..255 single bytes,
 * 256 = e6 97 (the first two bytes of 日), 257 = "ab". */
static es_whisper_vocab *byte_vocab(void)
{
    static char store[258][4];
    static char *bytes[258];
    static int len[258];
    for (int i = 0; i < 256; i++) {
        store[i][0] = (char)i;
        bytes[i] = store[i];
        len[i] = 1;
    }
    memcpy(store[256], "\xe6\x97", 2);
    bytes[256] = store[256];
    len[256] = 2;
    memcpy(store[257], "ab", 2);
    bytes[257] = store[257];
    len[257] = 2;
    es_whisper_vocab *v = NULL;
    es_error err;
    if (es_whisper_vocab_new(51865, 258, bytes, len, &v, &err)) fail_msg("%s", err.message);
    return v;
}

static void split_utf8_across_tokens(void **state)
{
    (void)state;
    es_whisper_vocab *v = byte_vocab();
    char *text = NULL;
    es_error err;
    int32_t whole[] = {256, v->timestamp_begin + 3, 0xa5};   /* a timestamp between */
    assert_int_equal(es_whisper_detokenize(v, whole, 3, &text, &err), ES_OK);
    assert_string_equal(text, "\xe6\x97\xa5");
    free(text);
    int32_t cut[] = {256, 'a', v->eot, 'b'};
    assert_int_equal(es_whisper_detokenize(v, cut, 4, &text, &err), ES_OK);
    assert_string_equal(text, "\xef\xbf\xbd" "ab");
    free(text);
    int32_t bpe[8];
    assert_int_equal(es_whisper_bpe_encode(v, "ab", 2, bpe, 8), 1);
    assert_int_equal(bpe[0], 257);
    assert_int_equal(es_whisper_bpe_encode(v, "\xe6\x97\xa5", 3, bpe, 8), 2);
    assert_int_equal(bpe[0], 256);
    assert_int_equal(bpe[1], 0xa5);
    assert_int_equal(v->space, ' ');
    es_whisper_vocab_free(v);
}

static void real_vocab_repaired_bytes(void **state)
{
    (void)state;
    es_whisper_vocab *v = real_vocab();
    /* the ggml file stores the 1476 tokens that are not UTF-8 by themselves
     * as U+FFFD (rank 162 is the byte e6 in multilingual.tiktoken); the
     * vocabulary puts the original bytes back */
    assert_int_equal(v->n_repaired, 1476);
    assert_int_equal(v->len[162], 1);
    assert_memory_equal(v->bytes[162], "\xe6", 1);
    /* 日 = e6 97 a5 spelled as three single-byte tokens, a timestamp between */
    int32_t b0 = es_whisper_token_lookup(v, "\xe6", 1);
    int32_t b1 = es_whisper_token_lookup(v, "\x97", 1);
    int32_t b2 = es_whisper_token_lookup(v, "\xa5", 1);
    assert_int_equal(b0, 162);
    assert_true(b1 >= 0 && b2 >= 0);
    int32_t ids[] = {b0, b1, v->timestamp_begin + 3, b2, 264};
    char *text = NULL;
    es_error err;
    assert_int_equal(es_whisper_detokenize(v, ids, 5, &text, &err), ES_OK);
    assert_string_equal(text, "\xe6\x97\xa5 the");
    free(text);
    int32_t cut[] = {b0, b1, 264};
    assert_int_equal(es_whisper_detokenize(v, cut, 3, &text, &err), ES_OK);
    assert_string_equal(text, "\xef\xbf\xbd the");
    free(text);
    /* a file with raw bytes is left as it is */
    es_whisper_vocab *w = NULL;
    assert_int_equal(es_whisper_vocab_new(v->n_vocab, v->n_tokens, v->bytes, v->len, &w,
                                          &err), ES_OK);
    assert_int_equal(w->n_repaired, 0);
    for (int i = 0; i < v->n_tokens; i++) {
        assert_int_equal(w->len[i], v->len[i]);
        assert_memory_equal(w->bytes[i], v->bytes[i], (size_t)v->len[i]);
    }
    es_whisper_vocab_free(w);
    es_whisper_vocab_free(v);
}

static void real_vocab_bpe(void **state)
{
    (void)state;
    es_whisper_vocab *v = real_vocab();
    int32_t ids[16];
    assert_int_equal(es_whisper_bpe_encode(v, " the", 4, ids, 16), 1);
    assert_int_equal(ids[0], 264);
    assert_int_equal(es_whisper_bpe_encode(v, " Hello", 6, ids, 16), 1);
    assert_int_equal(ids[0], 2425);
    /* expected ids: the same merge rule run in Python on
     * multilingual.tiktoken's ranks */
    const char *s1 = " antidisestablishmentarianism";
    const int32_t w1[] = {2511, 40920, 33542, 1933, 518, 10652, 1434};
    assert_int_equal(es_whisper_bpe_encode(v, s1, strlen(s1), ids, 16), 7);
    for (int i = 0; i < 7; i++) assert_int_equal(ids[i], w1[i]);
    assert_int_equal(es_whisper_bpe_encode(v, " (((", 4, ids, 16), 2);
    assert_int_equal(ids[0], 15265);
    assert_int_equal(ids[1], 7);
    assert_int_equal(es_whisper_bpe_encode(v, "<<<", 3, ids, 1), 3);   /* count > max */
    assert_int_equal(ids[0], 27);
    assert_int_equal(es_whisper_bpe_encode(v, "\xe2\x99\xaa\xe2\x99\xaa", 6, ids, 16), 1);
    assert_int_equal(ids[0], 26130);   /* ♪♪ (needs the repaired bytes) */
    assert_int_equal(es_whisper_bpe_encode(v, "", 0, ids, 16), 0);
    es_whisper_vocab_free(v);
}

static void real_vocab_non_speech(void **state)
{
    (void)state;
    es_whisper_vocab *v = real_vocab();
    /* openai's non_speech_tokens for the multilingual tokenizer, as in HF's
     * whisper generation_config.json suppress_tokens (without the specials
     * 50258, 50358..50362 that openai adds separately) */
    const int32_t want[] = {
        1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31, 58, 59, 60, 61, 62, 63,
        90, 91, 92, 93, 359, 503, 522, 542, 873, 893, 902, 918, 922, 931, 1350,
        1853, 1982, 2460, 2627, 3246, 3253, 3268, 3536, 3846, 3961, 4183, 4667,
        6585, 6647, 7273, 9061, 9383, 10428, 10929, 11938, 12033, 12331, 12562,
        13793, 14157, 14635, 15265, 15618, 16553, 16604, 18362, 18956, 20075,
        21675, 22520, 26130, 26161, 26435, 28279, 29464, 31650, 32302, 32470,
        36865, 42863, 47425, 49870, 50254};
    int n = (int)(sizeof want / sizeof *want);
    if (v->n_non_speech != n) {
        char got[4096] = "";
        for (int i = 0; i < v->n_non_speech; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), " %d", v->non_speech[i]);
        fail_msg("non-speech: %d tokens, want %d:%s", v->n_non_speech, n, got);
    }
    for (int i = 0; i < n; i++) assert_int_equal(v->non_speech[i], want[i]);
    /* openai's derivation run here with BPE on the (repaired) file bytes
     * gives exactly the published set */
    int32_t *derived = NULL;
    int nd = es_whisper_vocab_derive_non_speech(v, &derived);
    if (nd != n) {
        char got[4096] = "";
        for (int i = 0; i < nd; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), " %d", derived[i]);
        fail_msg("derived non-speech: %d tokens, want %d:%s", nd, n, got);
    }
    for (int i = 0; i < n; i++) assert_int_equal(derived[i], want[i]);
    free(derived);
    es_whisper_vocab_free(v);
}

static void file_errors(void **state)
{
    (void)state;
    es_whisper_vocab *v = NULL;
    es_error err;
    assert_int_equal(es_whisper_vocab_load_file("/nonexistent/ggml.bin", &v, &err),
                     ES_ERR_NOT_FOUND);
    assert_null(v);
    /* the real file cut in the middle of its vocabulary */
    const char *path = es_test_require_shared("models/whisper-aux/for-tests-ggml-tiny.bin");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[300000];
    size_t got = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(got > 200000);
    const char *cut = es_test_path("%s/cut-vocab.bin", es_test_tmp_dir());
    f = fopen(cut, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, 200000, f), 200000);
    fclose(f);
    assert_int_equal(es_whisper_vocab_load_file(cut, &v, &err), ES_ERR_FORMAT);
    assert_null(v);
    assert_non_null(strstr(err.message, "cut-vocab.bin"));
    /* a hostile token length */
    size_t voff = 4 + 11 * 4 + 8 + 80 * 201 * 4;   /* magic, hparams, filters */
    memcpy(buf + voff + 4, "\xff\xff\xff\x7f", 4);
    f = fopen(cut, "wb");
    assert_int_equal(fwrite(buf, 1, got, f), got);
    fclose(f);
    assert_int_equal(es_whisper_vocab_load_file(cut, &v, &err), ES_ERR_FORMAT);
    assert_null(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_multilingual),
        cmocka_unit_test(layout_english_only),
        cmocka_unit_test(layout_large_v3),
        cmocka_unit_test(bad_sizes),
        cmocka_unit_test(languages),
        cmocka_unit_test(utf8_repair),
        cmocka_unit_test(real_vocab_tokens),
        cmocka_unit_test(real_vocab_jfk),
        cmocka_unit_test(split_utf8_across_tokens),
        cmocka_unit_test(real_vocab_repaired_bytes),
        cmocka_unit_test(real_vocab_bpe),
        cmocka_unit_test(real_vocab_non_speech),
        cmocka_unit_test(file_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
