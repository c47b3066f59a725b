/* bert_config.c — parsing and validating the JSON files of a
 * sentence-transformers model directory (see bert_config.h). */
#include "models/bert/bert_config.h"
#include "core/error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JSON config files are tiny; anything bigger is not a config. */
#define ES_MAX_CONFIG_BYTES (1u << 20)

/* Reads and parses dir/rel. *root is NULL (and ES_OK returned) when the
 * file is absent and optional. */
static es_status read_json(const char *dir, const char *rel, int required,
                           cJSON **root, es_error *err)
{
    *root = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT && !required) return ES_OK;
        if (errno == ENOENT)
            return es_fail(err, ES_ERR_NOT_FOUND, "%s: missing (a sentence-"
                           "transformers model directory needs config.json, "
                           "vocab.txt and model.safetensors)", path);
        return es_fail(err, errno == EACCES ? ES_ERR_PERMISSION : ES_ERR_IO,
                       "%s: cannot open: %s", path, strerror(errno));
    }
    char *buf = malloc(ES_MAX_CONFIG_BYTES + 1);
    size_t n = buf ? fread(buf, 1, ES_MAX_CONFIG_BYTES + 1, f) : 0;
    int rerr = ferror(f);
    fclose(f);
    if (!buf) return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    if (rerr || n > ES_MAX_CONFIG_BYTES) {
        free(buf);
        return es_fail(err, rerr ? ES_ERR_IO : ES_ERR_FORMAT,
                       rerr ? "%s: read error" : "%s: larger than 1 MiB: not a "
                       "config file", path);
    }
    *root = cJSON_ParseWithLength(buf, n);
    free(buf);
    if (!cJSON_IsObject(*root)) {
        cJSON_Delete(*root);
        *root = NULL;
        return es_fail(err, ES_ERR_FORMAT, "%s: not a JSON object", path);
    }
    return ES_OK;
}

/* Reads an integer field in [lo, hi]; absent → def (or an error if def < 0). */
static es_status get_int(const cJSON *o, const char *key, int lo, int hi,
                         int def, int *out, const char *file, es_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        if (def < 0)
            return es_fail(err, ES_ERR_FORMAT, "%s: missing \"%s\"", file, key);
        *out = def;
        return ES_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble ||
        v->valuedouble < lo || v->valuedouble > hi)
        return es_fail(err, ES_ERR_FORMAT, "%s: \"%s\" must be an integer in "
                       "[%d, %d]", file, key, lo, hi);
    *out = (int)v->valuedouble;
    return ES_OK;
}

