/* model_catalog.c — the built-in catalog of downloadable models, and the
 * parser for EARSHOT_MODELS_CATALOG files that replace it.
 *
 * Where the pins come from
 * ------------------------
 * Every URL names a fixed commit of the Hugging Face repository, not the
 * movable `main` branch, so what is downloaded is what the sha256 below was
 * taken from.
 *
 * whisper.cpp ggml files: huggingface.co/ggerganov/whisper.cpp at commit
 *   5359861c739e955e79d9a303bcbc70fb988958b1. Sizes and sha256 are the Git
 *   LFS object ids Hugging Face publishes for these files (the same values as
 *   ../shared/models/SOURCES.md; the commit and digests are also pinned,
 *   identically, by several unrelated public projects).
 *
 * all-MiniLM-L6-v2: huggingface.co/sentence-transformers/all-MiniLM-L6-v2 at
 *   commit 1110a243fdf4706b3f48f1d95db1a4f5529b4d41 (the `main` revision as of
 *   2025-2026). model.safetensors' sha256 is its LFS object id. The small
 *   files (config.json, modules.json, ...) are plain git blobs, for which the
 *   Hub publishes no sha256; their sizes and sha256 here were cross-checked
 *   in several independent public projects that pin this same commit file by
 *   file, and for config.json, modules.json and 1_Pooling/config.json we
 *   also rehashed verbatim copies of the files' text (612, 349 and 190
 *   bytes). vocab.txt matches ../shared/models/minilm-tokenizer/vocab.txt
 *   byte for byte (07eced37...). So no file of the built-in catalog is
 *   unpinned. A private catalog may still leave "sha256": null; such files
 *   are checked structurally instead (JSON parses, ggml magic, safetensors
 *   header) and `earshot models list` shows them as "unpinned".
 *
 * tokenizer.json is optional: earshot's WordPiece tokenizer reads vocab.txt,
 * but the file is part of the model as published and sentence-transformers
 * users have it, so it is fetched (and pinned) when pulling, and not required
 * to count the model as installed.
 */
#include "app/model_catalog.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/models_util.h"
#include "app/sha256_file.h"

/* ------------------------------------------------------ built-in catalog */

#define WHISPER_CPP_BASE \
    "https://huggingface.co/ggerganov/whisper.cpp/resolve/" \
    "5359861c739e955e79d9a303bcbc70fb988958b1/"
#define MINILM_BASE \
    "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/" \
    "1110a243fdf4706b3f48f1d95db1a4f5529b4d41/"

static const es_catalog_file WHISPER_TINY_FILES[] = {
    {"ggml-tiny.bin", WHISPER_CPP_BASE "ggml-tiny.bin", 77691713,
     "be07e048e1e599ad46341c8d2a135645097a538221678b7acdd1b1919c6e1b21", 0},
};

static const es_catalog_file WHISPER_TINY_EN_FILES[] = {
    {"ggml-tiny.en.bin", WHISPER_CPP_BASE "ggml-tiny.en.bin", 77704715,
     "921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f", 0},
};

