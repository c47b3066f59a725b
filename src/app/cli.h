/* cli.h — what the earshot subcommands share: the command table, option
 * parsing helpers and error reporting. The CLI is a thin client of
 * include/earshot.h; it holds the only process-wide settings (log level). */
#ifndef ES_APP_CLI_H
#define ES_APP_CLI_H

#include <stdio.h>
#include "earshot.h"

typedef struct es_cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);   /* argv[0] is the command name */
    void (*help)(FILE *out);
} es_cli_command;

/* Exit codes: 0 ok, 1 the work failed (bad input file …), 2 usage error. */
enum { ES_EXIT_OK = 0, ES_EXIT_FAIL = 1, ES_EXIT_USAGE = 2 };

/* Prints "earshot: <message>" for a failed call and returns ES_EXIT_FAIL. */
int es_cli_report(const es_error *err);
/* Prints "earshot <cmd>: <message>" plus a hint to --help; returns 2. */
int es_cli_usage_error(const char *cmd, const char *fmt, ...);

/* Parses a positive number of seconds; returns 0 on success. */
int es_cli_parse_seconds(const char *s, double *out);
/* Parses an integer in [lo, hi]; returns 0 on success. */
int es_cli_parse_int(const char *s, int lo, int hi, int *out);

/* True when stderr is a terminal (progress bars are drawn only then). */
int es_cli_stderr_is_tty(void);

int es_cmd_decode(int argc, char **argv);
void es_cmd_decode_help(FILE *out);
int es_cmd_info(int argc, char **argv);
void es_cmd_info_help(FILE *out);
int es_cmd_logmel(int argc, char **argv);
void es_cmd_logmel_help(FILE *out);
int es_cmd_features(int argc, char **argv);
void es_cmd_features_help(FILE *out);
int es_cmd_embed(int argc, char **argv);
void es_cmd_embed_help(FILE *out);
int es_cmd_models(int argc, char **argv);
void es_cmd_models_help(FILE *out);
int es_cmd_transcribe(int argc, char **argv);
void es_cmd_transcribe_help(FILE *out);
int es_cmd_train(int argc, char **argv);
void es_cmd_train_help(FILE *out);
int es_cmd_eval(int argc, char **argv);
void es_cmd_eval_help(FILE *out);
int es_cmd_bridge(int argc, char **argv);
void es_cmd_bridge_help(FILE *out);
int es_cmd_index(int argc, char **argv);
void es_cmd_index_help(FILE *out);
int es_cmd_search(int argc, char **argv);
void es_cmd_search_help(FILE *out);
int es_cmd_status(int argc, char **argv);
void es_cmd_status_help(FILE *out);
int es_cmd_serve(int argc, char **argv);
void es_cmd_serve_help(FILE *out);

#endif
