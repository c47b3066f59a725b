/* cmd_index.c — `earshot index DIR...`: create or update an index, with a
 * progress bar on a terminal and one line per file otherwise. Ctrl-C stops
 * after the files in flight; the next run resumes. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/index_path.h"
#include "index/indexer.h"
#include "index/roots.h"
#include "index/store.h"

void es_cmd_index_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot index [OPTIONS] DIR|FILE...\n\n"
            "Indexes every audio file under the folders (recursive; any format\n"
            "FFmpeg reads) for `earshot search`. Runs again are incremental:\n"
            "unchanged files (size + mtime, then content hash) are skipped, moved\n"
            "files are renamed, changed ones re-indexed, deleted ones removed.\n"
            "Files that fail are recorded and listed at the end; the run goes on.\n"
            "Ctrl-C stops cleanly; running the same command again resumes.\n\n"
            "Options:\n"
            "  --index PATH       the index file (default: beside the first\n"
            "                     folder, ~/Audio → ~/Audio.earshot)\n"
            "  --mode M           lightweight (default: sound features → bridge,\n"
            "                     speech recogniser on speech-like chunks only) or\n"
            "                     hybrid (Whisper states feed the bridge; every\n"
            "                     chunk transcribed; needs Whisper + a hybrid bridge)\n"
            "  --jobs N           files analysed in parallel (default: cores)\n"
            "  --bridge B         the sound path's bridge (.esbridge); default: the\n"
            "                     index's, else $EARSHOT_MODELS/bridge/default.esbridge;\n"
            "                     'none' = no sound path\n"
            "  --text-model M     auto (default), minilm, wordvec, or a path\n"
            "  --asr NAME         auto (default), whisper-tiny, pocketsphinx, a path,\n"
            "                     or 'none' (no transcripts)\n"
            "  --window S --hop S chunk length and step (default 10 and 5 s)\n"
            "  --retry-failed     analyse again files that failed before\n"
            "  -q, --quiet        no progress output\n");
}

static volatile sig_atomic_t g_stop;

static void on_sigint(int sig)
{
    (void)sig;
    if (g_stop) _exit(130);   /* second Ctrl-C: stop now */
    g_stop = 1;
}

typedef struct progress_view {
    int tty, quiet;
    int width;
} progress_view;

static void fmt_duration(double s, char *buf, size_t size)
{
    if (s < 0 || s != s) s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, size, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60)
        snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, size, "%lds", t);
}

static void draw_bar(const es_index_progress *p)
{
    double frac = p->seconds_total > 0 ? p->seconds_done / p->seconds_total
                  : p->files_total ? (double)p->files_done / (double)p->files_total
                                   : 1.0;
    if (frac > 1) frac = 1;
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = 0;
    char eta[32] = "--";
    if (p->files_done > 0 && frac > 0 && frac < 1)
        fmt_duration(p->elapsed_s * (1 - frac) / frac, eta, sizeof eta);
    else if (frac >= 1)
        snprintf(eta, sizeof eta, "0s");
    fprintf(stderr, "\r[%s] %zu/%zu files  %.2f/%.2f h  ETA %s  %zu failed \033[K",
            bar, p->files_done, p->files_total, p->seconds_done / 3600,
            p->seconds_total / 3600, eta, p->failed);
    fflush(stderr);
}

static void on_progress(const es_index_progress *p, void *ctx)
{
    progress_view *v = ctx;
    if (v->quiet) return;
    if (p->event == ES_INDEX_PLANNED) {
        fprintf(stderr, "earshot index: %zu file(s) to analyse (%.2f h of audio)"
                "; %zu unchanged, %zu touched, %zu moved, %zu removed\n",
                p->files_total, p->seconds_total / 3600, p->unchanged,
                p->touched, p->moved, p->removed);
        if (v->tty && p->files_total) draw_bar(p);
        return;
    }
    if (p->event == ES_INDEX_FINISHED) {
        if (v->tty && p->files_total) fputc('\n', stderr);
        return;
    }
    if (v->tty) {
        if (!p->ok) {
            fprintf(stderr, "\r\033[Kfailed: %s\n", p->error);
        } else if (p->warning) {
            fprintf(stderr, "\r\033[Kwarning: %s: %s\n", p->path, p->warning);
        }
        draw_bar(p);
        return;
    }
    if (p->ok)
        fprintf(stderr, "[%zu/%zu] ok %s (%.1f s, %zu chunks, %zu with speech)%s%s\n",
                p->files_done, p->files_total, p->path, p->file_seconds,
                p->file_chunks, p->file_speech_chunks,
                p->warning ? "; warning: " : "", p->warning ? p->warning : "");
    else
        fprintf(stderr, "[%zu/%zu] FAILED %s\n", p->files_done, p->files_total,
                p->error);
}