static const es_catalog_file MINILM_FILES[] = {
    {"config.json", MINILM_BASE "config.json", 612,
     "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41", 0},
    {"vocab.txt", MINILM_BASE "vocab.txt", 231508,
     "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3", 0},
    {"model.safetensors", MINILM_BASE "model.safetensors", 90868376,
     "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db", 0},
    {"1_Pooling/config.json", MINILM_BASE "1_Pooling/config.json", 190,
     "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23", 0},
    {"sentence_bert_config.json", MINILM_BASE "sentence_bert_config.json", 53,
     "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7", 0},
    {"modules.json", MINILM_BASE "modules.json", 349,
     "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf", 0},
    {"tokenizer_config.json", MINILM_BASE "tokenizer_config.json", 350,
     "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b", 0},
    {"special_tokens_map.json", MINILM_BASE "special_tokens_map.json", 112,
     "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3", 0},
    {"tokenizer.json", MINILM_BASE "tokenizer.json", 466247,
     "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037", 1},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const es_catalog_model BUILTIN[] = {
    {"whisper-tiny", "whisper-tiny", "Whisper tiny, multilingual (whisper.cpp ggml, f16)",
     "huggingface.co/ggerganov/whisper.cpp @ 5359861", WHISPER_TINY_FILES,
     N_OF(WHISPER_TINY_FILES)},
    {"whisper-tiny.en", "whisper-tiny.en", "Whisper tiny, English only (whisper.cpp ggml, f16)",
     "huggingface.co/ggerganov/whisper.cpp @ 5359861", WHISPER_TINY_EN_FILES,
     N_OF(WHISPER_TINY_EN_FILES)},
    {"minilm", ES_MODEL_MINILM_DIR,
     "all-MiniLM-L6-v2 sentence encoder (384-d text embeddings)",
     "huggingface.co/sentence-transformers/all-MiniLM-L6-v2 @ 1110a24", MINILM_FILES,
     N_OF(MINILM_FILES)},
};

/* -------------------------------------------------------- JSON catalogs */

#define MAX_CATALOG_BYTES (1u << 20)
#define MAX_MODELS 64
#define MAX_FILES 256
#define MAX_NAME 64
#define MAX_PATH_LEN 200
#define MAX_URL 2048
#define MAX_TEXT 300

/* A plain relative path: '/'-separated segments of [A-Za-z0-9._-], none
 * empty, none starting with '.' (no "..", no hidden files), no ".part"
 * suffix (the download suffix). Returns NULL or the reason. */
static const char *bad_relative_path(const char *p)
{
    size_t n = strlen(p);
    if (n == 0) return "is empty";
    if (n > MAX_PATH_LEN) return "is too long";
    if (p[0] == '/') return "must be relative, not absolute";
    const char *seg = p;
    for (size_t i = 0; i <= n; i++) {
        char c = p[i];
        if (c == '/' || c == '\0') {
            size_t len = (size_t)(p + i - seg);
            if (len == 0) return "has an empty path segment";
            if (seg[0] == '.') return "has a segment starting with '.' (such as '..')";
            if (len >= 5 && !strncmp(p + i - 5, ".part", 5))
                return "ends in '.part', which earshot keeps for downloads";
            seg = p + i + 1;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return "may only hold letters, digits, '.', '_', '-' and '/'";
    }
    return NULL;
}

static const char *bad_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0) return "is empty";
    if (n > MAX_NAME) return "is longer than 64 characters";
    if (strchr(s, '/')) return "may not contain '/'";
    if (s[0] == '-') return "may not start with '-'";
    if (!strcmp(s, "all")) return "'all' is reserved (it means every model)";
    if (!strcmp(s, ES_MODELS_WORDVEC_NAME))
        return "'wordvec' is reserved for the word vectors";
    return bad_relative_path(s);
}

static const char *bad_url(const char *s)
{
    size_t n = strlen(s);
    if (n > MAX_URL) return "is too long";
    if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
        return "must start with https:// or http://";
    const char *host = strstr(s, "://") + 3;
    if (!*host || *host == '/') return "has no host";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 127) return "contains spaces or control characters";
    return NULL;
}

/* Keys allowed in each kind of object. */
static const char *const TOP_KEYS[] = {"version", "models", "comment", NULL};
static const char *const MODEL_KEYS[] = {"name", "dir", "description", "source", "files", NULL};
static const char *const FILE_KEYS[] = {"path", "url", "size", "sha256", "optional", NULL};

static const char *unknown_key(const cJSON *obj, const char *const *keys)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        int known = 0;
        for (size_t i = 0; keys[i]; i++)
            if (c->string && !strcmp(c->string, keys[i])) known = 1;
        if (!known) return c->string ? c->string : "";
    }
    return NULL;
}

