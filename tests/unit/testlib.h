/* testlib.h — helpers shared by the cmocka unit tests: where the shared
 * data lives, a scratch directory, running shell tools to generate inputs. */
#ifndef ES_TESTLIB_H
#define ES_TESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Exit status CTest reads as "skipped". */
#define ES_TEST_SKIP 77

/* Path of the shared folder: $EARSHOT_SHARED, else <source>/../shared. */
const char *es_test_shared_dir(void);

/* Returns a path under the shared folder if the file exists. When it does
 * not: with EARSHOT_REQUIRE_DATA=1 the test program fails loudly; otherwise
 * it prints why and exits 77 so CTest reports it as skipped. */
const char *es_test_require_shared(const char *relative);

/* A scratch directory for this test program (created on first call). */
const char *es_test_tmp_dir(void);

/* snprintf into a static rotating buffer: es_test_path("%s/x.wav", dir). */
const char *es_test_path(const char *fmt, ...);

/* Runs a shell command; fails the current test if it exits non-zero. */
void es_test_sh(const char *fmt, ...);

/* Generates <tmp>/<stem>.flac, a 300 Hz tone of `seconds` at 16 kHz, and
 * <tmp>/<stem>_cut.flac holding its first 40 % of bytes; returns the cut
 * file's path (the full one is <stem>.flac beside it). */
const char *es_test_make_cut_flac(const char *stem, int seconds);

/* True if an executable is on PATH. */
int es_test_have_tool(const char *name);

#endif
