/* test_decode_long_stream.c — a 3-hour file is chunked in bounded memory.
 *
 * 3 h of 16 kHz silence as FLAC is a ~1 MB file, but 691 MB as float. The
 * chunker must walk all of it with the default 10 s / 5 s windows while the
 * process's peak resident memory (VmHWM) grows by less than 64 MiB. It is a
 * program of its own so that no other test's peak hides the measurement.
 * Runtime observed: ~9 s in all, ~8 s of it sox writing the file; the
 * chunker itself takes ~0.4 s (0.6 s under ASan+UBSan).
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "earshot.h"

#if defined(__SANITIZE_ADDRESS__)
/* ASan keeps freed blocks in a 256 MiB quarantine by default, which would
 * show up as RSS growth of FFmpeg's per-packet buffers. A small quarantine
 * keeps use-after-free detection and measures our real footprint. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=8"; }
#endif

/* Peak resident set size in KiB, from /proc/self/status. */
static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static void three_hours_in_bounded_memory(void **state)
{
    (void)state;
    const char *p = es_test_path("%s/three_hours.flac", es_test_tmp_dir());
    es_test_sh("sox -n -r 16000 -c 1 %s trim 0 10800", p);

    long before = peak_rss_kib();
    if (before < 0) {
        printf("# /proc/self/status has no VmHWM; memory not measured\n");
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    es_chunker *c = NULL;
    es_error err;
    assert_int_equal(es_chunker_open(p, NULL, &c, &err), ES_OK);
    assert_true(es_chunker_info(c)->duration_s > 10799.9);
    es_chunk ch;
    size_t count = 0;
    double last_start = -1, last_end = 0, peak = 0;
    es_status s;
    while ((s = es_chunker_next(c, &ch, &err)) == ES_OK) {
        assert_int_equal(ch.index, count);
        assert_int_equal(ch.n_samples, 160000);
        assert_true(ch.start_s == 5.0 * (double)count);
        for (size_t i = 0; i < ch.n_samples; i += 997)
            if (ch.samples[i] > peak || -ch.samples[i] > peak)
                peak = ch.samples[i] > 0 ? ch.samples[i] : -ch.samples[i];
        last_start = ch.start_s;
        last_end = ch.end_s;
        count++;
    }
    if (s != ES_DONE) fail_msg("%s", err.message);
    es_chunker_close(c);

    clock_gettime(CLOCK_MONOTONIC, &t1);
    long after = peak_rss_kib();
    double secs = (double)(t1.tv_sec - t0.tv_sec) +
                  (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("# 3 h: %zu chunks, last [%g, %g], %.1f s, peak RSS %ld -> %ld KiB "
           "(+%ld KiB)\n", count, last_start, last_end, secs, before, after,
           after - before);
    /* Starts 0, 5, …, 10790 are full windows (i·5 + 10 ≤ 10800); the one
     * at 10795 would add no new audio. */
    assert_int_equal(count, 2159);
    assert_true(last_start == 10790.0 && last_end == 10800.0);
    assert_true(peak == 0.0);
    if (before >= 0) assert_true(after - before < 64 * 1024);
}

int main(void)
{
    if (!es_test_have_tool("sox")) {
        fprintf(stderr, "SKIPPED: sox is not on PATH\n");
        return ES_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(three_hours_in_bounded_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
