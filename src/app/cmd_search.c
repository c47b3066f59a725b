/* cmd_search.c — `earshot search "QUERY"` and `earshot search --like
 * FILE[:START-END]`: rank the index's moments, grouped by file, as text or
 * JSON. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/index_path.h"
#include "app/search_json.h"
#include "core/error.h"
#include "index/analyze.h"
#include "index/index_models.h"
#include "index/like_query.h"
#include "index/search.h"
#include "index/walk.h"

void es_cmd_search_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot search [OPTIONS] \"QUERY\"\n"
            "       earshot search [OPTIONS] --like FILE[:START-END]\n\n"
            "Finds the moments of the index that match a text query (through the\n"
            "speech path: transcripts, and the sound path: the bridge), or that\n"
            "sound like an example clip (START-END in seconds, e.g. talk.mp3:30-45).\n"
            "Results are grouped by file, best first, with the best moments of each.\n\n"
            "Options:\n"
            "  -k N               files to show (default 10)\n"
            "  --moments N        moments per file (default 3)\n"
            "  --path P           both (default), speech or sound\n"
            "  --min-score S      hide moments scoring below S\n"
            "  --lexical W        weight of the keyword (BM25) term, 0 = off\n"
            "                     (default %.2f)\n"
            "  --speech-weight A,B  fusion: a chunk with speech score w weighs its\n"
            "                     speech path by clamp(A·w + B, 0, 1) and its sound\n"
            "                     path by the rest (default 1,0; docs/SEARCH.md)\n"
            "  --temperature T    fusion softness: small = the better path wins,\n"
            "                     0 = weighted mean (default %.2f)\n"
            "  --exact            rank with the f32 vectors (default: int8)\n"
            "  --json             machine-readable output on stdout\n"
            "  --index PATH       the index (default: $EARSHOT_INDEX, else the\n"
            "                     last one `earshot index` used)\n"
            "  --threads N        search threads (default: cores)\n",
            (double)ES_SEARCH_LEXICAL_DEFAULT,
            (double)ES_SEARCH_TEMPERATURE_DEFAULT);
}

static const char *path_name(int p)
{
    return p == ES_PATH_SPEECH ? "speech" : "sound";
}

static void fmt_time(double s, char *buf, size_t size)
{
    long t = (long)floor(s);
    if (t >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

static void print_text(const es_search_results *r)
{
    if (r->n_hits == 0) {
        printf("no results\n");
        return;
    }
    for (size_t i = 0; i < r->n_hits; i++) {
        const es_search_hit *h = &r->hits[i];
        printf("%2zu. %s  %.3f\n", i + 1, h->path, (double)h->score);
        for (size_t j = 0; j < h->n_moments; j++) {
            const es_search_moment *m = &h->moments[j];
            char a[32], b[32];
            fmt_time(m->start_s, a, sizeof a);
            fmt_time(m->end_s, b, sizeof b);
            printf("      %s–%s  %.3f  %-6s", a, b, (double)m->score,
                   path_name(m->matched));
            if (m->snippet) printf("  \"%s\"", m->snippet);
            printf("\n");
        }
    }
}

static void print_json(const char *query, const char *like, const char *index,
                       const es_index_models *m, const es_search_results *r)
{
    cJSON *root = es_search_json(query, like, index,
                                 es_text_encoder_describe(m->enc), r);
    char *t = root ? cJSON_Print(root) : NULL;
    if (t) puts(t);
    else fprintf(stderr, "earshot: out of memory\n");
    free(t);
    cJSON_Delete(root);
}

/* "clip.wav:12.5-20" → path "clip.wav", 12.5, 20. A colon not followed by
 * START-END is part of the name. */
static int parse_like(const char *arg, char **path, double *a, double *b)
{
    *a = 0;
    *b = 0;
    const char *colon = strrchr(arg, ':');
    if (colon) {
        char *end1 = NULL, *end2 = NULL;
        double x = strtod(colon + 1, &end1);
        if (end1 != colon + 1 && *end1 == '-') {
            double y = strtod(end1 + 1, &end2);
            if (end2 != end1 + 1 && *end2 == 0) {
                if (!(x >= 0 && y > x && isfinite(y))) return -1;
                *a = x;
                *b = y;
                *path = strndup(arg, (size_t)(colon - arg));
                return *path ? 0 : -1;
            }
        }
    }
    *path = strdup(arg);
    return *path ? 0 : -1;
}

