/* test_decode.c — decoding every supported format to 16 kHz mono.
 *
 * Two kinds of round trip:
 *   - lossless (wav, flac, mkv/flac): the source is written here, sample by
 *     sample, as 16 kHz mono s16, so the decoder does no resampling and
 *     must return exactly s16 / 32768 (tolerance 1e-6, float rounding only);
 *   - every format (wav, flac, mp3, ogg/vorbis, opus, m4a/aac, mp4 with a
 *     video track, mkv/vorbis): a 3 s 44.1 kHz stereo signal, 0.3·sin(440 Hz)
 *     + 0.3·sin(1000 Hz) in both channels, made by ffmpeg's aevalsrc. It is
 *     resampled and downmixed ((L+R)/2), so it must come back with RMS 0.3,
 *     3 s long, and its energy at 440 Hz and 1 kHz, not elsewhere.
 * Length tolerance: 50 ms (800 samples). FFmpeg removes encoder delay
 * (LAME tag, Opus pre-skip, MP4 edit lists) but a codec may still pad the
 * end to a whole frame: AAC 1024 and MP3 1152 samples at 44.1 kHz (23 and
 * 26 ms), Vorbis up to 2048 (46 ms) in Matroska, which stores no end trim.
 * Observed: m4a/mp4 +298 samples, mkv +135, mp3/ogg/opus exact.
 */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earshot.h"

static void write_u16(FILE *f, unsigned v)
{
    fputc((int)(v & 0xff), f);
    fputc((int)((v >> 8) & 0xff), f);
}

static void write_u32(FILE *f, unsigned long v)
{
    write_u16(f, (unsigned)(v & 0xffff));
    write_u16(f, (unsigned)((v >> 16) & 0xffff));
}

/* A canonical 44-byte-header PCM s16 WAV. */
static void write_wav_s16(const char *path, int rate, int channels,
                          const int16_t *x, size_t n_frames)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned long data = (unsigned long)(n_frames * (size_t)channels * 2);
    fwrite("RIFF", 1, 4, f);
    write_u32(f, 36 + data);
    fwrite("WAVEfmt ", 1, 8, f);
    write_u32(f, 16);
    write_u16(f, 1);
    write_u16(f, (unsigned)channels);
    write_u32(f, (unsigned long)rate);
    write_u32(f, (unsigned long)rate * (unsigned long)channels * 2);
    write_u16(f, (unsigned)channels * 2);
    write_u16(f, 16);
    fwrite("data", 1, 4, f);
    write_u32(f, data);
    for (size_t i = 0; i < n_frames * (size_t)channels; i++)
        write_u16(f, (uint16_t)x[i]);
    assert_int_equal(fclose(f), 0);
}

static double rms(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return n ? sqrt(s / (double)n) : 0;
}

/* Amplitude of the component at hz (single DFT bin over x). */
static double tone(const float *x, size_t n, double hz)
{
    double re = 0, im = 0;
    for (size_t i = 0; i < n; i++) {
        double ph = 2 * M_PI * hz * (double)i / ES_SAMPLE_RATE;
        re += x[i] * cos(ph);
        im -= x[i] * sin(ph);
    }
    return 2 * sqrt(re * re + im * im) / (double)n;
}

/* ------------------------------------------------------------- lossless */

static int16_t lossless_sample(size_t i)
{
    /* A sine plus a slow ramp plus a pseudo-random part: every sample
     * differs, so an offset or a dropped sample cannot go unnoticed. */
    double v = 9000 * sin(2 * M_PI * 523.0 * (double)i / 16000) +
               (double)(i % 4000) * 2 - 4000 +
               (double)((i * 2654435761u) % 2001) - 1000;
    return (int16_t)lrint(v);
}

