/* cli_util.c — error printing and argument parsing for the subcommands. */
#include "app/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

int es_cli_report(const es_error *err)
{
    fprintf(stderr, "earshot: %s\n",
            err && err->message[0] ? err->message : "unknown error");
    return ES_EXIT_FAIL;
}

int es_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "earshot %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'earshot %s --help'.\n", cmd);
    va_end(ap);
    return ES_EXIT_USAGE;
}

int es_cli_parse_seconds(const char *s, double *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v <= 0 || v > 86400.0) return -1;
    *out = v;
    return 0;
}

int es_cli_parse_int(const char *s, int lo, int hi, int *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

int es_cli_stderr_is_tty(void) { return isatty(STDERR_FILENO); }