static int has_duplicate_keys(const cJSON *obj, const char **dup)
{
    for (const cJSON *a = obj->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (a->string && b->string && !strcmp(a->string, b->string)) {
                *dup = a->string;
                return 1;
            }
    return 0;
}

static void line_col(const char *text, size_t at, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* A nonempty string of at most max bytes with no control characters, or
 * NULL with *why set. */
static const char *get_text(const cJSON *obj, const char *key, int required, size_t max,
                            const char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *why = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (required) *why = "is missing";
        return NULL;
    }
    if (!cJSON_IsString(v) || !v->valuestring) {
        *why = "must be a string";
        return NULL;
    }
    size_t n = strlen(v->valuestring);
    if (n > max) {
        *why = "is too long";
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v->valuestring[i] < ' ') {
            *why = "contains control characters";
            return NULL;
        }
    return v->valuestring;
}

static int path_is_prefix_dir(const char *a, const char *b)
{
    size_t n = strlen(a);
    return !strncmp(a, b, n) && b[n] == '/';
}

es_status es_catalog_parse(es_catalog *cat, const char *text, size_t len, const char *origin,
                           es_error *err)
{
    memset(cat, 0, sizeof *cat);
    snprintf(cat->origin, sizeof cat->origin, "%s", origin);
    if (len > MAX_CATALOG_BYTES)
        return es_fail(err, ES_ERR_FORMAT, "%s: catalog is larger than 1 MiB", origin);
    if (memchr(text, '\0', len))
        return es_fail(err, ES_ERR_FORMAT, "%s: catalog contains a NUL byte", origin);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root && end) {
        /* Only whitespace may follow the value. */
        while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
            end++;
        if (end < text + len) {
            cJSON_Delete(root);
            root = NULL;
        }
    }
    if (!root) {
        size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        size_t line, col;
        line_col(text, at, &line, &col);
        return es_fail(err, ES_ERR_FORMAT,
                              "%s: not valid JSON (line %zu, column %zu); the catalog format "
                              "is described in docs/MODELS.md",
                              origin, line, col);
    }
    cat->json = root;
    const char *why = NULL, *dup = NULL;
    if (!cJSON_IsObject(root))
        return es_fail(err, ES_ERR_FORMAT,
                              "%s: the catalog must be a JSON object with a \"models\" array",
                              origin);
    if (has_duplicate_keys(root, &dup))
        return es_fail(err, ES_ERR_FORMAT, "%s: key \"%s\" appears twice", origin, dup);
    const char *uk = unknown_key(root, TOP_KEYS);
    if (uk)
        return es_fail(err, ES_ERR_FORMAT,
                              "%s: unknown key \"%.64s\" at the top level (known: version, "
                              "models, comment)",
                              origin, uk);
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (ver && !(cJSON_IsNumber(ver) && ver->valuedouble == 1.0))
        return es_fail(err, ES_ERR_FORMAT,
                              "%s: \"version\" must be 1 (this earshot reads version 1)", origin);
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(root, "models");
    if (!cJSON_IsArray(models))
        return es_fail(err, ES_ERR_FORMAT, "%s: \"models\" must be an array", origin);
    int n_models = cJSON_GetArraySize(models);
    if (n_models < 1 || n_models > MAX_MODELS)
        return es_fail(err, ES_ERR_FORMAT, "%s: \"models\" must hold 1 to %d models",
                              origin, MAX_MODELS);

    size_t total_files = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, models)
    {
        const cJSON *files = cJSON_IsObject(m) ? cJSON_GetObjectItemCaseSensitive(m, "files")
                                               : NULL;
        int nf = cJSON_IsArray(files) ? cJSON_GetArraySize(files) : 0;
        if (nf > 0 && nf <= MAX_FILES) total_files += (size_t)nf;
    }
    es_catalog_model *om = calloc((size_t)n_models, sizeof *om);
    es_catalog_file *of = calloc(total_files ? total_files : 1, sizeof *of);
    cat->owned_models = om;
    cat->owned_files = of;
    if (!om || !of) return es_fail(err, ES_ERR_NOMEM, "out of memory reading %s", origin);

    size_t fi = 0;
    int mi = 0;
    cJSON_ArrayForEach(m, models)
    {
        char where[96];
        snprintf(where, sizeof where, "models[%d]", mi);
        if (!cJSON_IsObject(m))
            return es_fail(err, ES_ERR_FORMAT, "%s: %s must be an object", origin, where);
        if (has_duplicate_keys(m, &dup))
            return es_fail(err, ES_ERR_FORMAT, "%s: %s: key \"%.64s\" appears twice",
                                  origin, where, dup);
        if ((uk = unknown_key(m, MODEL_KEYS)))
            return es_fail(err, ES_ERR_FORMAT,
                                  "%s: %s: unknown key \"%.64s\" (known: name, dir, "
                                  "description, source, files)",
                                  origin, where, uk);
        es_catalog_model *cm = &om[mi];
        cm->name = get_text(m, "name", 1, MAX_NAME + 1, &why);
        if (!why) why = bad_name(cm->name);
        if (why)
            return es_fail(err, ES_ERR_FORMAT, "%s: %s.name %s", origin, where, why);
        snprintf(where, sizeof where, "model \"%s\"", cm->name);
        cm->dir = get_text(m, "dir", 0, MAX_PATH_LEN + 1, &why);
        if (why) return es_fail(err, ES_ERR_FORMAT, "%s: %s: dir %s", origin, where, why);
        if (!cm->dir) cm->dir = cm->name;
        if ((why = bad_relative_path(cm->dir)))
            return es_fail(err, ES_ERR_FORMAT, "%s: %s: dir \"%s\" %s", origin, where,
                                  cm->dir, why);
        if (!strcmp(cm->dir, "wordvec") || !strncmp(cm->dir, "wordvec/", 8))
            return es_fail(err, ES_ERR_FORMAT,
                                  "%s: %s: dir \"wordvec\" is reserved for the word vectors",
                                  origin, where);
        cm->description = get_text(m, "description", 0, MAX_TEXT, &why);
        if (why)
            return es_fail(err, ES_ERR_FORMAT, "%s: %s: description %s", origin, where,
                                  why);
        if (!cm->description) cm->description = "";
        cm->source = get_text(m, "source", 0, MAX_TEXT, &why);
        if (why)
            return es_fail(err, ES_ERR_FORMAT, "%s: %s: source %s", origin, where, why);
        if (!cm->source) cm->source = "";
        for (int j = 0; j < mi; j++) {
            if (!strcmp(om[j].name, cm->name))
                return es_fail(err, ES_ERR_FORMAT, "%s: two models are named \"%s\"",
                                      origin, cm->name);
            if (!strcmp(om[j].dir, cm->dir) || path_is_prefix_dir(om[j].dir, cm->dir) ||
                path_is_prefix_dir(cm->dir, om[j].dir))
                return es_fail(err, ES_ERR_FORMAT,
                                      "%s: models \"%s\" and \"%s\" would share the directory "
                                      "\"%s\"",
                                      origin, om[j].name, cm->name, cm->dir);
        }

        const cJSON *files = cJSON_GetObjectItemCaseSensitive(m, "files");
        if (!cJSON_IsArray(files))
            return es_fail(err, ES_ERR_FORMAT, "%s: %s: \"files\" must be an array",
                                  origin, where);
        int nf = cJSON_GetArraySize(files);
        if (nf < 1 || nf > MAX_FILES)
            return es_fail(err, ES_ERR_FORMAT, "%s: %s: \"files\" must hold 1 to %d files",
                                  origin, where, MAX_FILES);
        cm->files = &of[fi];
        cm->n_files = (size_t)nf;
        int k = 0;
        const cJSON *f;
        cJSON_ArrayForEach(f, files)
        {
            char fw[160];
            snprintf(fw, sizeof fw, "%s: files[%d]", where, k);
            if (!cJSON_IsObject(f))
                return es_fail(err, ES_ERR_FORMAT, "%s: %s must be an object", origin, fw);
            if (has_duplicate_keys(f, &dup))
                return es_fail(err, ES_ERR_FORMAT, "%s: %s: key \"%.64s\" appears twice",
                                      origin, fw, dup);
            if ((uk = unknown_key(f, FILE_KEYS)))
                return es_fail(err, ES_ERR_FORMAT,
                                      "%s: %s: unknown key \"%.64s\" (known: path, url, size, "
                                      "sha256, optional)",
                                      origin, fw, uk);
            es_catalog_file *cf = &of[fi];
            cf->path = get_text(f, "path", 1, MAX_PATH_LEN + 1, &why);
            if (why) return es_fail(err, ES_ERR_FORMAT, "%s: %s.path %s", origin, fw, why);
            if ((why = bad_relative_path(cf->path)))
                return es_fail(err, ES_ERR_FORMAT, "%s: %s.path \"%s\" %s", origin, fw,
                                      cf->path, why);
            for (size_t j = 0; j < (size_t)k; j++)
                if (!strcmp(cm->files[j].path, cf->path) ||
                    path_is_prefix_dir(cm->files[j].path, cf->path) ||
                    path_is_prefix_dir(cf->path, cm->files[j].path))
                    return es_fail(err, ES_ERR_FORMAT,
                                          "%s: %s: files \"%s\" and \"%s\" collide", origin,
                                          where, cm->files[j].path, cf->path);
            cf->url = get_text(f, "url", 1, MAX_URL + 1, &why);
            if (why) return es_fail(err, ES_ERR_FORMAT, "%s: %s.url %s", origin, fw, why);
            if ((why = bad_url(cf->url)))
                return es_fail(err, ES_ERR_FORMAT, "%s: %s.url %s", origin, fw, why);

            const cJSON *size = cJSON_GetObjectItemCaseSensitive(f, "size");
            cf->size = -1;
            if (size && !cJSON_IsNull(size)) {
                double d = cJSON_IsNumber(size) ? size->valuedouble : -1.0;
                if (!cJSON_IsNumber(size) || !(d >= 0.0) || d > 9007199254740992.0 ||
                    d != (double)(int64_t)d)
                    return es_fail(err, ES_ERR_FORMAT,
                                          "%s: %s.size must be a whole number of bytes (or "
                                          "null when unknown)",
                                          origin, fw);
                cf->size = (int64_t)d;
            }
            cJSON *sha = cJSON_GetObjectItemCaseSensitive(f, "sha256");
            cf->sha256 = NULL;
            if (sha && !cJSON_IsNull(sha)) {
                if (!cJSON_IsString(sha) || !es_sha256_hex_valid(sha->valuestring))
                    return es_fail(err, ES_ERR_FORMAT,
                                          "%s: %s.sha256 must be 64 hex digits (or null when "
                                          "the file is unpinned)",
                                          origin, fw);
                for (char *p = sha->valuestring; *p; p++)
                    if (*p >= 'A' && *p <= 'F') *p = (char)(*p - 'A' + 'a');
                cf->sha256 = sha->valuestring;
            }
            const cJSON *opt = cJSON_GetObjectItemCaseSensitive(f, "optional");
            if (opt && !cJSON_IsBool(opt))
                return es_fail(err, ES_ERR_FORMAT,
                                      "%s: %s.optional must be true or false", origin, fw);
            cf->optional = opt && cJSON_IsTrue(opt);
            fi++;
            k++;
        }
        int required = 0;
        for (size_t j = 0; j < cm->n_files; j++) required += !cm->files[j].optional;
        if (!required)
            return es_fail(err, ES_ERR_FORMAT,
                                  "%s: %s: every file is optional; at least one must be required",
                                  origin, where);
        mi++;
    }
    cat->models = om;
    cat->n_models = (size_t)n_models;
    return ES_OK;
}