static int get_bool(const cJSON *o, const char *key, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

static es_status parse_model(const cJSON *c, const char *dir,
                             es_bert_config *cfg, es_error *err)
{
    char file[4200];
    snprintf(file, sizeof file, "%s/config.json", dir);
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(c, "model_type");
    if (cJSON_IsString(mt) && strcmp(mt->valuestring, "bert") != 0)
        return es_fail(err, ES_ERR_FORMAT, "%s: model_type \"%.40s\" is not "
                       "supported (earshot runs BERT-architecture models)",
                       file, mt->valuestring);
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(c, "hidden_act");
    if (act && (!cJSON_IsString(act) || strcmp(act->valuestring, "gelu") != 0))
        return es_fail(err, ES_ERR_FORMAT, "%s: hidden_act must be \"gelu\" (the "
                       "erf form); other activations are not supported", file);
    es_status s;
    if ((s = get_int(c, "hidden_size", 1, 8192, -1, &cfg->hidden, file, err)) ||
        (s = get_int(c, "num_hidden_layers", 1, 256, -1, &cfg->layers, file, err)) ||
        (s = get_int(c, "num_attention_heads", 1, 256, -1, &cfg->heads, file, err)) ||
        (s = get_int(c, "intermediate_size", 1, 65536, -1, &cfg->intermediate, file, err)) ||
        (s = get_int(c, "max_position_embeddings", 2, 65536, -1, &cfg->max_positions, file, err)) ||
        (s = get_int(c, "vocab_size", 5, 1 << 22, -1, &cfg->vocab_size, file, err)) ||
        (s = get_int(c, "type_vocab_size", 1, 1024, 2, &cfg->type_vocab_size, file, err)))
        return s;
    if (cfg->hidden % cfg->heads != 0)
        return es_fail(err, ES_ERR_FORMAT, "%s: hidden_size %d is not a multiple "
                       "of num_attention_heads %d", file, cfg->hidden, cfg->heads);
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(c, "layer_norm_eps");
    cfg->ln_eps = 1e-12f;
    if (eps) {
        if (!cJSON_IsNumber(eps) || !(eps->valuedouble > 0 && eps->valuedouble < 1))
            return es_fail(err, ES_ERR_FORMAT, "%s: layer_norm_eps must be in "
                           "(0, 1)", file);
        cfg->ln_eps = (float)eps->valuedouble;
    }
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(c, "position_embedding_type");
    if (pt && (!cJSON_IsString(pt) || strcmp(pt->valuestring, "absolute") != 0))
        return es_fail(err, ES_ERR_FORMAT, "%s: only absolute position "
                       "embeddings are supported", file);
    /* Name: the last part of _name_or_path, else the directory's name. */
    const cJSON *np = cJSON_GetObjectItemCaseSensitive(c, "_name_or_path");
    const char *name = cJSON_IsString(np) && np->valuestring[0] ? np->valuestring : dir;
    size_t len = strlen(name);
    while (len > 1 && name[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && name[start - 1] != '/') start--;
    snprintf(cfg->name, sizeof cfg->name, "%.*s", (int)(len - start), name + start);
    for (char *p = cfg->name; *p; p++)   /* identity strings use ':' as separator */
        if (*p == ':' || (unsigned char)*p < 0x20) *p = '_';
    return ES_OK;
}

static es_status parse_pooling(const cJSON *p, const char *dir,
                               es_bert_config *cfg, es_error *err)
{
    cfg->pooling = ES_POOL_MEAN;
    if (!p) return ES_OK;
    int mean = get_bool(p, "pooling_mode_mean_tokens", 0);
    int cls = get_bool(p, "pooling_mode_cls_token", 0);
    int max = get_bool(p, "pooling_mode_max_tokens", 0);
    int other = get_bool(p, "pooling_mode_mean_sqrt_len_tokens", 0) ||
                get_bool(p, "pooling_mode_weightedmean_tokens", 0) ||
                get_bool(p, "pooling_mode_lasttoken", 0);
    if (mean + cls + max != 1 || other)
        return es_fail(err, ES_ERR_FORMAT, "%s/1_Pooling/config.json: exactly one "
                       "of mean, cls or max pooling must be set (others are not "
                       "supported)", dir);
    cfg->pooling = mean ? ES_POOL_MEAN : cls ? ES_POOL_CLS : ES_POOL_MAX;
    return ES_OK;
}

es_status es_bert_config_load(const char *dir, es_bert_config *cfg, es_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    cJSON *model = NULL, *pool = NULL, *sbert = NULL, *tok = NULL;
    char file[4200];
    es_status s = read_json(dir, "config.json", 1, &model, err);
    if (!s) s = read_json(dir, "1_Pooling/config.json", 0, &pool, err);
    if (!s) s = read_json(dir, "sentence_bert_config.json", 0, &sbert, err);
    if (!s) s = read_json(dir, "tokenizer_config.json", 0, &tok, err);
    if (!s) s = parse_model(model, dir, cfg, err);
    if (!s) s = parse_pooling(pool, dir, cfg, err);
    if (!s) {
        int def = cfg->max_positions < 512 ? cfg->max_positions : 512;
        snprintf(file, sizeof file, "%s/sentence_bert_config.json", dir);
        s = get_int(sbert ? sbert : model, sbert ? "max_seq_length" : "-", 2,
                    cfg->max_positions, def, &cfg->max_seq_length, file, err);
    }
    cfg->lower_case = tok ? get_bool(tok, "do_lower_case", 1) : 1;
    cJSON_Delete(model);
    cJSON_Delete(pool);
    cJSON_Delete(sbert);
    cJSON_Delete(tok);
    return s;
}
