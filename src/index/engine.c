/* engine.c — an open index searched by many threads while one indexing run
 * goes on (engine.h). */
#include "index/engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/error.h"
#include "index/index_models.h"
#include "index/like_query.h"
#include "index/roots.h"
#include "index/store.h"
#include "index/vec_cache.h"
#include "index/walk.h"

#define POOL_MAX 16

/* A vector cache or a set of models shared by the searches using it: freed
 * when it was replaced and its last user let go. */
typedef struct cache_ref {
    es_vec_cache *c;
    int refs;
} cache_ref;

typedef struct models_ref {
    es_index_models m;
    char *key;                  /* meta models_key when loaded              */
    char mode[32];
    int refs;
} models_ref;

struct es_engine {
    char path[4200];
    char models_dir[4096];      /* "" = es_models_dir()                     */
    char **roots;
    size_t n_roots;
    int jobs;

    pthread_mutex_t mu;         /* everything below but the two locks       */
    es_store *pool[POOL_MAX];   /* idle read connections                    */
    int n_pool;
    cache_ref *cache;
    models_ref *models;         /* NULL: nothing indexed yet                */
    double checked_at;          /* monotonic time of the last check         */
    double check_every;         /* seconds between checks (see acquire)     */
    int refresh_failed;         /* the last check failed with refresh_err   */
    es_error refresh_err;

    pthread_mutex_t refresh_mu; /* one thread refreshes at a time           */
    pthread_mutex_t enc_mu;     /* the text encoder runs one call at a time */

    pthread_t run_thread;
    int run_thread_live;        /* started and not joined                   */
    volatile sig_atomic_t stop;
    es_engine_run run;
};

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double unix_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