es_status es_catalog_load(es_catalog *cat, es_error *err)
{
    memset(cat, 0, sizeof *cat);
    const char *path = getenv(ES_MODELS_CATALOG_ENV);
    if (!path || !*path) {
        cat->models = BUILTIN;
        cat->n_models = N_OF(BUILTIN);
        snprintf(cat->origin, sizeof cat->origin, "built-in");
        return ES_OK;
    }
    char origin[4200];
    snprintf(origin, sizeof origin, ES_MODELS_CATALOG_ENV "=%s", path);
    char *text = NULL;
    size_t len = 0;
    es_error e = {0};
    es_status s = es_models_read_small_file(path, MAX_CATALOG_BYTES, &text, &len, &e);
    if (s != ES_OK) {
        snprintf(cat->origin, sizeof cat->origin, "%s", origin);
        return es_fail(err, s, "%s: cannot read the catalog: %s", origin, e.message);
    }
    s = es_catalog_parse(cat, text, len, origin, err);
    free(text);
    return s;
}

void es_catalog_release(es_catalog *cat)
{
    if (!cat) return;
    cJSON_Delete(cat->json);
    free(cat->owned_models);
    free(cat->owned_files);
    cat->json = cat->owned_models = cat->owned_files = NULL;
    cat->models = NULL;
    cat->n_models = 0;
}

const es_catalog_model *es_catalog_find(const es_catalog *cat, const char *name)
{
    for (size_t i = 0; i < cat->n_models; i++)
        if (!strcmp(cat->models[i].name, name)) return &cat->models[i];
    return NULL;
}

void es_catalog_names(const es_catalog *cat, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < cat->n_models && used < size; i++) {
        int n = snprintf(out + used, size - used, "%s%s", i ? ", " : "", cat->models[i].name);
        if (n < 0) break;
        used += (size_t)n;
    }
}
