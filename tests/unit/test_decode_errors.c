/* test_decode_errors.c — bad inputs give the right es_status and a message
 * naming the file and the reason, and never crash (run under ASan+UBSan). */
#include "testlib.h"

#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "earshot.h"

/* Opens and reads p to the end; returns the first non-OK status of either
 * step, the message in err, and how many samples came before it. */
static es_status decode_all(const char *p, es_error *err, size_t *n_out)
{
    es_decoder *d = NULL;
    size_t total = 0;
    es_status s = es_decoder_open(p, &d, err);
    if (s == ES_OK) {
        float buf[1024];
        size_t got;
        while ((s = es_decoder_read(d, buf, 1024, &got, err)) == ES_OK)
            total += got;
        assert_int_equal(got, 0);
        es_decoder_close(d);
    } else {
        assert_null(d);
    }
    if (n_out) *n_out = total;
    return s;
}

/* Both entry points fail with `want`, naming the file and `reason`. */
static void expect_failure(const char *p, es_status want, const char *reason)
{
    es_error err;
    memset(&err, 0, sizeof err);
    es_status s = decode_all(p, &err, NULL);
    printf("# %s -> %s: %s\n", strrchr(p, '/') ? strrchr(p, '/') + 1 : p,
           es_status_str(s), err.message);
    assert_int_equal(s, want);
    assert_int_equal(err.code, want);
    assert_non_null(strstr(err.message, p));
    if (!strstr(err.message, reason))
        fail_msg("message '%s' lacks '%s'", err.message, reason);

    float *y = (float *)&err;  /* must be reset to NULL */
    size_t n = 7;
    memset(&err, 0, sizeof err);
    assert_int_equal(es_decode_file(p, 0, &y, &n, &err), want);
    assert_null(y);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.message, p));
}

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(b, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static size_t put_u16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8);
    return 2;
}

static size_t put_u32(unsigned char *p, unsigned long v)
{
    put_u16(p, (unsigned)(v & 0xffff));
    put_u16(p + 2, (unsigned)(v >> 16));
    return 4;
}

/* A PCM WAV header with the given fields, followed by data_bytes zeros. */
static void write_wav_header(const char *path, unsigned tag, unsigned channels,
                             unsigned long rate, unsigned bits,
                             size_t data_bytes)
{
    size_t size = 44 + data_bytes;
    unsigned char *b = calloc(1, size);
    assert_non_null(b);
    unsigned block = channels * bits / 8;
    memcpy(b, "RIFF", 4);
    put_u32(b + 4, (unsigned long)(36 + data_bytes));
    memcpy(b + 8, "WAVEfmt ", 8);
    put_u32(b + 16, 16);
    put_u16(b + 20, tag);
    put_u16(b + 22, channels);
    put_u32(b + 24, rate);
    put_u32(b + 28, rate * block);
    put_u16(b + 32, block);
    put_u16(b + 34, bits);
    memcpy(b + 36, "data", 4);
    put_u32(b + 40, (unsigned long)data_bytes);
    write_bytes(path, b, size);
    free(b);
}

static void missing_file(void **state)
{
    (void)state;
    expect_failure(es_test_path("%s/no-such-file.flac", es_test_tmp_dir()),
                   ES_ERR_NOT_FOUND, "not found");
    expect_failure(es_test_path("%s/no-such-dir/x.wav", es_test_tmp_dir()),
                   ES_ERR_NOT_FOUND, "not found");
}

/* Decision: a 0-byte file is ES_ERR_EMPTY ("empty file (0 bytes)"). */
static void empty_file(void **state)
{
    (void)state;
    const char *p = es_test_path("%s/empty.mp3", es_test_tmp_dir());
    write_bytes(p, "", 0);
    expect_failure(p, ES_ERR_EMPTY, "empty");
}

/* A valid WAV header with no data: opens, yields 0 samples. */
static void wav_without_samples(void **state)
{
    (void)state;
    const char *p = es_test_path("%s/nodata.wav", es_test_tmp_dir());
    write_wav_header(p, 1, 1, 16000, 16, 0);
    expect_failure(p, ES_ERR_EMPTY, "empty");
}