int es_cmd_search(int argc, char **argv)
{
    enum { O_MOMENTS = 256, O_PATH, O_MIN, O_LEX, O_EXACT, O_JSON, O_INDEX,
           O_THREADS, O_LIKE, O_SPW, O_TEMP };
    static const struct option opts[] = {
        {"moments", required_argument, 0, O_MOMENTS},
        {"path", required_argument, 0, O_PATH},
        {"min-score", required_argument, 0, O_MIN},
        {"lexical", required_argument, 0, O_LEX},
        {"exact", no_argument, 0, O_EXACT},
        {"json", no_argument, 0, O_JSON},
        {"index", required_argument, 0, O_INDEX},
        {"threads", required_argument, 0, O_THREADS},
        {"like", required_argument, 0, O_LIKE},
        {"speech-weight", required_argument, 0, O_SPW},
        {"temperature", required_argument, 0, O_TEMP},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    es_search_params p = es_search_default_params();
    const char *index = NULL, *like = NULL;
    int json = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'k':
            if (es_cli_parse_int(optarg, 1, 10000, &p.k))
                return es_cli_usage_error("search", "-k wants 1..10000");
            break;
        case O_MOMENTS:
            if (es_cli_parse_int(optarg, 1, 100, &p.moments_per_file))
                return es_cli_usage_error("search", "--moments wants 1..100");
            break;
        case O_PATH:
            if (!strcmp(optarg, "both")) p.paths = ES_PATH_SPEECH | ES_PATH_SOUND;
            else if (!strcmp(optarg, "speech")) p.paths = ES_PATH_SPEECH;
            else if (!strcmp(optarg, "sound")) p.paths = ES_PATH_SOUND;
            else return es_cli_usage_error("search",
                                           "--path is both, speech or sound");
            break;
        case O_MIN:
            p.min_score = strtof(optarg, &end);
            if (end == optarg || *end || !isfinite(p.min_score))
                return es_cli_usage_error("search", "--min-score wants a number");
            break;
        case O_LEX:
            p.lexical_weight = strtof(optarg, &end);
            if (end == optarg || *end || !(p.lexical_weight >= 0) ||
                p.lexical_weight > 10)
                return es_cli_usage_error("search", "--lexical wants 0..10");
            break;
        case O_TEMP:
            p.temperature = strtof(optarg, &end);
            if (end == optarg || *end || !(p.temperature >= 0) ||
                p.temperature > 100)
                return es_cli_usage_error("search", "--temperature wants 0..100");
            break;
        case O_EXACT: p.exact = 1; break;
        case O_JSON: json = 1; break;
        case O_INDEX: index = optarg; break;
        case O_THREADS:
            if (es_cli_parse_int(optarg, 1, 256, &p.threads))
                return es_cli_usage_error("search", "--threads wants 1..256");
            break;
        case O_LIKE: like = optarg; break;
        case O_SPW: {
            char *e2 = NULL;
            p.speech_a = strtof(optarg, &end);
            if (end == optarg || *end != ',' ||
                (p.speech_b = strtof(end + 1, &e2), e2 == end + 1 || *e2) ||
                !isfinite(p.speech_a) || !isfinite(p.speech_b))
                return es_cli_usage_error("search", "--speech-weight wants A,B");
            break;
        }
        case 'h': es_cmd_search_help(stdout); return ES_EXIT_OK;
        default: return es_cli_usage_error("search", "unknown option");
        }
    }
    const char *query = NULL;
    if (like) {
        if (optind != argc)
            return es_cli_usage_error("search", "give a QUERY or --like, not both");
    } else {
        if (optind + 1 != argc)
            return es_cli_usage_error("search", "give one QUERY (quote it)");
        query = argv[optind];
        if (!query[strspn(query, " \t\r\n")])
            return es_cli_usage_error("search", "the query is empty");
    }
    es_error err;
    char path[4200];
    if (es_cli_index_resolve(index, path, sizeof path, &err) != ES_OK)
        return es_cli_report(&err);
    es_store *s = NULL;
    es_index_models m;
    memset(&m, 0, sizeof m);
    es_vec_cache *cache = NULL;
    es_search_results res;
    memset(&res, 0, sizeof res);
    es_like_query lq;
    memset(&lq, 0, sizeof lq);
    float *q = NULL;
    char *like_path = NULL;
    int rc = ES_EXIT_OK;
    es_status st = es_store_open(path, 0, 0, &s, &err);
    if (st == ES_OK) st = es_index_models_for_search(s, like != NULL, NULL, &m, &err);
    if (st == ES_OK) st = es_vec_cache_load(s, &cache, &err);
    if (st != ES_OK) goto fail;
    if (like) {
        double a, b;
        if (parse_like(like, &like_path, &a, &b) != 0) {
            rc = es_cli_usage_error("search", "--like wants FILE or "
                                    "FILE:START-END (seconds, START < END)");
            goto out;
        }
        if ((st = es_like_query_embed(s, &m, like_path, a, b, &lq, &err)) != ES_OK)
            goto fail;
        char *abs = NULL;
        if (es_path_absolute(like_path, &abs, &err) == ES_OK) {
            es_store_file f;
            int found = 0;
            if (es_store_file_get(s, abs, &f, &found, &err) == ES_OK && found) {
                p.exclude_file = f.id;
                p.exclude_start = a;
                p.exclude_end = b > 0 ? b : 1e12;
                es_store_file_clear(&f);
            }
            free(abs);
        }
        st = es_search_run(s, cache, lq.speech, lq.sound, lq.text, &p, &res,
                           &err);
    } else {
        int dim = es_text_encoder_dim(m.enc);
        if (!(q = malloc((size_t)dim * sizeof *q))) {
            st = es_fail(&err, ES_ERR_NOMEM, "out of memory");
            goto fail;
        }
        const char *t[1] = {query};
        st = es_text_encoder_embed(m.enc, t, 1, q, &err);
        if (st == ES_OK)
            st = es_search_run(s, cache, q, q, query, &p, &res, &err);
    }
    if (st != ES_OK) goto fail;
    if (json) {
        print_json(query, like, path, &m, &res);
    } else {
        fprintf(stderr, "searched %zu chunks of %s in %.1f ms (%s kernel, %s)\n",
                res.n_chunks, path, res.ms, res.kernel,
                es_text_encoder_describe(m.enc));
        print_text(&res);
    }
    goto out;
fail:
    rc = es_cli_report(&err);
out:
    free(q);
    free(like_path);
    es_like_query_free(&lq);
    es_search_results_free(&res);
    es_vec_cache_free(cache);
    es_index_models_close(&m);
    es_store_close(s);
    return rc;
}
