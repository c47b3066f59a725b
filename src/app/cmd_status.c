/* cmd_status.c — `earshot status`: what an index holds, which models made
 * it, how big it is, and which files failed. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/cli.h"
#include "app/index_path.h"
#include "index/store.h"
#include "index/vec_cache.h"

void es_cmd_status_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot status [--index PATH] [--json]\n\n"
            "Shows an index: files (ok and failed, with their errors), chunks,\n"
            "transcript segments, vectors per path, hours of audio, the mode and\n"
            "models it was built with, and its size on disk.\n\n"
            "Options:\n"
            "  --index PATH   the index (default: $EARSHOT_INDEX, else the last\n"
            "                 one `earshot index` used)\n"
            "  --json         machine-readable output\n");
}

static const char *const META_KEYS[][2] = {
    {"mode", "mode"},
    {"text_describe", "text encoder"},
    {"bridge_describe", "bridge"},
    {"bridge_path", "bridge file"},
    {"asr", "speech recogniser"},
    {"feature_layout", "feature layout"},
};

typedef struct failed_list {
    cJSON *json;
    int printed;
} failed_list;

static int add_failed(const es_store_file *f, void *ctx)
{
    failed_list *l = ctx;
    if (f->status == ES_FILE_OK) return 0;
    if (l->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", f->path);
        cJSON_AddStringToObject(o, "error", f->error ? f->error : "");
        cJSON_AddItemToArray(l->json, o);
    } else {
        if (!l->printed++) printf("failed files:\n");
        printf("  %s\n", f->error ? f->error : f->path);
    }
    return 0;
}

int es_cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {
        {"index", required_argument, 0, 'i'},
        {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *index = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'i') index = optarg;
        else if (c == 'j') json = 1;
        else if (c == 'h') {
            es_cmd_status_help(stdout);
            return ES_EXIT_OK;
        } else {
            return es_cli_usage_error("status", "unknown option");
        }
    }
    if (optind != argc)
        return es_cli_usage_error("status", "unexpected argument '%s'",
                                  argv[optind]);
    es_error err;
    char path[4200];
    if (es_cli_index_resolve(index, path, sizeof path, &err) != ES_OK)
        return es_cli_report(&err);
    es_store *s = NULL;
    if (es_store_open(path, 0, 0, &s, &err) != ES_OK) return es_cli_report(&err);
    es_store_counts n;
    if (es_store_counts_get(s, &n, &err) != ES_OK) {
        es_store_close(s);
        return es_cli_report(&err);
    }
    char cache[4300];
    es_vec_cache_path(path, cache, sizeof cache);
    struct stat sb;
    long long cache_bytes = stat(cache, &sb) == 0 ? (long long)sb.st_size : 0;
    cJSON *root = json ? cJSON_CreateObject() : NULL;
    if (json) {
        cJSON_AddStringToObject(root, "index", path);
        cJSON_AddNumberToObject(root, "schema_version", ES_STORE_SCHEMA_VERSION);
        cJSON_AddNumberToObject(root, "files", (double)n.files);
        cJSON_AddNumberToObject(root, "files_failed", (double)n.files_failed);
        cJSON_AddNumberToObject(root, "chunks", (double)n.chunks);
        cJSON_AddNumberToObject(root, "segments", (double)n.segments);
        cJSON_AddNumberToObject(root, "vectors_speech", (double)n.vectors_speech);
        cJSON_AddNumberToObject(root, "vectors_sound", (double)n.vectors_sound);
        cJSON_AddNumberToObject(root, "hours", n.hours);
        cJSON_AddNumberToObject(root, "index_bytes", (double)n.bytes);
        cJSON_AddNumberToObject(root, "cache_bytes", (double)cache_bytes);
    } else {
        printf("index: %s (schema %d)\n", path, ES_STORE_SCHEMA_VERSION);
        printf("files: %lld (%lld failed), %.2f h of audio\n",
               (long long)n.files, (long long)n.files_failed, n.hours);
        printf("chunks: %lld; transcript segments: %lld\n", (long long)n.chunks,
               (long long)n.segments);
        printf("vectors: %lld speech, %lld sound\n", (long long)n.vectors_speech,
               (long long)n.vectors_sound);
        printf("size: %.1f MB index + %.1f MB vector cache\n", n.bytes / 1e6,
               cache_bytes / 1e6);
    }
    cJSON *models = json ? cJSON_AddObjectToObject(root, "models") : NULL;
    for (size_t i = 0; i < sizeof META_KEYS / sizeof *META_KEYS; i++) {
        char *v = NULL;
        if (es_store_meta_get(s, META_KEYS[i][0], &v, &err) != ES_OK) break;
        if (json) cJSON_AddStringToObject(models, META_KEYS[i][0], v ? v : "");
        else printf("%s: %s\n", META_KEYS[i][1], v && *v ? v : "(none)");
        free(v);
    }
    failed_list fl = {json ? cJSON_AddArrayToObject(root, "failed") : NULL, 0};
    es_status st = es_store_files_each(s, add_failed, &fl, &err);
    es_store_close(s);
    if (json) {
        char *t = cJSON_Print(root);
        if (t) puts(t);
        free(t);
        cJSON_Delete(root);
    }
    return st == ES_OK ? ES_EXIT_OK : es_cli_report(&err);
}
