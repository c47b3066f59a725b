/* cmd_serve.c — `earshot serve`: the HTTP API and web page over one index
 * (docs/API.md), until Ctrl-C or SIGTERM. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/index_path.h"
#include "app/serve.h"

#define DEFAULT_PORT 8642

void es_cmd_serve_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot serve [OPTIONS] [DIR...]\n\n"
            "Serves a web page to search, listen to and index your audio, and a\n"
            "JSON API for other programs (docs/API.md), at http://127.0.0.1:%d/.\n"
            "Searches keep working while an indexing run goes on. DIR...: the\n"
            "folders an indexing run started from the page covers (default: those\n"
            "the index already covers).\n\n"
            "Options:\n"
            "  --index PATH      the index (default: $EARSHOT_INDEX, else the last\n"
            "                    one used; with DIR and no index yet, beside DIR)\n"
            "  --host H          address to listen on (default 127.0.0.1); anything\n"
            "                    but loopback makes the API reachable by others:\n"
            "                    use --token then\n"
            "  --port N          TCP port (default %d; 0 = any free port)\n"
            "  --token T         require 'Authorization: Bearer T' on /api/*\n"
            "                    (also read from $EARSHOT_TOKEN)\n"
            "  --workers N       searches computed at once (default: cores)\n"
            "  --queue N         searches that may wait for a worker; more get\n"
            "                    503 (default 64)\n"
            "  --max-upload MB   largest clip for search by example (default 25)\n"
            "  --jobs N          files analysed in parallel when indexing\n"
            "                    (default: cores)\n"
            "  -q, --quiet       no request log\n",
            DEFAULT_PORT, DEFAULT_PORT);
}

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    if (g_stop) _exit(130);   /* second Ctrl-C: now */
    g_stop = 1;
}

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int es_cmd_serve(int argc, char **argv)
{
    enum { O_INDEX = 256, O_HOST, O_PORT, O_TOKEN, O_WORKERS, O_QUEUE,
           O_UPLOAD, O_JOBS };
    static const struct option opts[] = {
        {"index", required_argument, 0, O_INDEX},
        {"host", required_argument, 0, O_HOST},
        {"port", required_argument, 0, O_PORT},
        {"token", required_argument, 0, O_TOKEN},
        {"workers", required_argument, 0, O_WORKERS},
        {"queue", required_argument, 0, O_QUEUE},
        {"max-upload", required_argument, 0, O_UPLOAD},
        {"jobs", required_argument, 0, O_JOBS},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *index = NULL, *host = "127.0.0.1", *token = getenv("EARSHOT_TOKEN");
    int port = DEFAULT_PORT, workers = cores(), queue = 64, upload_mb = 25, jobs = 0;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case O_INDEX: index = optarg; break;
        case O_HOST: host = optarg; break;
        case O_PORT:
            if (es_cli_parse_int(optarg, 0, 65535, &port))
                return es_cli_usage_error("serve", "--port wants 0..65535");
            break;
        case O_TOKEN: token = optarg; break;
        case O_WORKERS:
            if (es_cli_parse_int(optarg, 1, 256, &workers))
                return es_cli_usage_error("serve", "--workers wants 1..256");
            break;
        case O_QUEUE:
            if (es_cli_parse_int(optarg, 0, 10000, &queue))
                return es_cli_usage_error("serve", "--queue wants 0..10000");
            break;
        case O_UPLOAD:
            if (es_cli_parse_int(optarg, 1, 4096, &upload_mb))
                return es_cli_usage_error("serve", "--max-upload wants 1..4096 (MB)");
            break;
        case O_JOBS:
            if (es_cli_parse_int(optarg, 1, 256, &jobs))
                return es_cli_usage_error("serve", "--jobs wants 1..256");
            break;
        case 'q': quiet = 1; break;
        case 'h': es_cmd_serve_help(stdout); return ES_EXIT_OK;
        default: return es_cli_usage_error("serve", "unknown option");
        }
    }
    if (token && !*token) token = NULL;
    for (int i = optind; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0)
            return es_cli_usage_error("serve", "%s: no such folder", argv[i]);
    }
    es_error err;
    char path[4200];
    es_status st = index ? es_cli_index_resolve(index, path, sizeof path, &err)
                   : optind < argc ? es_cli_index_default_for(argv[optind], path,
                                                              sizeof path, &err)
                                   : es_cli_index_resolve(NULL, path, sizeof path, &err);
    if (st != ES_OK) return es_cli_report(&err);

    es_engine_config ec = {.index_path = path,
                           .roots = (const char *const *)argv + optind,
                           .n_roots = (size_t)(argc - optind),
                           .index_jobs = jobs};
    es_serve srv;
    memset(&srv, 0, sizeof srv);
    if (es_engine_open(&ec, &srv.engine, &err) != ES_OK) return es_cli_report(&err);
    es_gate_init(&srv.gate, workers, queue);
    srv.token = token;
    srv.max_upload = (size_t)upload_mb * 1000 * 1000;
    /* uploads wait in memory for a worker: room for one upload at the
     * limit per worker plus 4 arriving; beyond that 503 */
    pthread_mutex_init(&srv.upload_mu, NULL);
    srv.upload_budget = srv.max_upload * (size_t)(workers + 4);
    srv.quiet = quiet;

    /* Signals: handled here, so the daemon's threads must not take them. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct MHD_Daemon *d = NULL;
    int bound = 0;
    if (es_http_start(&srv, host, port, &d, &bound, &err) != ES_OK) {
        es_engine_close(srv.engine);
        es_gate_destroy(&srv.gate);
        pthread_mutex_destroy(&srv.upload_mu);
        return es_cli_report(&err);
    }
    es_cli_index_remember(path);
    int v6 = strchr(host, ':') != NULL;
    if (!srv.loopback)
        fprintf(stderr,
                "earshot serve: warning: listening on %s, beyond this machine: "
                "anyone who reaches it can search and play your audio%s\n",
                host, token ? " (with the token)" : "; use --token");
    printf("earshot serve: %s at http://%s%s%s:%d/%s%s\n", path, v6 ? "[" : "",
           srv.loopback && !v6 ? "127.0.0.1" : host, v6 ? "]" : "", bound,
           token ? "#token=" : "", token ? token : "");
    printf("press Ctrl-C to stop\n");
    fflush(stdout);
    while (!g_stop) pause();
    fprintf(stderr, "earshot serve: stopping\n");
    MHD_stop_daemon(d);
    es_engine_close(srv.engine);   /* stops an indexing run cleanly */
    es_gate_destroy(&srv.gate);
    pthread_mutex_destroy(&srv.upload_mu);
    return ES_EXIT_OK;
}