static void lossless_round_trip(void **state)
{
    (void)state;
    const char *dir = es_test_tmp_dir();
    size_t n = 16000 * 2 + 123;
    int16_t *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) x[i] = lossless_sample(i);
    const char *src = es_test_path("%s/lossless.wav", dir);
    write_wav_s16(src, 16000, 1, x, n);
    es_test_sh("ffmpeg -v error -y -i %s -c:a flac %s/lossless.flac", src, dir);
    es_test_sh("ffmpeg -v error -y -i %s -c:a flac %s/lossless.mkv", src, dir);

    const char *names[] = {"lossless.wav", "lossless.flac", "lossless.mkv"};
    const char *codecs[] = {"pcm_s16le", "flac", "flac"};
    for (size_t k = 0; k < 3; k++) {
        const char *p = es_test_path("%s/%s", dir, names[k]);
        float *y = NULL;
        size_t m = 0;
        es_error err;
        es_status s = es_decode_file(p, 0, &y, &m, &err);
        if (s != ES_OK) fail_msg("%s: %s", p, err.message);
        assert_int_equal(m, n);
        double worst = 0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs((double)y[i] - x[i] / 32768.0);
            if (d > worst) worst = d;
        }
        printf("# %s: %zu samples, max |error| %.2g\n", names[k], m, worst);
        assert_true(worst < 1e-6);
        es_free(y);

        es_decoder *d = NULL;
        assert_int_equal(es_decoder_open(p, &d, &err), ES_OK);
        const es_audio_info *info = es_decoder_info(d);
        assert_string_equal(info->codec, codecs[k]);
        assert_int_equal(info->source_sample_rate, 16000);
        assert_int_equal(info->source_channels, 1);
        assert_true(fabs(info->duration_s - n / 16000.0) < 0.01);
        es_decoder_close(d);
    }
    free(x);
}

/* ------------------------------------------------------------ all formats */

typedef struct format_case {
    const char *file;
    const char *ffmpeg_args;    /* output options before the file name  */
    const char *codec;
    const char *container;      /* a substring of the demuxer name      */
    int lossy;
} format_case;

static const format_case formats[] = {
    {"tone.wav", "", "pcm_s16le", "wav", 0},
    {"tone.flac", "", "flac", "flac", 0},
    {"tone.mp3", "-c:a libmp3lame -b:a 128k", "mp3", "mp3", 1},
    {"tone.ogg", "-c:a libvorbis", "vorbis", "ogg", 1},
    {"tone.opus", "-c:a libopus -b:a 96k", "opus", "ogg", 1},
    {"tone.m4a", "-c:a aac -b:a 128k", "aac", "mp4", 1},
    {"tone.mkv", "-c:a libvorbis", "vorbis", "matroska", 1},
};

static void make_tone(const char *dir)
{
    es_test_sh("ffmpeg -v error -y -f lavfi -i "
               "'aevalsrc=0.3*sin(2*PI*440*t)+0.3*sin(2*PI*1000*t)|"
               "0.3*sin(2*PI*440*t)+0.3*sin(2*PI*1000*t):s=44100:d=3' "
               "-c:a pcm_s16le %s/tone_src.wav", dir);
}

static void check_tone(const char *path, int lossy)
{
    float *y = NULL;
    size_t m = 0;
    es_error err;
    es_status s = es_decode_file(path, 0, &y, &m, &err);
    if (s != ES_OK) fail_msg("%s: %s", path, err.message);
    double r = rms(y, m);
    /* Middle second: away from codec fade-in/out. */
    const float *mid = y + 16000;
    double a440 = tone(mid, 16000, 440), a1k = tone(mid, 16000, 1000);
    double other = 0;
    const double others[] = {250, 700, 1500, 2500, 4000, 6000};
    for (size_t i = 0; i < 6; i++) other = fmax(other, tone(mid, 16000, others[i]));
    printf("# %-28s n=%zu (%+ld) rms=%.4f A440=%.3f A1k=%.3f other=%.4f\n",
           strrchr(path, '/') + 1, m, (long)m - 48000, r, a440, a1k, other);
    assert_true(labs((long)m - 48000) <= 800);
    /* LAME leaves the level ~5% low (ffmpeg's astats agrees), so lossy
     * codecs get 10%; lossless only resampler ripple. */
    assert_true(fabs(r - 0.3) < (lossy ? 0.03 : 0.003));
    assert_true(fabs(a440 - 0.3) < (lossy ? 0.03 : 0.003));
    assert_true(fabs(a1k - 0.3) < (lossy ? 0.03 : 0.003));
    assert_true(other < 0.01);
    for (size_t i = 0; i < m; i++) assert_true(y[i] >= -1.0f && y[i] <= 1.0f);
    es_free(y);
}

