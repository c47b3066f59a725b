/* cmd_decode.c — `earshot decode IN -o OUT.wav` and `earshot info FILE...`:
 * the decoder as a user sees it. Decoding streams: a file of any length is
 * converted with a fixed-size buffer. */
#include "app/cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void es_cmd_decode_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot decode IN -o OUT.wav\n\n"
            "Decodes any file FFmpeg reads (wav, flac, mp3, ogg, opus, m4a/aac,\n"
            "the audio track of mp4/mkv, ...) to 16 kHz mono 16-bit WAV, the\n"
            "signal every earshot model sees.\n\n"
            "Options:\n"
            "  -o, --output PATH   where to write the WAV (required)\n\n"
            "A damaged file that ends early is written up to the point where it\n"
            "breaks, and the command exits 1 saying so.\n");
}

void es_cmd_info_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot info FILE...\n\n"
            "Prints, for each file, its container, codec, sample rate, channels\n"
            "and declared duration, or the reason it cannot be read. Exits 1 if\n"
            "any file cannot be opened.\n");
}

int es_cmd_decode(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (++i >= argc) return es_cli_usage_error("decode", "-o needs a path");
            out = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return es_cli_usage_error("decode", "unknown option '%s'", argv[i]);
        } else if (!in) {
            in = argv[i];
        } else {
            return es_cli_usage_error("decode", "one input file at a time");
        }
    }
    if (!in) return es_cli_usage_error("decode", "no input file");
    if (!out) return es_cli_usage_error("decode", "no output file (-o OUT.wav)");

    es_error err = {0};
    es_decoder *dec = NULL;
    if (es_decoder_open(in, &dec, &err) != ES_OK) return es_cli_report(&err);
    es_wav_writer *wav = NULL;
    if (es_wav_writer_open(out, ES_SAMPLE_RATE, &wav, &err) != ES_OK) {
        es_decoder_close(dec);
        return es_cli_report(&err);
    }

    enum { BUF = 16384 };
    float *buf = malloc(sizeof(float) * BUF);
    es_status st = buf ? ES_OK : ES_ERR_NOMEM;
    es_error rerr = {0};
    while (st == ES_OK) {
        size_t n = 0;
        st = es_decoder_read(dec, buf, BUF, &n, &rerr);
        if (n && es_wav_writer_write(wav, buf, n, &err) != ES_OK) {
            st = ES_ERR_IO;
            rerr = err;
        }
    }
    free(buf);
    uint64_t n_total = es_decoder_position(dec);
    es_decoder_close(dec);
    if (es_wav_writer_close(wav, &err) != ES_OK) {
        unlink(out);
        return es_cli_report(&err);
    }
    if (st == ES_DONE) {
        printf("%s: %.2f s → %s (16 kHz mono s16)\n", in,
               (double)n_total / ES_SAMPLE_RATE, out);
        return ES_EXIT_OK;
    }
    if (st == ES_ERR_TRUNCATED && n_total > 0) {
        fprintf(stderr, "earshot: %s\nearshot: wrote the %.2f s that could be "
                        "decoded to %s\n",
                rerr.message, (double)n_total / ES_SAMPLE_RATE, out);
        return ES_EXIT_FAIL;
    }
    unlink(out);
    if (st == ES_ERR_NOMEM) fprintf(stderr, "earshot: out of memory\n");
    return es_cli_report(&rerr);
}

int es_cmd_info(int argc, char **argv)
{
    int files = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1])
            return es_cli_usage_error("info", "unknown option '%s'", argv[i]);
        files++;
        es_error err = {0};
        es_decoder *dec = NULL;
        if (es_decoder_open(argv[i], &dec, &err) != ES_OK) {
            es_cli_report(&err);
            failed++;
            continue;
        }
        const es_audio_info *a = es_decoder_info(dec);
        printf("%s: %s/%s, %d Hz, %d channel%s, %.2f s\n", argv[i],
               a->container, a->codec, a->source_sample_rate,
               a->source_channels, a->source_channels == 1 ? "" : "s",
               a->duration_s);
        es_decoder_close(dec);
    }
    if (!files) return es_cli_usage_error("info", "no input file");
    return failed ? ES_EXIT_FAIL : ES_EXIT_OK;
}
