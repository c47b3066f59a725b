/* bridge_options.c — the command-line options `earshot train` and `earshot
 * eval` share, with their defaults and help text. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/bridge_pipeline.h"
#include "app/cli.h"
#include "data/prompts.h"

void es_bp_default_options(es_bp_options *o)
{
    memset(o, 0, sizeof *o);
    o->cols = es_manifest_default_columns();
    o->input = ES_BRIDGE_INPUT_FULL;
    o->chunk_s = 10.0;
    o->augment = es_augment_default_params();
    /* Noise augmentation evaluated best (docs/RESULTS.md): on by default. */
    o->augment.noise = 1;
    o->augment.copies = 4;
    o->hidden[0] = 256;
    o->hidden[1] = 512;
    o->n_hidden = 2;
    o->head = ES_BRIDGE_HEAD_L2;
    o->train = es_bridge_train_default_params();
    o->val_fraction = 0.15;
}

void es_bp_options_help(FILE *out)
{
    fprintf(out,
        "Data:\n"
        "  --manifest CSV        path,label[,fold] (+ any columns); paths are\n"
        "                        relative to the CSV's folder\n"
        "  --label-column C      label column (default label; none = no labels)\n"
        "  --text-column C       rows with an empty label take this text as\n"
        "                        their target (transcripts, captions)\n"
        "  --asr M               rows with an empty label take their target\n"
        "                        text from this recogniser: pocketsphinx,\n"
        "                        whisper-tiny, auto (speech self-supervision)\n"
        "  --fold-column C       fold column (default fold)\n"
        "  --kfold K             reassign folds 1..K, stratified by label,\n"
        "  --group-by C          keeping rows with equal C in one fold\n"
        "Targets:\n"
        "  --text-encoder M      auto (default), minilm, wordvec or a path\n"
        "  --prompt T            template, '{}' = the label (default \"%s\");\n"
        "                        repeat to average several\n"
        "Inputs:\n"
        "  --features F          full (128-d, default), small (5-d) or hybrid\n"
        "                        (full + pooled Whisper encoder states)\n"
        "  --whisper M           hybrid: Whisper model (default auto)\n"
        "  --chunk S             chunk length in seconds (default 10)\n"
        "  --augment LIST        gain,noise,shift,mix or none (default noise)\n"
        "  --augment-copies N    augmented copies per clip (default 4)\n"
        "Model and training:\n"
        "  --hidden W,W          hidden widths (default 256,512)\n"
        "  --head H              l2 (default) or tanh\n"
        "  --loss L              cosine (default), mse or infonce\n"
        "  --temperature T       InfoNCE temperature (default 0.07)\n"
        "  --epochs N --batch N --lr X --weight-decay X --patience N --seed N\n"
        "                        (defaults 300, 64, 1e-3, 1e-4, 30, 1)\n"
        "  --val-fraction X      validation share of the training rows, for\n"
        "                        early stopping (default 0.15; 0 = none)\n"
        "  --threads N           decoding/BLAS threads (default all)\n"
        "  --quiet               no per-epoch lines\n",
        ES_PROMPT_DEFAULT);
}

static int parse_float(const char *s, double lo, double hi, double *out)
{
    if (!s || !*s)
        return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_widths(const char *s, int *w, int max, int *n)
{
    *n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 1 || v > 65536 || *n >= max)
            return -1;
        w[(*n)++] = (int)v;
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        p = end;
    }
    return *n ? 0 : -1;
}

