/* cmd_embed.c — `earshot embed TEXT... -o out.npy`: texts to vectors with
 * the active text encoder (or the one --model names). Every run says which
 * encoder produced the vectors: on stderr, and in the JSON output. */
#include "app/cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

void es_cmd_embed_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot embed [OPTIONS] TEXT... (-o OUT.npy | --json)\n"
            "       earshot embed [OPTIONS] --input FILE (-o OUT.npy | --json)\n\n"
            "Embeds texts into the search space: one L2-normalised row per text.\n"
            "The encoder is the BERT model when installed, else the word vectors\n"
            "(see 'earshot models list'); it is named on stderr and in --json.\n\n"
            "Options:\n"
            "  -o, --output PATH   write an N × D float32 .npy\n"
            "  --json              print {\"encoder\", \"identity\", \"dim\",\n"
            "                      \"vectors\": [{\"text\", \"vector\"}]} on stdout\n"
            "  --input FILE        read texts from FILE, one per line ('-' = stdin)\n"
            "  --model M           auto (default), minilm, wordvec, or a path to a\n"
            "                      sentence-transformers directory or .eswv file\n"
            "  --int8              BERT: int8 weights (4× less memory, cosine to\n"
            "                      f32 ≥ 0.995)\n"
            "  --threads N         BLAS threads (default: all cores)\n"
            "Environment: EARSHOT_MODELS sets the models directory.\n");
}

/* Reads lines of f into a growing array (newline stripped, \r too). */
static int read_lines(FILE *f, char ***lines, size_t *n)
{
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    *lines = NULL;
    *n = 0;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nl = realloc(*lines, cap * sizeof *nl);
            if (!nl) break;
            *lines = nl;
        }
        if (!((*lines)[*n] = strdup(line))) break;
        (*n)++;
    }
    free(line);
    return ferror(f) ? -1 : 0;
}

static void print_json(const es_text_encoder *e, const char *const *texts,
                       size_t n, const float *v)
{
    int d = es_text_encoder_dim(e);
    cJSON *s;
    char *enc, *id;
    s = cJSON_CreateString(es_text_encoder_describe(e));
    enc = cJSON_PrintUnformatted(s);
    cJSON_Delete(s);
    s = cJSON_CreateString(es_text_encoder_identity(e));
    id = cJSON_PrintUnformatted(s);
    cJSON_Delete(s);
    printf("{\"encoder\": %s, \"identity\": %s, \"dim\": %d, \"vectors\": [",
           enc, id, d);
    free(enc);
    free(id);
    for (size_t i = 0; i < n; i++) {
        s = cJSON_CreateString(texts[i]);
        char *t = cJSON_PrintUnformatted(s);
        cJSON_Delete(s);
        printf("%s\n  {\"text\": %s, \"vector\": [", i ? "," : "", t ? t : "\"\"");
        free(t);
        for (int j = 0; j < d; j++)
            printf("%s%.7g", j ? ", " : "", v[i * (size_t)d + (size_t)j]);
        printf("]}");
    }
    printf("\n]}\n");
}

int es_cmd_embed(int argc, char **argv)
{
    const char *out = NULL, *model = NULL, *input = NULL;
    int json = 0;
    es_text_encoder_params p = es_text_encoder_default_params();
    const char **texts = calloc((size_t)argc, sizeof *texts);
    size_t n = 0;
    if (!texts) return ES_EXIT_FAIL;
    int rc = ES_EXIT_OK, only_texts = 0;
    for (int i = 1; i < argc && rc == ES_EXIT_OK; i++) {
        const char *a = argv[i];
        if (only_texts || a[0] != '-' || !a[1]) {
            texts[n++] = a;
        } else if (!strcmp(a, "--")) {
            only_texts = 1;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (++i >= argc) rc = es_cli_usage_error("embed", "-o needs a path");
            else out = argv[i];
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--input")) {
            if (++i >= argc) rc = es_cli_usage_error("embed", "--input needs a file");
            else input = argv[i];
        } else if (!strcmp(a, "--model")) {
            if (++i >= argc) rc = es_cli_usage_error("embed", "--model needs a name or path");
            else model = argv[i];
        } else if (!strcmp(a, "--int8")) {
            p.int8 = 1;
        } else if (!strcmp(a, "--threads")) {
            if (++i >= argc || es_cli_parse_int(argv[i], 1, 256, &p.threads))
                rc = es_cli_usage_error("embed", "--threads must be 1..256");
        } else {
            rc = es_cli_usage_error("embed", "unknown option '%s'", a);
        }
    }
    char **lines = NULL;
    size_t n_lines = 0;
    if (rc == ES_EXIT_OK && input) {
        if (n) {
            rc = es_cli_usage_error("embed", "give texts as arguments or --input, not both");
        } else {
            FILE *f = strcmp(input, "-") ? fopen(input, "r") : stdin;
            if (!f) {
                fprintf(stderr, "earshot: %s: cannot open\n", input);
                rc = ES_EXIT_FAIL;
            } else {
                if (read_lines(f, &lines, &n_lines) != 0) {
                    fprintf(stderr, "earshot: %s: read error\n", input);
                    rc = ES_EXIT_FAIL;
                }
                if (f != stdin) fclose(f);
            }
        }
    }
    if (rc == ES_EXIT_OK && !input && n == 0)
        rc = es_cli_usage_error("embed", "no text to embed");
    if (rc == ES_EXIT_OK && !out && !json)
        rc = es_cli_usage_error("embed", "say where vectors go: -o OUT.npy or --json");

    const char *const *all = lines ? (const char *const *)lines : texts;
    size_t count = lines ? n_lines : n;
    es_text_encoder *e = NULL;
    float *v = NULL;
    es_error err = {0};
    if (rc == ES_EXIT_OK && es_text_encoder_open_named(model, NULL, &p, &e, &err))
        rc = es_cli_report(&err);
    if (rc == ES_EXIT_OK) {
        fprintf(stderr, "encoder: %s\n", es_text_encoder_describe(e));
        v = malloc((count ? count : 1) * (size_t)es_text_encoder_dim(e) * sizeof(float));
        if (!v) {
            fprintf(stderr, "earshot: out of memory for %zu vectors\n", count);
            rc = ES_EXIT_FAIL;
        } else if (es_text_encoder_embed(e, all, count, v, &err)) {
            rc = es_cli_report(&err);
        }
    }
    if (rc == ES_EXIT_OK && out) {
        size_t shape[2] = {count, (size_t)es_text_encoder_dim(e)};
        if (es_npy_write_f32(out, v, shape, 2, &err)) rc = es_cli_report(&err);
        else if (!json) fprintf(stderr, "wrote %s [%zu, %zu]\n", out, shape[0], shape[1]);
    }
    if (rc == ES_EXIT_OK && json) print_json(e, all, count, v);
    es_text_encoder_free(e);
    free(v);
    for (size_t i = 0; i < n_lines; i++) free(lines[i]);
    free(lines);
    free(texts);
    return rc;
}