static void every_format_round_trips(void **state)
{
    (void)state;
    const char *dir = es_test_tmp_dir();
    make_tone(dir);
    for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++) {
        const format_case *fc = &formats[k];
        const char *p = es_test_path("%s/%s", dir, fc->file);
        es_test_sh("ffmpeg -v error -y -i %s/tone_src.wav %s %s", dir,
                   fc->ffmpeg_args, p);
        check_tone(p, fc->lossy);

        es_decoder *d = NULL;
        es_error err;
        assert_int_equal(es_decoder_open(p, &d, &err), ES_OK);
        const es_audio_info *info = es_decoder_info(d);
        assert_string_equal(info->codec, fc->codec);
        assert_non_null(strstr(info->container, fc->container));
        assert_int_equal(info->source_channels, 2);
        assert_int_equal(info->source_sample_rate,
                         strcmp(fc->codec, "opus") == 0 ? 48000 : 44100);
        assert_true(fabs(info->duration_s - 3.0) < 0.05);
        es_decoder_close(d);
    }
}

static void video_file_audio_track(void **state)
{
    (void)state;
    const char *dir = es_test_tmp_dir();
    make_tone(dir);
    const char *p = es_test_path("%s/tone_video.mp4", dir);
    es_test_sh("ffmpeg -v error -y -f lavfi -i testsrc=size=160x120:rate=25:"
               "duration=3 -i %s/tone_src.wav -map 0:v -map 1:a -c:v libx264 "
               "-c:a aac -shortest %s", dir, p);
    check_tone(p, 1);
    const char *q = es_test_path("%s/tone_video.mkv", dir);
    es_test_sh("ffmpeg -v error -y -f lavfi -i testsrc=size=160x120:rate=25:"
               "duration=3 -i %s/tone_src.wav -map 0:v -map 1:a -c:v mpeg4 "
               "-c:a flac %s", dir, q);
    check_tone(q, 0);
}

/* Odd but valid inputs: 8 channels at 96 kHz, 8-bit unsigned, mono 8 kHz,
 * stereo 44.1 kHz. sox's synth makes a full-scale sine in every channel;
 * the downmix must keep it a sine of the same level (RMS 1/√2 · gain). */
static void odd_formats_decode(void **state)
{
    (void)state;
    const char *dir = es_test_tmp_dir();
    struct { const char *name, *sox; int rate, ch; double secs; } c[] = {
        {"c8_96k.wav", "-r 96000 -c 8 -b 24", 96000, 8, 1.5},
        {"u8.wav", "-r 22050 -c 1 -b 8 -e unsigned-integer", 22050, 1, 1.0},
        {"mono8k.wav", "-r 8000 -c 1 -b 16", 8000, 1, 2.0},
        {"st44.wav", "-r 44100 -c 2 -b 16", 44100, 2, 1.0},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        const char *p = es_test_path("%s/%s", dir, c[k].name);
        es_test_sh("sox -n %s %s synth %g sine 440 vol 0.5", c[k].sox, p,
                   c[k].secs);
        float *y = NULL;
        size_t m = 0;
        es_error err;
        es_status s = es_decode_file(p, 0, &y, &m, &err);
        if (s != ES_OK) fail_msg("%s: %s", p, err.message);
        double r = rms(y + 1000, m - 2000);
        double a = tone(y + 1000, 8000, 440);
        printf("# %-12s n=%zu rms=%.4f A440=%.4f\n", c[k].name, m, r, a);
        assert_true(labs((long)m - lround(c[k].secs * 16000)) <= 1);
        assert_true(a > 0.3 && a < 0.51);             /* a 440 Hz sine... */
        assert_true(fabs(r - a / sqrt(2.0)) < 0.01);  /* ...and only that */
        es_free(y);

        es_decoder *d = NULL;
        assert_int_equal(es_decoder_open(p, &d, &err), ES_OK);
        assert_int_equal(es_decoder_info(d)->source_sample_rate, c[k].rate);
        assert_int_equal(es_decoder_info(d)->source_channels, c[k].ch);
        es_decoder_close(d);
    }
}