int es_bp_parse_option(es_bp_options *o, const char *cmd, int argc,
                       char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    double d;
    int n;
    es_error err;
#define NEED(what)                                                          \
    do {                                                                    \
        if (!v) {                                                           \
            es_cli_usage_error(cmd, "%s needs %s", a, what);                \
            return -1;                                                      \
        }                                                                   \
        (*i)++;                                                             \
    } while (0)
#define BAD(...) do { es_cli_usage_error(cmd, __VA_ARGS__); return -1; } while (0)
    if (!strcmp(a, "--manifest")) { NEED("a CSV file"); o->manifest = v; }
    else if (!strcmp(a, "--label-column")) {
        NEED("a column (or none)");
        o->cols.label = (!*v || !strcmp(v, "none")) ? NULL : v;
    }
    else if (!strcmp(a, "--text-column")) { NEED("a column"); o->cols.text = v; }
    else if (!strcmp(a, "--fold-column")) { NEED("a column"); o->cols.fold = v; }
    else if (!strcmp(a, "--group-by")) { NEED("a column"); o->cols.group = v; }
    else if (!strcmp(a, "--asr")) { NEED("a speech model"); o->asr = v; }
    else if (!strcmp(a, "--kfold")) {
        NEED("a number");
        if (es_cli_parse_int(v, 2, 100, &o->kfold)) BAD("--kfold must be 2..100");
    } else if (!strcmp(a, "--text-encoder")) { NEED("a name or path"); o->text_encoder = v; }
    else if (!strcmp(a, "--prompt")) {
        NEED("a template");
        if (o->n_templates >= ES_BP_MAX_TEMPLATES) BAD("at most %d --prompt", ES_BP_MAX_TEMPLATES);
        if (!strstr(v, "{}")) BAD("--prompt '%s' has no '{}' for the label", v);
        o->templates[o->n_templates++] = v;
    } else if (!strcmp(a, "--features")) {
        NEED("full, small or hybrid");
        if (es_bridge_input_parse(v, &o->input, &err)) BAD("%s", err.message);
    } else if (!strcmp(a, "--whisper")) { NEED("a model"); o->whisper = v; }
    else if (!strcmp(a, "--chunk")) {
        NEED("seconds");
        if (parse_float(v, 1.0, 30.0, &o->chunk_s)) BAD("--chunk must be 1..30 s");
    } else if (!strcmp(a, "--augment")) {
        NEED("a list");
        int copies = o->augment.copies;
        if (es_augment_parse(v, &o->augment, &err)) BAD("%s", err.message);
        int any = o->augment.gain || o->augment.noise || o->augment.shift ||
                  o->augment.mix;
        o->augment.copies = copies ? copies : (any ? 4 : 0);
        if (!any)
            o->augment.copies = 0;
    } else if (!strcmp(a, "--augment-copies")) {
        NEED("a number");
        if (es_cli_parse_int(v, 0, 64, &o->augment.copies)) BAD("--augment-copies must be 0..64");
    } else if (!strcmp(a, "--hidden")) {
        NEED("widths");
        if (parse_widths(v, o->hidden, ES_BRIDGE_MAX_LAYERS - 1, &o->n_hidden))
            BAD("--hidden wants 1..%d comma-separated widths in 1..65536, e.g. 256,512",
                ES_BRIDGE_MAX_LAYERS - 1);
    } else if (!strcmp(a, "--no-hidden")) { o->n_hidden = 0; }
    else if (!strcmp(a, "--head")) {
        NEED("tanh or l2");
        if (es_bridge_head_parse(v, &o->head, &err)) BAD("%s", err.message);
    } else if (!strcmp(a, "--loss")) {
        NEED("mse, cosine or infonce");
        if (es_bridge_loss_parse(v, &o->train.loss, &err)) BAD("%s", err.message);
    } else if (!strcmp(a, "--temperature")) {
        NEED("a number");
        if (parse_float(v, 1e-3, 10, &d)) BAD("--temperature must be 0.001..10");
        o->train.temperature = (float)d;
    } else if (!strcmp(a, "--epochs")) {
        NEED("a number");
        if (es_cli_parse_int(v, 1, 100000, &o->train.epochs)) BAD("--epochs must be 1..100000");
    } else if (!strcmp(a, "--batch")) {
        NEED("a number");
        if (es_cli_parse_int(v, 1, 65536, &o->train.batch_size)) BAD("--batch must be 1..65536");
    } else if (!strcmp(a, "--lr")) {
        NEED("a number");
        if (parse_float(v, 1e-7, 1, &d)) BAD("--lr must be 1e-7..1");
        o->train.lr = (float)d;
        if (o->train.lr_min > o->train.lr) o->train.lr_min = o->train.lr;
    } else if (!strcmp(a, "--weight-decay")) {
        NEED("a number");
        if (parse_float(v, 0, 1, &d)) BAD("--weight-decay must be 0..1");
        o->train.weight_decay = (float)d;
    } else if (!strcmp(a, "--patience")) {
        NEED("a number");
        if (es_cli_parse_int(v, 0, 100000, &o->train.patience)) BAD("--patience must be ≥ 0");
    } else if (!strcmp(a, "--seed")) {
        NEED("a number");
        if (es_cli_parse_int(v, 0, 2000000000, &n)) BAD("--seed must be 0..2e9");
        o->train.seed = (uint64_t)n;
        o->augment.seed = (uint64_t)n;
    } else if (!strcmp(a, "--val-fraction")) {
        NEED("a number");
        if (parse_float(v, 0, 0.9, &o->val_fraction)) BAD("--val-fraction must be 0..0.9");
    } else if (!strcmp(a, "--threads")) {
        NEED("a number");
        if (es_cli_parse_int(v, 1, 256, &o->threads)) BAD("--threads must be 1..256");
    } else if (!strcmp(a, "--quiet")) { o->quiet = 1; }
    else return 0;
#undef NEED
#undef BAD
    return 1;
}
