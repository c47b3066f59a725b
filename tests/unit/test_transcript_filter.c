/* test_transcript_filter.c — the repetition rule that drops recogniser
 * loops on non-speech (transcript_filter.h). */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#include "index/transcript_filter.h"

static void test_loops_are_dropped(void **state)
{
    (void)state;
    /* PocketSphinx on a synthetic siren and on a swept tone */
    assert_true(es_transcript_is_repetitive(
        "woo woo woo woo woo hoo woo woo woo woo woo woo"));
    assert_true(es_transcript_is_repetitive(
        "and it oh oh oh oh are lower lower lower oh oh oh oh oh are you lower"));
    assert_true(es_transcript_is_repetitive("The the THE the, the the"));
}

static void test_speech_is_kept(void **state)
{
    (void)state;
    assert_false(es_transcript_is_repetitive(
        "and so my fellow americans ask not what your country can do for you"));
    /* short segments are never judged: too few words to tell */
    assert_false(es_transcript_is_repetitive("no no no no no"));
    assert_false(es_transcript_is_repetitive(""));
    assert_false(es_transcript_is_repetitive("   ,,, "));
    /* exactly half distinct is kept; fewer is dropped */
    assert_false(es_transcript_is_repetitive("a b c a b c"));
    assert_true(es_transcript_is_repetitive("a b a b a b a"));
}

static void test_long_and_odd_input(void **state)
{
    (void)state;
    /* 2000 words: only the first 256 are read, no overflow */
    char *big = malloc(2000 * 4 + 1);
    assert_non_null(big);
    for (int i = 0; i < 2000; i++) memcpy(big + 4 * i, "la  ", 4);
    big[2000 * 4] = 0;
    assert_true(es_transcript_is_repetitive(big));
    /* one 5000-byte word: truncated for comparison, no overflow */
    memset(big, 'x', 5000);
    big[5000] = 0;
    assert_false(es_transcript_is_repetitive(big));
    free(big);
    /* UTF-8 words count as words */
    assert_false(es_transcript_is_repetitive("über straße café naïve déjà vu"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loops_are_dropped),
        cmocka_unit_test(test_speech_is_kept),
        cmocka_unit_test(test_long_and_odd_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
