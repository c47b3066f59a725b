/* cmd_status.c — `earshot status`: what an index holds, which models made
 * it, how big it is, and which files failed. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/index_path.h"
#include "app/status_json.h"
#include "index/store.h"

void es_cmd_status_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot status [--index PATH] [--json]\n\n"
            "Shows an index: files (ok and failed, with their errors), chunks,\n"
            "transcript segments, vectors per path, hours of audio, the mode and\n"
            "models it was built with, the folders it covers and its size on disk.\n\n"
            "Options:\n"
            "  --index PATH   the index (default: $EARSHOT_INDEX, else the last\n"
            "                 one `earshot index` used)\n"
            "  --json         machine-readable output\n");
}

static const char *const MODEL_LABELS[][2] = {
    {"mode", "mode"},
    {"text_describe", "text encoder"},
    {"bridge_describe", "bridge"},
    {"bridge_path", "bridge file"},
    {"asr", "speech recogniser"},
    {"feature_layout", "feature layout"},
};

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_text(const cJSON *j)
{
    printf("index: %s (schema %d)\n",
           cJSON_GetObjectItemCaseSensitive(j, "index")->valuestring,
           (int)num(j, "schema_version"));
    printf("files: %lld (%lld failed), %.2f h of audio\n",
           (long long)num(j, "files"), (long long)num(j, "files_failed"),
           num(j, "hours"));
    printf("chunks: %lld; transcript segments: %lld\n",
           (long long)num(j, "chunks"), (long long)num(j, "segments"));
    printf("vectors: %lld speech, %lld sound\n",
           (long long)num(j, "vectors_speech"), (long long)num(j, "vectors_sound"));
    printf("size: %.1f MB index + %.1f MB vector cache\n",
           num(j, "index_bytes") / 1e6, num(j, "cache_bytes") / 1e6);
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(j, "models");
    for (size_t i = 0; i < sizeof MODEL_LABELS / sizeof *MODEL_LABELS; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(models, MODEL_LABELS[i][0]);
        const char *t = cJSON_IsString(v) && v->valuestring[0] ? v->valuestring
                                                                : "(none)";
        printf("%s: %s\n", MODEL_LABELS[i][1], t);
    }
    const cJSON *e;
    int first = 1;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "roots")) {
        printf("%s%s", first ? "folders: " : ", ", e->valuestring);
        first = 0;
    }
    if (!first) printf("\n");
    first = 1;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "failed")) {
        if (first) printf("failed files:\n");
        first = 0;
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(e, "error");
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(e, "path");
        printf("  %s\n", why->valuestring[0] ? why->valuestring : path->valuestring);
    }
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
    cJSON *j = NULL;
    es_status st = es_status_json(s, &j, &err);
    es_store_close(s);
    if (st != ES_OK) return es_cli_report(&err);
    if (json) {
        char *t = cJSON_Print(j);
        if (t) puts(t);
        free(t);
    } else {
        print_text(j);
    }
    cJSON_Delete(j);
    return ES_EXIT_OK;
}