static void random_bytes(void **state)
{
    (void)state;
    const char *dir = es_test_tmp_dir();
    size_t n = 50000;
    unsigned char *b = malloc(n);
    assert_non_null(b);
    uint32_t r = 12345;
    for (size_t i = 0; i < n; i++) {
        r = r * 1664525u + 1013904223u;
        b[i] = (unsigned char)(r >> 24);
    }
    const char *p = es_test_path("%s/random.mp3", dir);
    write_bytes(p, b, n);
    expect_failure(p, ES_ERR_NOT_AUDIO, "not an audio file");
    const char *q = es_test_path("%s/random.wav", dir);
    write_bytes(q, b, 3000);
    expect_failure(q, ES_ERR_NOT_AUDIO, "not an audio file");
    const char *t = es_test_path("%s/notes.ogg", dir);
    const char text[] = "These are my notes, not a recording.\n";
    write_bytes(t, text, sizeof text - 1);
    expect_failure(t, ES_ERR_NOT_AUDIO, "not an audio file");
    free(b);
}

/* A 10 s FLAC cut to 40 %: every decodable sample comes out first, then
 * ES_ERR_TRUNCATED once, then ES_DONE. */
static void truncated_flac(void **state)
{
    (void)state;
    const char *cut = es_test_make_cut_flac("ten", 10);
    es_decoder *d = NULL;
    es_error err;
    assert_int_equal(es_decoder_open(cut, &d, &err), ES_OK);
    assert_true(es_decoder_info(d)->duration_s > 9.99);
    float buf[4096];
    size_t got, total = 0;
    es_status s;
    while ((s = es_decoder_read(d, buf, 4096, &got, &err)) == ES_OK)
        total += got;
    printf("# %s: %zu samples, then %s: %s\n", cut, total, es_status_str(s),
           err.message);
    assert_int_equal(s, ES_ERR_TRUNCATED);
    assert_true(total > 3 * 16000 && total < 5 * 16000);
    assert_int_equal(es_decoder_position(d), total);
    assert_non_null(strstr(err.message, cut));
    assert_non_null(strstr(err.message, "truncated"));
    assert_non_null(strstr(err.message, "10.00 s"));
    assert_int_equal(es_decoder_read(d, buf, 4096, &got, &err), ES_DONE);
    es_decoder_close(d);
    expect_failure(cut, ES_ERR_TRUNCATED, "truncated");
}

/* FFmpeg sizes a PCM WAV by the bytes present; the RIFF header still
 * declares the full length, and a streamed WAV (size 0xFFFFFFFF) is not
 * a truncated one. */
static void truncated_wav(void **state)
{
    (void)state;
    const char *dir = es_test_tmp_dir();
    const char *full = es_test_path("%s/ten.wav", dir);
    const char *cut = es_test_path("%s/ten_cut.wav", dir);
    es_test_sh("sox -n -r 44100 -b 16 -c 2 %s synth 10 sine 300 vol 0.5", full);
    es_test_sh("head -c 600000 %s > %s", full, cut);   /* 3.4 s of 10 s */
    es_decoder *d = NULL;
    es_error err;
    assert_int_equal(es_decoder_open(cut, &d, &err), ES_OK);
    assert_true(fabs(es_decoder_info(d)->duration_s - 10.0) < 0.01);
    float buf[4096];
    size_t got, total = 0;
    es_status s;
    while ((s = es_decoder_read(d, buf, 4096, &got, &err)) == ES_OK) total += got;
    assert_int_equal(s, ES_ERR_TRUNCATED);
    assert_true(total > 3 * 16000 && total < 4 * 16000);
    assert_non_null(strstr(err.message, cut));
    assert_non_null(strstr(err.message, "10.00 s"));
    es_decoder_close(d);

    /* The same bytes with a streaming header (unknown size) decode cleanly. */
    const char *stream = es_test_path("%s/ten_stream.wav", dir);
    es_test_sh("cp %s %s && printf '\\377\\377\\377\\377' | dd of=%s bs=1 "
               "seek=40 conv=notrunc status=none", cut, stream, stream);
    assert_int_equal(es_decoder_open(stream, &d, &err), ES_OK);
    total = 0;
    while ((s = es_decoder_read(d, buf, 4096, &got, &err)) == ES_OK) total += got;
    assert_int_equal(s, ES_DONE);
    assert_true(total > 3 * 16000);
    es_decoder_close(d);
}

static void zero_channel_wav(void **state)
{
    (void)state;
    const char *p = es_test_path("%s/zero_channels.wav", es_test_tmp_dir());
    write_wav_header(p, 1, 0, 16000, 16, 3200);
    expect_failure(p, ES_ERR_NOT_AUDIO, "0 channels");
}

static void zero_rate_wav(void **state)
{
    (void)state;
    const char *p = es_test_path("%s/zero_rate.wav", es_test_tmp_dir());
    write_wav_header(p, 1, 1, 0, 16, 3200);
    es_error err;
    es_status s = decode_all(p, &err, NULL);
    printf("# zero_rate.wav -> %s: %s\n", es_status_str(s), err.message);
    assert_true(s != ES_OK && s != ES_DONE);
    assert_non_null(strstr(err.message, p));
}