/* The streaming reader returns what es_decode_file returns, whatever the
 * read size, and counts its position. */
static void streaming_matches_whole_file(void **state)
{
    (void)state;
    const char *dir = es_test_tmp_dir();
    make_tone(dir);
    const char *p = es_test_path("%s/stream.ogg", dir);
    es_test_sh("ffmpeg -v error -y -i %s/tone_src.wav -c:a libvorbis %s",
               dir, p);
    float *whole = NULL;
    size_t n = 0;
    es_error err;
    assert_int_equal(es_decode_file(p, 0, &whole, &n, &err), ES_OK);

    const size_t sizes[] = {1, 7, 1000, 100000};
    for (size_t k = 0; k < 4; k++) {
        es_decoder *d = NULL;
        assert_int_equal(es_decoder_open(p, &d, &err), ES_OK);
        float *buf = malloc(sizes[k] * sizeof *buf);
        assert_non_null(buf);
        size_t pos = 0, got = 0;
        es_status s;
        while ((s = es_decoder_read(d, buf, sizes[k], &got, &err)) == ES_OK) {
            assert_true(got > 0 && got <= sizes[k]);
            assert_true(pos + got <= n);
            assert_memory_equal(buf, whole + pos, got * sizeof *buf);
            pos += got;
            assert_int_equal(es_decoder_position(d), pos);
        }
        assert_int_equal(s, ES_DONE);
        assert_int_equal(got, 0);
        assert_int_equal(pos, n);
        /* Stays done. */
        assert_int_equal(es_decoder_read(d, buf, sizes[k], &got, &err), ES_DONE);
        free(buf);
        es_decoder_close(d);
    }
    es_free(whole);
}

static void max_seconds_is_enforced(void **state)
{
    (void)state;
    const char *dir = es_test_tmp_dir();
    make_tone(dir);
    const char *p = es_test_path("%s/tone_src.wav", dir);
    float *y = NULL;
    size_t n = 0;
    es_error err;
    assert_int_equal(es_decode_file(p, 2.0, &y, &n, &err), ES_ERR_INVALID_ARG);
    assert_null(y);
    assert_non_null(strstr(err.message, p));
    assert_non_null(strstr(err.message, "limit"));
    assert_int_equal(es_decode_file(p, 3.5, &y, &n, &err), ES_OK);
    assert_int_equal(n, 48000);
    es_free(y);
    assert_int_equal(es_decode_file(p, -1, &y, &n, &err), ES_ERR_INVALID_ARG);
    assert_int_equal(es_decode_file(p, 0, NULL, &n, &err), ES_ERR_INVALID_ARG);
}

int main(void)
{
    const char *tools[] = {"ffmpeg", "sox"};
    for (size_t i = 0; i < 2; i++)
        if (!es_test_have_tool(tools[i])) {
            fprintf(stderr, "SKIPPED: %s is not on PATH\n", tools[i]);
            return ES_TEST_SKIP;
        }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lossless_round_trip),
        cmocka_unit_test(every_format_round_trips),
        cmocka_unit_test(video_file_audio_track),
        cmocka_unit_test(odd_formats_decode),
        cmocka_unit_test(streaming_matches_whole_file),
        cmocka_unit_test(max_seconds_is_enforced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
