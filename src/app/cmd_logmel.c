/* cmd_logmel.c — `earshot logmel IN -o out.npy`: Whisper's log-mel
 * spectrogram of a whole file, [n_mels, n_frames] with no 30 s padding, the
 * array openai's log_mel_spectrogram returns for the same samples. */
#include "app/cli.h"

#include <stdlib.h>
#include <string.h>

/* 4 h of log-mel at 80 bins is 460 MB of float32: past that, chunk the file. */
#define LOGMEL_MAX_SECONDS (4.0 * 3600.0)

void es_cmd_logmel_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot logmel IN -o OUT.npy [--mels 80|128] [--model GGML]\n\n"
            "Computes openai/whisper's log-mel spectrogram (n_fft 400, hop 160,\n"
            "Slaney mel filters, log10, max-8 floor, (x+4)/4) of the whole file,\n"
            "without the 30 s padding Whisper adds when it transcribes.\n"
            "Writes float32 [n_mels, n_frames], n_frames = samples / 160.\n\n"
            "Options:\n"
            "  -o, --output PATH   the .npy to write (required)\n"
            "  --mels N            80 (default; Whisper tiny…medium) or 128 (large-v3)\n"
            "  --model PATH        use the mel filters stored in a whisper.cpp\n"
            "                      ggml model file instead of computing them\n"
            "Files longer than 4 h are refused: use 'earshot features' windows.\n");
}

int es_cmd_logmel(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *model = NULL;
    int n_mels = 80;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (++i >= argc) return es_cli_usage_error("logmel", "-o needs a path");
            out = argv[i];
        } else if (!strcmp(argv[i], "--mels")) {
            if (++i >= argc || es_cli_parse_int(argv[i], 1, 1000, &n_mels) ||
                (n_mels != 80 && n_mels != 128))
                return es_cli_usage_error("logmel", "--mels must be 80 or 128");
        } else if (!strcmp(argv[i], "--model")) {
            if (++i >= argc) return es_cli_usage_error("logmel", "--model needs a path");
            model = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return es_cli_usage_error("logmel", "unknown option '%s'", argv[i]);
        } else if (!in) {
            in = argv[i];
        } else {
            return es_cli_usage_error("logmel", "one input file at a time");
        }
    }
    if (!in) return es_cli_usage_error("logmel", "no input file");
    if (!out) return es_cli_usage_error("logmel", "no output file (-o OUT.npy)");

    es_error err = {0};
    es_logmel *mel = NULL;
    es_status st = model ? es_logmel_create_from_ggml(model, &mel, &err)
                         : es_logmel_create(n_mels, NULL, &mel, &err);
    if (st != ES_OK) return es_cli_report(&err);

    float *x = NULL;
    size_t n = 0;
    if (es_decode_file(in, LOGMEL_MAX_SECONDS, &x, &n, &err) != ES_OK) {
        es_logmel_free(mel);
        return es_cli_report(&err);
    }
    size_t n_frames = es_logmel_n_frames(n);
    size_t rows = (size_t)es_logmel_n_mels(mel);
    size_t cells = rows * n_frames;
    float *m = malloc(sizeof(float) * (cells > 0 ? cells : 1));
    int rc = ES_EXIT_OK;
    if (!m) {
        fprintf(stderr, "earshot: out of memory for %zu frames\n", n_frames);
        rc = ES_EXIT_FAIL;
    } else if (es_logmel_compute(mel, x, n, m, &err) != ES_OK) {
        rc = es_cli_report(&err);
    } else {
        size_t shape[2] = {rows, n_frames};
        if (es_npy_write_f32(out, m, shape, 2, &err) != ES_OK)
            rc = es_cli_report(&err);
        else
            printf("%s: %.2f s → %s [%zu, %zu]\n", in,
                   (double)n / ES_SAMPLE_RATE, out, rows, n_frames);
    }
    free(m);
    es_free(x);
    es_logmel_free(mel);
    return rc;
}