const char *es_engine_run_state_name(es_engine_run_state s)
{
    static const char *const names[] = {"idle", "running", "stopping", "done",
                                        "interrupted", "failed"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "?";
}

const char *es_engine_index_path(const es_engine *e) { return e->path; }

/* ------------------------------------------------------------ connections */
es_status es_engine_store_take(es_engine *e, es_store **s, es_error *err)
{
    pthread_mutex_lock(&e->mu);
    *s = e->n_pool ? e->pool[--e->n_pool] : NULL;
    pthread_mutex_unlock(&e->mu);
    return *s ? ES_OK : es_store_open(e->path, 0, 1, s, err);
}

void es_engine_store_give(es_engine *e, es_store *s)
{
    if (!s) return;
    pthread_mutex_lock(&e->mu);
    if (e->n_pool < POOL_MAX) {
        e->pool[e->n_pool++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&e->mu);
    es_store_close(s);
}

/* ------------------------------------------------------ cache and models */
static void cache_release(es_engine *e, cache_ref *c)
{
    if (!c) return;
    pthread_mutex_lock(&e->mu);
    int last = --c->refs == 0;
    pthread_mutex_unlock(&e->mu);
    if (last) {
        es_vec_cache_free(c->c);
        free(c);
    }
}

static void models_release(es_engine *e, models_ref *m)
{
    if (!m) return;
    pthread_mutex_lock(&e->mu);
    int last = --m->refs == 0;
    pthread_mutex_unlock(&e->mu);
    if (last) {
        es_index_models_close(&m->m);
        free(m->key);
        free(m);
    }
}

/* Reopens the models when the index's models key changed; *out keeps the
 * current ones otherwise (NULL while nothing is indexed). */
static es_status load_models(es_engine *e, es_store *s, models_ref *cur,
                             models_ref **out, es_error *err)
{
    *out = cur;
    char *key = NULL, *identity = NULL, *mode = NULL;
    es_status st = es_store_meta_get(s, "models_key", &key, err);
    if (st == ES_OK) st = es_store_meta_get(s, "text_identity", &identity, err);
    if (st == ES_OK) st = es_store_meta_get(s, "mode", &mode, err);
    if (st != ES_OK || !identity || (cur && key && !strcmp(cur->key, key))) {
        free(key);
        free(identity);
        free(mode);
        return st;   /* unchanged, or nothing indexed yet */
    }
    free(identity);
    models_ref *m = calloc(1, sizeof *m);
    if (!m) {
        free(key);
        free(mode);
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    st = es_index_models_for_search(s, 1, e->models_dir[0] ? e->models_dir : NULL,
                                    &m->m, err);
    if (st != ES_OK) {
        free(key);
        free(mode);
        free(m);
        return st;
    }
    m->key = key ? key : strdup("");
    snprintf(m->mode, sizeof m->mode, "%s", mode ? mode : "lightweight");
    free(mode);
    m->refs = 1;   /* the engine's own reference */
    *out = m;
    return ES_OK;
}

/* Brings the cache and models up to date when the last check is older
 * than ES_ENGINE_CACHE_CHECK_S; returns references to both (models NULL
 * while nothing is indexed). A thread that finds another one refreshing
 * uses the previous versions instead of waiting. */
static es_status acquire(es_engine *e, cache_ref **cache, models_ref **models,
                         es_error *err)
{
    *cache = NULL;
    *models = NULL;
    pthread_mutex_lock(&e->mu);
    int have = e->cache != NULL;
    int stale = !have || mono_s() - e->checked_at >= e->check_every;
    pthread_mutex_unlock(&e->mu);
    es_status st = ES_OK;
    if (stale && (have ? pthread_mutex_trylock(&e->refresh_mu) == 0
                       : pthread_mutex_lock(&e->refresh_mu) == 0)) {
        es_store *s = NULL;
        pthread_mutex_lock(&e->mu);
        cache_ref *cur = e->cache;
        models_ref *cur_m = e->models;
        pthread_mutex_unlock(&e->mu);
        /* only this thread replaces e->cache / e->models, so cur and cur_m
         * stay valid here without references */
        st = es_engine_store_take(e, &s, err);
        cache_ref *nc = NULL;
        models_ref *nm = cur_m;
        double rebuild_s = 0;
        if (s) {
            int64_t gen = es_store_generation(s);
            if (gen < 0) {
                st = es_store_fail(s, "read the generation", err);
            } else if (!cur || cur->c->generation != gen) {
                es_vec_cache *c = NULL;
                double t0 = mono_s();
                st = es_vec_cache_load(s, &c, err);
                /* a rebuild costs O(index): on a big index that changes
                 * often, rebuild at most ~10 % of the time */
                rebuild_s = mono_s() - t0;
                if (st == ES_OK && !(nc = calloc(1, sizeof *nc))) {
                    es_vec_cache_free(c);
                    st = es_fail(err, ES_ERR_NOMEM, "out of memory");
                }
                if (nc) {
                    nc->c = c;
                    nc->refs = 1;
                }
            }
            if (st == ES_OK) st = load_models(e, s, cur_m, &nm, err);
            es_engine_store_give(e, s);
        }
        pthread_mutex_lock(&e->mu);
        cache_ref *old = NULL;
        models_ref *old_m = NULL;
        if (nc) {
            old = e->cache;
            e->cache = nc;
        }
        if (nm != cur_m) {
            old_m = e->models;
            e->models = nm;
        }
        e->checked_at = mono_s();
        e->check_every = 10 * rebuild_s > ES_ENGINE_CACHE_CHECK_S
                             ? 10 * rebuild_s : ES_ENGINE_CACHE_CHECK_S;
        e->refresh_failed = st != ES_OK;
        if (st != ES_OK) e->refresh_err = *err;
        pthread_mutex_unlock(&e->mu);
        pthread_mutex_unlock(&e->refresh_mu);
        cache_release(e, old);
        models_release(e, old_m);
    }
    /* a failed refresh still serves the previous cache and models, if any */
    pthread_mutex_lock(&e->mu);
    if ((*cache = e->cache)) (*cache)->refs++;
    if ((*models = e->models)) (*models)->refs++;
    int failed = e->refresh_failed && (!*cache || !*models);
    if (failed && err) *err = e->refresh_err;
    es_status code = e->refresh_err.code;
    pthread_mutex_unlock(&e->mu);
    if (failed) {
        cache_release(e, *cache);
        models_release(e, *models);
        *cache = NULL;
        *models = NULL;
        return code != ES_OK ? code : ES_ERR_INTERNAL;
    }
    if (!*cache) {
        models_release(e, *models);
        *models = NULL;
        return es_fail(err, ES_ERR_INTERNAL, "no vector cache");
    }
    return ES_OK;
}

/* ----------------------------------------------------------------- search */
void es_engine_answer_clear(es_engine_answer *a)
{
    es_search_results_free(&a->results);
    memset(a, 0, sizeof *a);
}

static void answer_head(es_engine_answer *out, const models_ref *m)
{
    if (!m) {
        out->empty = 1;
        snprintf(out->mode, sizeof out->mode, "lightweight");
        return;
    }
    snprintf(out->encoder, sizeof out->encoder, "%s",
             es_text_encoder_describe(m->m.enc));
    snprintf(out->mode, sizeof out->mode, "%s", m->mode);
}

es_status es_engine_search_text(es_engine *e, const char *query,
                                const es_search_params *p,
                                es_engine_answer *out, es_error *err)
{
    memset(out, 0, sizeof *out);
    cache_ref *c;
    models_ref *m;
    es_status st = acquire(e, &c, &m, err);
    if (st != ES_OK) return st;
    answer_head(out, m);
    float *q = NULL;
    es_store *s = NULL;
    if (m && c->c->n > 0) {
        int dim = es_text_encoder_dim(m->m.enc);
        if (!(q = malloc((size_t)dim * sizeof *q))) {
            st = es_fail(err, ES_ERR_NOMEM, "out of memory");
        } else {
            const char *t[1] = {query};
            pthread_mutex_lock(&e->enc_mu);
            st = es_text_encoder_embed(m->m.enc, t, 1, q, err);
            pthread_mutex_unlock(&e->enc_mu);
        }
        double norm = 0;
        for (int i = 0; st == ES_OK && i < dim; i++) norm += (double)q[i] * q[i];
        if (st == ES_OK && norm == 0) {
            /* word vectors know none of the words: every score would be 0 */
            snprintf(out->note, sizeof out->note,
                     "none of the query's words are known to the text encoder");
        } else {
            if (st == ES_OK) st = es_engine_store_take(e, &s, err);
            if (st == ES_OK)
                st = es_search_run(s, c->c, q, q, query, p, &out->results, err);
            es_engine_store_give(e, s);
        }
    } else {
        out->empty = 1;
    }
    free(q);
    cache_release(e, c);
    models_release(e, m);
    return st;
}

es_status es_engine_search_like(es_engine *e, const char *file, double start,
                                double end, const es_search_params *p,
                                es_engine_answer *out, es_error *err)
{
    memset(out, 0, sizeof *out);
    cache_ref *c;
    models_ref *m;
    es_status st = acquire(e, &c, &m, err);
    if (st != ES_OK) return st;
    answer_head(out, m);
    es_store *s = NULL;
    es_like_query q;
    memset(&q, 0, sizeof q);
    if (m && c->c->n > 0) {
        st = es_engine_store_take(e, &s, err);
        if (st == ES_OK)
            st = es_like_query_embed_locked(s, &m->m, &e->enc_mu, file, start,
                                            end, &q, err);
        if (st == ES_OK)
            st = es_search_run(s, c->c, q.speech, q.sound, q.text, p,
                               &out->results, err);
        es_engine_store_give(e, s);
    } else {
        out->empty = 1;
    }
    es_like_query_free(&q);
    cache_release(e, c);
    models_release(e, m);
    return st;
}

es_status es_engine_file_path(es_engine *e, int64_t file_id, char **path,
                              es_error *err)
{
    *path = NULL;
    es_store *s = NULL;
    es_status st = es_engine_store_take(e, &s, err);
    if (st != ES_OK) return st;
    es_store_file f;
    int found = 0;
    st = es_store_file_get_id(s, file_id, &f, &found, err);
    es_engine_store_give(e, s);
    if (st != ES_OK) return st;
    if (!found || f.status != ES_FILE_OK) {
        if (found) es_store_file_clear(&f);
        return es_fail(err, ES_ERR_NOT_FOUND, "no indexed file has id %lld",
                       (long long)file_id);
    }
    *path = f.path;
    f.path = NULL;
    es_store_file_clear(&f);
    return ES_OK;
}

/* --------------------------------------------------------------- indexing */
void es_engine_run_clear(es_engine_run *r)
{
    es_roots_free(r->paths, r->n_paths);
    for (size_t i = 0; i < r->n_errors; i++) {
        free(r->errors[i].path);
        free(r->errors[i].error);
    }
    free(r->errors);
    memset(r, 0, sizeof *r);
}

void es_engine_run_get(es_engine *e, es_engine_run *out)
{
    pthread_mutex_lock(&e->mu);
    *out = e->run;
    out->paths = calloc(e->run.n_paths + 1, sizeof *out->paths);
    out->errors = calloc(e->run.n_errors + 1, sizeof *out->errors);
    if (!out->paths || !out->errors) {
        free(out->paths);
        free(out->errors);
        out->paths = NULL;
        out->errors = NULL;
        out->n_paths = out->n_errors = 0;
    } else {
        for (size_t i = 0; i < e->run.n_paths; i++)
            out->paths[i] = strdup(e->run.paths[i]);
        for (size_t i = 0; i < e->run.n_errors; i++) {
            out->errors[i].path = strdup(e->run.errors[i].path);
            out->errors[i].error = strdup(e->run.errors[i].error);
        }
    }
    pthread_mutex_unlock(&e->mu);
    /* a failed strdup leaves a NULL the reader skips */
}

static void on_progress(const es_index_progress *p, void *ctx)
{
    es_engine *e = ctx;
    pthread_mutex_lock(&e->mu);
    e->run.progress = *p;
    e->run.progress.path = e->run.progress.error = e->run.progress.warning = NULL;
    if (p->event == ES_INDEX_FILE_DONE && p->path)
        snprintf(e->run.last_file, sizeof e->run.last_file, "%s", p->path);
    if (p->event == ES_INDEX_FILE_DONE && !p->ok &&
        e->run.n_errors < ES_ENGINE_MAX_RUN_ERRORS) {
        es_index_failure *v = realloc(e->run.errors,
                                      (e->run.n_errors + 1) * sizeof *v);
        if (v) {
            e->run.errors = v;
            v[e->run.n_errors].path = strdup(p->path ? p->path : "");
            v[e->run.n_errors].error = strdup(p->error ? p->error : "");
            if (v[e->run.n_errors].path && v[e->run.n_errors].error)
                e->run.n_errors++;
            else {
                free(v[e->run.n_errors].path);
                free(v[e->run.n_errors].error);
            }
        }
    }
    pthread_mutex_unlock(&e->mu);
}

typedef struct run_args {
    es_engine *e;
    es_index_config cfg;
    char **paths;
    size_t n_paths;
} run_args;

static void *run_main(void *arg)
{
    run_args *a = arg;
    es_engine *e = a->e;
    es_error err;
    es_error_clear(&err);
    es_store *s = NULL;
    es_index_report rep;
    memset(&rep, 0, sizeof rep);
    es_status st = es_store_open(e->path, 1, 0, &s, &err);
    if (st == ES_OK)
        st = es_index_update(s, (const char *const *)a->paths, a->n_paths,
                             &a->cfg, &rep, &err);
    es_error rerr;
    if (st == ES_OK &&
        es_roots_add(s, (const char *const *)a->paths, a->n_paths, &rerr) != ES_OK)
        fprintf(stderr, "earshot: cannot record the indexed folders: %s\n",
                rerr.message);
    es_store_close(s);
    pthread_mutex_lock(&e->mu);
    if (st != ES_OK) {
        e->run.state = ES_RUN_FAILED;
        snprintf(e->run.error, sizeof e->run.error, "%s", err.message);
    } else {
        e->run.progress = rep.totals;
        e->run.progress.path = e->run.progress.error = NULL;
        e->run.progress.warning = NULL;
        e->run.state = rep.interrupted ? ES_RUN_INTERRUPTED : ES_RUN_DONE;
    }
    e->run.finished_at = unix_s();
    e->checked_at = 0;   /* the next search looks at the index again */
    pthread_mutex_unlock(&e->mu);
    es_index_report_clear(&rep);
    es_roots_free(a->paths, a->n_paths);
    free(a);
    return NULL;
}

static char **copy_paths(const char *const *p, size_t n)
{
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        if (!(v[i] = strdup(p[i]))) {
            es_roots_free(v, i);
            return NULL;
        }
    return v;
}

/* The paths of a run: absolute and existing; or the defaults. */
static es_status run_paths(es_engine *e, const es_engine_run_request *r,
                           char ***paths, size_t *n, es_error *err)
{
    *paths = NULL;
    *n = 0;
    if (r->n_paths) {
        for (size_t i = 0; i < r->n_paths; i++) {
            struct stat sb;
            if (!r->paths[i] || r->paths[i][0] != '/')
                return es_fail(err, ES_ERR_INVALID_ARG,
                               "'%s': give absolute paths",
                               r->paths[i] ? r->paths[i] : "");
            if (stat(r->paths[i], &sb) != 0)
                return es_fail(err, ES_ERR_INVALID_ARG,
                               "%s: no such file or folder", r->paths[i]);
        }
        *paths = copy_paths(r->paths, r->n_paths);
        *n = r->n_paths;
    } else if (e->n_roots) {
        *paths = copy_paths((const char *const *)e->roots, e->n_roots);
        *n = e->n_roots;
    } else {
        es_store *s = NULL;
        es_status st = es_engine_store_take(e, &s, err);
        if (st == ES_OK) st = es_roots_get(s, paths, n, err);
        es_engine_store_give(e, s);
        if (st != ES_OK) return st;
        if (*n == 0)
            return es_fail(err, ES_ERR_INVALID_ARG,
                           "no folders to index: name them (\"paths\")");
        return ES_OK;
    }
    return *paths ? ES_OK : es_fail(err, ES_ERR_NOMEM, "out of memory");
}

es_status es_engine_index_start(es_engine *e, const es_engine_run_request *r,
                                int *busy, es_error *err)
{
    *busy = 0;
    es_index_config cfg = es_index_default_config();
    cfg.jobs = e->jobs;
    cfg.retry_failed = r->retry_failed;
    cfg.models_dir = e->models_dir[0] ? e->models_dir : NULL;
    es_status st = ES_OK;
    if (r->mode) {
        st = es_index_mode_parse(r->mode, &cfg.mode, err);
    } else {
        es_store *s = NULL;
        char *mode = NULL;
        st = es_engine_store_take(e, &s, err);
        if (st == ES_OK) st = es_store_meta_get(s, "mode", &mode, err);
        es_engine_store_give(e, s);
        if (st == ES_OK && mode) st = es_index_mode_parse(mode, &cfg.mode, err);
        free(mode);
    }
    if (st != ES_OK) return st;
    pthread_mutex_lock(&e->mu);
    int running = e->run.state == ES_RUN_RUNNING || e->run.state == ES_RUN_STOPPING;
    int join = !running && e->run_thread_live;
    e->run_thread_live = running;
    pthread_mutex_unlock(&e->mu);
    if (running) {
        *busy = 1;
        return ES_OK;
    }
    if (join) pthread_join(e->run_thread, NULL);
    run_args *a = calloc(1, sizeof *a);
    if (!a) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    if ((st = run_paths(e, r, &a->paths, &a->n_paths, err)) != ES_OK) {
        free(a);
        return st;
    }
    char **shown = copy_paths((const char *const *)a->paths, a->n_paths);
    if (!shown) {
        es_roots_free(a->paths, a->n_paths);
        free(a);
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    a->e = e;
    a->cfg = cfg;
    a->cfg.stop = &e->stop;
    a->cfg.progress = on_progress;
    a->cfg.progress_ctx = e;
    pthread_mutex_lock(&e->mu);
    es_engine_run_clear(&e->run);
    e->run.state = ES_RUN_RUNNING;
    e->run.paths = shown;
    e->run.n_paths = a->n_paths;
    e->run.started_at = unix_s();
    e->stop = 0;
    int rc = pthread_create(&e->run_thread, NULL, run_main, a);
    e->run_thread_live = rc == 0;
    if (rc != 0) {
        e->run.state = ES_RUN_FAILED;
        snprintf(e->run.error, sizeof e->run.error, "cannot start a thread");
    }
    pthread_mutex_unlock(&e->mu);
    if (rc != 0) {
        es_roots_free(a->paths, a->n_paths);
        free(a);
        return es_fail(err, ES_ERR_NOMEM, "cannot start the indexing thread");
    }
    return ES_OK;
}

int es_engine_index_stop(es_engine *e)
{
    pthread_mutex_lock(&e->mu);
    int running = e->run.state == ES_RUN_RUNNING;
    if (running) {
        e->run.state = ES_RUN_STOPPING;
        e->stop = 1;
    }
    int stopping = running || e->run.state == ES_RUN_STOPPING;
    pthread_mutex_unlock(&e->mu);
    return stopping;
}

/* -------------------------------------------------------------- lifetime */
es_status es_engine_open(const es_engine_config *cfg, es_engine **out,
                         es_error *err)
{
    *out = NULL;
    es_engine *e = calloc(1, sizeof *e);
    if (!e) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    char *abs = NULL;
    es_status st = es_path_absolute(cfg->index_path, &abs, err);
    if (st != ES_OK) {
        free(e);
        return st;
    }
    snprintf(e->path, sizeof e->path, "%s", abs);
    free(abs);
    if (cfg->models_dir)
        snprintf(e->models_dir, sizeof e->models_dir, "%s", cfg->models_dir);
    e->jobs = cfg->index_jobs;
    e->check_every = ES_ENGINE_CACHE_CHECK_S;
    pthread_mutex_init(&e->mu, NULL);
    pthread_mutex_init(&e->refresh_mu, NULL);
    pthread_mutex_init(&e->enc_mu, NULL);
    for (size_t i = 0; i < cfg->n_roots && st == ES_OK; i++) {
        char **v = realloc(e->roots, (e->n_roots + 1) * sizeof *v);
        if (!v) {
            st = es_fail(err, ES_ERR_NOMEM, "out of memory");
            break;
        }
        e->roots = v;
        if ((st = es_path_absolute(cfg->roots[i], &v[e->n_roots], err)) == ES_OK)
            e->n_roots++;
    }
    /* create (or migrate) the index once with write access */
    es_store *s = NULL;
    if (st == ES_OK) st = es_store_open(e->path, 1, 0, &s, err);
    es_store_close(s);
    if (st != ES_OK) {
        es_engine_close(e);
        return st;
    }
    *out = e;
    return ES_OK;
}

void es_engine_close(es_engine *e)
{
    if (!e) return;
    es_engine_index_stop(e);
    if (e->run_thread_live) pthread_join(e->run_thread, NULL);
    for (int i = 0; i < e->n_pool; i++) es_store_close(e->pool[i]);
    if (e->cache) {
        es_vec_cache_free(e->cache->c);
        free(e->cache);
    }
    if (e->models) {
        es_index_models_close(&e->models->m);
        free(e->models->key);
        free(e->models);
    }
    es_engine_run_clear(&e->run);
    es_roots_free(e->roots, e->n_roots);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->refresh_mu);
    pthread_mutex_destroy(&e->enc_mu);
    free(e);
}