static void unknown_codec(void **state)
{
    (void)state;
    const char *p = es_test_path("%s/unknown_codec.wav", es_test_tmp_dir());
    write_wav_header(p, 0x1234, 1, 16000, 16, 3200);
    expect_failure(p, ES_ERR_UNSUPPORTED_CODEC, "unsupported audio codec");
}

static void directory(void **state)
{
    (void)state;
    const char *p = es_test_path("%s/adir.wav", es_test_tmp_dir());
    mkdir(p, 0755);
    expect_failure(p, ES_ERR_NOT_AUDIO, "directory");
}

static void permission_denied(void **state)
{
    (void)state;
    if (geteuid() == 0) {
        printf("# permission_denied: skipped, running as root (root can "
               "read any file, so chmod 000 proves nothing)\n");
        skip();
    }
    const char *p = es_test_path("%s/secret.wav", es_test_tmp_dir());
    write_wav_header(p, 1, 1, 16000, 16, 3200);
    assert_int_equal(chmod(p, 0), 0);
    expect_failure(p, ES_ERR_PERMISSION, "permission denied");
    chmod(p, 0644);
}

static void video_without_audio(void **state)
{
    (void)state;
    const char *p = es_test_path("%s/silent_film.mp4", es_test_tmp_dir());
    es_test_sh("ffmpeg -v error -y -f lavfi -i testsrc=size=64x48:rate=5:"
               "duration=1 -c:v mpeg4 %s", p);
    expect_failure(p, ES_ERR_NOT_AUDIO, "no audio stream");
}

/* Garbage in the middle of a FLAC and an MP3: whatever the status, no crash
 * (ASan/UBSan) and, on failure, a message naming the file. */
static void corrupted_middle_never_crashes(void **state)
{
    (void)state;
    const char *dir = es_test_tmp_dir();
    const char *exts[] = {"flac", "mp3", "ogg", "m4a"};
    for (size_t k = 0; k < 4; k++) {
        const char *p = es_test_path("%s/damaged.%s", dir, exts[k]);
        es_test_sh("ffmpeg -v error -y -f lavfi -i 'sine=f=440:d=4' %s", p);
        es_test_sh("head -c 4000 /dev/zero | tr '\\0' '\\377' | dd of=%s "
                   "bs=1 seek=9000 conv=notrunc status=none", p);
        es_error err;
        memset(&err, 0, sizeof err);
        size_t n = 0;
        es_status s = decode_all(p, &err, &n);
        printf("# %s -> %s after %zu samples %s\n", exts[k],
               es_status_str(s), n, err.message);
        assert_true(s == ES_DONE || s == ES_ERR_TRUNCATED || s == ES_ERR_DECODE);
        if (s != ES_DONE) assert_non_null(strstr(err.message, p));
    }
}

static void null_arguments(void **state)
{
    (void)state;
    es_decoder *d = (es_decoder *)&d;
    es_error err;
    assert_int_equal(es_decoder_open(NULL, &d, &err), ES_ERR_INVALID_ARG);
    assert_null(d);
    assert_int_equal(es_decoder_open("", &d, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_decoder_open("x", NULL, &err), ES_ERR_INVALID_ARG);
    size_t got = 5;
    float f;
    assert_int_equal(es_decoder_read(NULL, &f, 1, &got, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(got, 0);
    assert_null(es_decoder_info(NULL));
    assert_int_equal(es_decoder_position(NULL), 0);
    es_decoder_close(NULL);
    /* err may be NULL */
    assert_int_equal(es_decoder_open("/nonexistent/x.wav", &d, NULL),
                     ES_ERR_NOT_FOUND);
}

int main(void)
{
    if (!es_test_have_tool("ffmpeg") || !es_test_have_tool("sox")) {
        fprintf(stderr, "SKIPPED: ffmpeg and sox are needed on PATH\n");
        return ES_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_file),
        cmocka_unit_test(empty_file),
        cmocka_unit_test(wav_without_samples),
        cmocka_unit_test(random_bytes),
        cmocka_unit_test(truncated_flac),
        cmocka_unit_test(truncated_wav),
        cmocka_unit_test(zero_channel_wav),
        cmocka_unit_test(zero_rate_wav),
        cmocka_unit_test(unknown_codec),
        cmocka_unit_test(directory),
        cmocka_unit_test(permission_denied),
        cmocka_unit_test(video_without_audio),
        cmocka_unit_test(corrupted_middle_never_crashes),
        cmocka_unit_test(null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
