/* main.c — the earshot command line: dispatches to one subcommand per file
 * (cmd_*.c). Later subcommands (index, search, serve, train, eval,
 * transcribe, embed) join the table here. */
#include "app/cli.h"

#include <libavutil/log.h>
#include <stdlib.h>
#include <string.h>

static const es_cli_command COMMANDS[] = {
    {"index", "index folders of audio for search (incremental)",
     es_cmd_index, es_cmd_index_help},
    {"search", "find moments by text, or by an example clip (--like)",
     es_cmd_search, es_cmd_search_help},
    {"status", "what an index holds, its models and failed files",
     es_cmd_status, es_cmd_status_help},
    {"serve", "a web page and HTTP API to search, listen and index",
     es_cmd_serve, es_cmd_serve_help},
    {"decode", "decode any audio/video file to 16 kHz mono WAV",
     es_cmd_decode, es_cmd_decode_help},
    {"info", "show what a file holds (codec, rate, channels, duration)",
     es_cmd_info, es_cmd_info_help},
    {"logmel", "Whisper log-mel spectrogram of a file as .npy",
     es_cmd_logmel, es_cmd_logmel_help},
    {"features", "sound feature vectors, one row per chunk, as .npy",
     es_cmd_features, es_cmd_features_help},
    {"embed", "text to vectors in the search space (.npy or JSON)",
     es_cmd_embed, es_cmd_embed_help},
    {"models", "list, download and locate models", es_cmd_models, es_cmd_models_help},
    {"transcribe", "speech to timestamped text (txt, srt, vtt, json)",
     es_cmd_transcribe, es_cmd_transcribe_help},
    {"train", "train a bridge from labelled audio to the text space",
     es_cmd_train, es_cmd_train_help},
    {"eval", "retrieval metrics of a bridge; cross-validation with baselines",
     es_cmd_eval, es_cmd_eval_help},
    {"bridge", "inspect a bridge, or export it to ONNX",
     es_cmd_bridge, es_cmd_bridge_help},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *out)
{
    fprintf(out,
            "earshot %s — local text-to-audio search\n\n"
            "Usage: earshot COMMAND [OPTIONS] ...\n\nCommands:\n",
            es_version());
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out,
            "\nGlobal options:\n"
            "  -h, --help     show this help (or 'earshot COMMAND --help')\n"
            "  --version      print the version\n"
            "  -v, --verbose  let FFmpeg print its own diagnostics\n"
            "\nAll audio is decoded to 16 kHz mono. Arrays are written as NumPy\n"
            ".npy (float32, C order): numpy.load('out.npy').\n");
}

int main(int argc, char **argv)
{
    int verbose = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return ES_EXIT_OK;
        } else if (!strcmp(argv[i], "--version")) {
            printf("earshot %s\n", es_version());
            return ES_EXIT_OK;
        } else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
            verbose = 1;
        } else {
            fprintf(stderr, "earshot: unknown option '%s'\n\n", argv[i]);
            usage(stderr);
            return ES_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return ES_EXIT_USAGE;
    }
    /* earshot reports decoding problems itself, naming the file; FFmpeg's
     * own log lines would only repeat them. */
    av_log_set_level(verbose ? AV_LOG_INFO : AV_LOG_QUIET);

    for (size_t c = 0; c < N_COMMANDS; c++) {
        if (strcmp(argv[i], COMMANDS[c].name) != 0) continue;
        for (int j = i + 1; j < argc; j++) {
            if (!strcmp(argv[j], "--")) break;
            if (!strcmp(argv[j], "-h") || !strcmp(argv[j], "--help")) {
                COMMANDS[c].help(stdout);
                return ES_EXIT_OK;
            }
        }
        return COMMANDS[c].run(argc - i, argv + i);
    }
    fprintf(stderr, "earshot: unknown command '%s'\n\n", argv[i]);
    usage(stderr);
    return ES_EXIT_USAGE;
}