static void print_report(const char *index, const es_index_report *r)
{
    const es_index_progress *p = &r->totals;
    char took[32];
    fmt_duration(p->elapsed_s, took, sizeof took);
    double speed = p->elapsed_s > 0 ? p->seconds_done / p->elapsed_s : 0;
    printf("index: %s\n", index);
    for (const char *l = r->models; *l;) {
        const char *nl = strchr(l, '\n');
        int len = nl ? (int)(nl - l) : (int)strlen(l);
        printf("  %.*s\n", len, l);
        l += len + (nl ? 1 : 0);
    }
    printf("%s%zu file(s) indexed (%.2f h of audio in %s, %.0f× real time); "
           "%zu unchanged, %zu touched, %zu moved, %zu removed\n",
           r->interrupted ? "interrupted: " : "",
           p->files_done - p->failed, p->seconds_done / 3600, took, speed,
           p->unchanged, p->touched, p->moved, p->removed);
    if (r->interrupted)
        printf("run the same command again to resume (%zu file(s) left)\n",
               p->files_total - p->files_done);
    if (p->failed_before)
        printf("%zu file(s) failed in an earlier run and did not change "
               "(--retry-failed to try again; `earshot status` lists them)\n",
               p->failed_before);
    if (r->n_failures) {
        printf("%zu file(s) failed:\n", r->n_failures);
        for (size_t i = 0; i < r->n_failures; i++)
            printf("  %s\n", r->failures[i].error);
    }
}

int es_cmd_index(int argc, char **argv)
{
    enum { O_INDEX = 256, O_MODE, O_JOBS, O_BRIDGE, O_TEXT, O_ASR, O_WINDOW,
           O_HOP, O_RETRY };
    static const struct option opts[] = {
        {"index", required_argument, 0, O_INDEX},
        {"mode", required_argument, 0, O_MODE},
        {"jobs", required_argument, 0, O_JOBS},
        {"bridge", required_argument, 0, O_BRIDGE},
        {"text-model", required_argument, 0, O_TEXT},
        {"asr", required_argument, 0, O_ASR},
        {"window", required_argument, 0, O_WINDOW},
        {"hop", required_argument, 0, O_HOP},
        {"retry-failed", no_argument, 0, O_RETRY},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    es_index_config cfg = es_index_default_config();
    const char *index = NULL;
    progress_view view = {.tty = es_cli_stderr_is_tty()};
    es_error err;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case O_INDEX: index = optarg; break;
        case O_MODE:
            if (es_index_mode_parse(optarg, &cfg.mode, &err) != ES_OK)
                return es_cli_usage_error("index", "%s", err.message);
            break;
        case O_JOBS:
            if (es_cli_parse_int(optarg, 1, 256, &cfg.jobs))
                return es_cli_usage_error("index", "--jobs wants 1..256");
            break;
        case O_BRIDGE: cfg.bridge_path = optarg; break;
        case O_TEXT: cfg.text_model = optarg; break;
        case O_ASR:
            if (!strcmp(optarg, "none")) cfg.no_asr = 1;
            else cfg.asr_model = optarg;
            break;
        case O_WINDOW:
            if (es_cli_parse_seconds(optarg, &cfg.chunk.window_s))
                return es_cli_usage_error("index", "--window wants seconds > 0");
            break;
        case O_HOP:
            if (es_cli_parse_seconds(optarg, &cfg.chunk.hop_s))
                return es_cli_usage_error("index", "--hop wants seconds > 0");
            break;
        case O_RETRY: cfg.retry_failed = 1; break;
        case 'q': view.quiet = 1; break;
        case 'h': es_cmd_index_help(stdout); return ES_EXIT_OK;
        default: return es_cli_usage_error("index", "unknown option");
        }
    }
    if (optind >= argc)
        return es_cli_usage_error("index", "give at least one folder");
    if (cfg.chunk.hop_s > cfg.chunk.window_s)
        return es_cli_usage_error("index", "--hop must not exceed --window");
    char path[4200];
    es_status st = index ? es_cli_index_resolve(index, path, sizeof path, &err)
                         : es_cli_index_default_for(argv[optind], path,
                                                    sizeof path, &err);
    if (st != ES_OK) return es_cli_report(&err);

    es_store *s = NULL;
    if (es_store_open(path, 1, 0, &s, &err) != ES_OK) return es_cli_report(&err);
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    cfg.stop = &g_stop;
    cfg.progress = on_progress;
    cfg.progress_ctx = &view;
    es_index_report rep;
    st = es_index_update(s, (const char *const *)argv + optind,
                         (size_t)(argc - optind), &cfg, &rep, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    es_error rerr;
    if (st == ES_OK &&
        es_roots_add(s, (const char *const *)argv + optind,
                     (size_t)(argc - optind), &rerr) != ES_OK)
        fprintf(stderr, "earshot index: warning: cannot record the folders: %s\n",
                rerr.message);
    es_store_close(s);
    if (st != ES_OK) {
        if (view.tty) fputc('\n', stderr);
        es_index_report_clear(&rep);
        return es_cli_report(&err);
    }
    es_cli_index_remember(path);
    print_report(path, &rep);
    int interrupted = rep.interrupted;
    es_index_report_clear(&rep);
    return interrupted ? 130 : ES_EXIT_OK;
}
