/* indexer.c — planning an index update, running the analyses on worker
 * threads and committing each file on the calling thread. */
#include "index/indexer.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "index/analyze.h"
#include "index/file_hash.h"
#include "index/index_models.h"
#include "index/walk.h"

es_status es_index_mode_parse(const char *name, es_index_mode *out,
                              es_error *err)
{
    if (name && !strcmp(name, "lightweight")) *out = ES_MODE_LIGHTWEIGHT;
    else if (name && !strcmp(name, "hybrid")) *out = ES_MODE_HYBRID;
    else
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "unknown mode '%s' (lightweight or hybrid)",
                       name ? name : "");
    return ES_OK;
}

const char *es_index_mode_name(es_index_mode m)
{
    return m == ES_MODE_HYBRID ? "hybrid" : "lightweight";
}

es_index_config es_index_default_config(void)
{
    es_index_config c;
    memset(&c, 0, sizeof c);
    c.mode = ES_MODE_LIGHTWEIGHT;
    c.chunk = es_chunk_default_params();
    return c;
}

void es_index_report_clear(es_index_report *r)
{
    for (size_t i = 0; i < r->n_failures; i++) {
        free(r->failures[i].path);
        free(r->failures[i].error);
    }
    free(r->failures);
    memset(r, 0, sizeof *r);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ------------------------------------------------------------- planning */
typedef struct known_file {     /* a row of the index, before this run     */
    es_store_file row;
    int seen;                   /* walked in this run                      */
} known_file;

typedef struct known_list {
    known_file *v;
    size_t n, cap;
} known_list;

static int collect_row(const es_store_file *f, void *ctx)
{
    known_list *k = ctx;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 64;
        known_file *v = realloc(k->v, cap * sizeof *v);
        if (!v) return 1;
        k->v = v;
        k->cap = cap;
    }
    known_file *d = &k->v[k->n];
    memset(d, 0, sizeof *d);
    d->row = *f;
    d->row.path = strdup(f->path ? f->path : "");
    d->row.error = f->error ? strdup(f->error) : NULL;
    d->row.models_key = strdup(f->models_key ? f->models_key : "");
    if (!d->row.path || !d->row.models_key) {
        es_store_file_clear(&d->row);
        return 1;
    }
    k->n++;
    return 0;
}

static int by_known_path(const void *a, const void *b)
{
    return strcmp(((const known_file *)a)->row.path,
                  ((const known_file *)b)->row.path);
}

static known_file *find_known(known_list *k, const char *path)
{
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(k->v[mid].row.path, path);
        if (c == 0) return &k->v[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static void known_free(known_list *k)
{
    for (size_t i = 0; i < k->n; i++) es_store_file_clear(&k->v[i].row);
    free(k->v);
}

static int under_roots(const es_walk_list *w, const char *path)
{
    for (size_t i = 0; i < w->n_roots; i++) {
        size_t n = strlen(w->roots[i]);
        if (strcmp(path, w->roots[i]) == 0) return 1;
        if (strncmp(path, w->roots[i], n) == 0 &&
            (path[n] == '/' || w->roots[i][n - 1] == '/'))
            return 1;
    }
    return 0;
}

/* A file to analyse. */
typedef struct work_item {
    const es_walk_file *file;
    double declared_s;          /* for progress and ETA                    */
    /* filled by the worker: */
    int finished;
    es_status status;
    es_error error;
    char hash[17];
    es_analysis result;
} work_item;

/* ------------------------------------------------------------ workers */
typedef struct run_state {
    const es_index_config *cfg;
    es_analyze_config acfg;
    work_item *items;
    size_t n_items;
    size_t next;                /* next item to hand out                   */
    size_t in_flight;           /* handed out, not yet committed           */
    size_t max_in_flight;       /* bounds the memory of waiting results    */
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* an item finished / a slot freed         */
    es_status setup_status;     /* first analyser creation failure         */
    es_error setup_error;
} run_state;

static void *worker_main(void *arg)
{
    run_state *rs = arg;
    es_analyzer *a = NULL;
    es_error e;
    es_status st = es_analyzer_create(&rs->acfg, &a, &e);
    pthread_mutex_lock(&rs->mu);
    if (st != ES_OK && rs->setup_status == ES_OK) {
        rs->setup_status = st;
        rs->setup_error = e;
    }
    for (;;) {
        while (a && rs->next < rs->n_items &&
               rs->in_flight >= rs->max_in_flight &&
               !(rs->cfg->stop && *rs->cfg->stop))
            pthread_cond_wait(&rs->cv, &rs->mu);
        if (!a || rs->next >= rs->n_items || (rs->cfg->stop && *rs->cfg->stop))
            break;
        work_item *it = &rs->items[rs->next++];
        rs->in_flight++;
        pthread_mutex_unlock(&rs->mu);

        es_error_clear(&it->error);
        it->status = es_file_hash(it->file->path, it->hash, &it->error);
        if (it->status == ES_OK)
            it->status = es_analyzer_run(a, it->file->path, &it->result,
                                         &it->error);

        pthread_mutex_lock(&rs->mu);
        it->finished = 1;
        pthread_cond_broadcast(&rs->cv);
    }
    /* wake the committer, which may wait for work this worker gave up */
    pthread_cond_broadcast(&rs->cv);
    pthread_mutex_unlock(&rs->mu);
    es_analyzer_free(a);
    return NULL;
}

/* ------------------------------------------------------------ committing */

/* Test hook: EARSHOT_INDEX_KILL_AT=N kills the process (SIGKILL, as a power
 * cut would) inside the N-th file transaction of the run, after its rows
 * are written and before the commit. tests/ref/test_index_cli.py uses it
 * to prove that a rerun resumes with nothing lost or half-written. */
static void maybe_die(size_t n_committed)
{
    const char *v = getenv("EARSHOT_INDEX_KILL_AT");
    if (v && (size_t)atol(v) == n_committed + 1) raise(SIGKILL);
}

static es_status write_ok(es_store *s, const es_index_models *m,
                          const work_item *it, const float *speech,
                          const int *speech_row, es_error *err)
{
    const es_analysis *r = &it->result;
    es_store_file f = {0};
    f.path = it->file->path;
    f.size = it->file->size;
    f.mtime_ns = it->file->mtime_ns;
    memcpy(f.hash, it->hash, sizeof f.hash);
    f.duration_s = r->duration_s;
    f.status = ES_FILE_OK;
    f.models_key = (char *)m->key;
    es_status st = es_store_file_put(s, &f, err);
    int dim = es_text_encoder_dim(m->enc);
    for (size_t i = 0; st == ES_OK && i < r->n_chunks; i++) {
        const es_analysis_chunk *k = &r->chunks[i];
        es_store_chunk c = {0};
        c.file_id = f.id;
        c.index = (int)i;
        c.start_s = k->start_s;
        c.end_s = k->end_s;
        c.speech_score = k->speech_score;
        c.paths = (k->sound ? ES_PATH_SOUND : 0) |
                  (speech_row[i] >= 0 ? ES_PATH_SPEECH : 0);
        c.features = k->features;
        c.n_features = r->n_features;
        st = es_store_chunk_add(s, &c, err);
        if (st == ES_OK && k->sound)
            st = es_store_vector_add(s, c.id, ES_PATH_SOUND, k->sound,
                                     r->sound_dim, err);
        if (st == ES_OK && speech_row[i] >= 0)
            st = es_store_vector_add(s, c.id, ES_PATH_SPEECH,
                                     speech + (size_t)speech_row[i] * dim, dim,
                                     err);
    }
    for (size_t i = 0; st == ES_OK && i < r->n_segments; i++)
        st = es_store_segment_add(s, f.id, r->segments[i].start_s,
                                  r->segments[i].end_s, r->segments[i].text,
                                  err);
    return st;
}

static es_status write_failed(es_store *s, const es_index_models *m,
                              const work_item *it, es_error *err)
{
    es_store_file f = {0};
    f.path = it->file->path;
    f.size = it->file->size;
    f.mtime_ns = it->file->mtime_ns;
    memcpy(f.hash, it->hash, sizeof f.hash);
    f.status = ES_FILE_FAILED;
    f.error = (char *)it->error.message;
    f.models_key = (char *)m->key;
    return es_store_file_put(s, &f, err);
}

/* Embeds the chunk transcripts of a finished item. speech_row[i] is the
 * row of chunk i in *speech, or -1. */
static es_status embed_speech(const es_index_models *m, const es_analysis *r,
                              float **speech, int **speech_row, es_error *err)
{
    *speech = NULL;
    *speech_row = calloc(r->n_chunks ? r->n_chunks : 1, sizeof **speech_row);
    const char **texts = calloc(r->n_chunks ? r->n_chunks : 1, sizeof *texts);
    if (!*speech_row || !texts) {
        free(texts);
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < r->n_chunks; i++) {
        (*speech_row)[i] = -1;
        if (r->chunks[i].text && r->chunks[i].text[0]) {
            (*speech_row)[i] = (int)n;
            texts[n++] = r->chunks[i].text;
        }
    }
    es_status st = ES_OK;
    if (n) {
        size_t dim = (size_t)es_text_encoder_dim(m->enc);
        if (!(*speech = malloc(n * dim * sizeof(float))))
            st = es_fail(err, ES_ERR_NOMEM, "out of memory");
        else
            st = es_text_encoder_embed(m->enc, texts, n, *speech, err);
    }
    free(texts);
    return st;
}

static es_status add_failure(es_index_report *rep, const char *path,
                             const char *msg)
{
    es_index_failure *f = realloc(rep->failures,
                                  (rep->n_failures + 1) * sizeof *f);
    if (!f) return ES_ERR_NOMEM;
    rep->failures = f;
    f[rep->n_failures].path = strdup(path);
    f[rep->n_failures].error = strdup(msg);
    rep->n_failures++;
    return ES_OK;
}

/* Commits one finished item; failures of the file are recorded, failures
 * of the index (disk full, …) are returned. */
static es_status commit_item(es_store *s, const es_index_models *m,
                             work_item *it, es_index_report *rep,
                             size_t *n_committed, es_error *err)
{
    es_index_progress *p = &rep->totals;
    float *speech = NULL;
    int *speech_row = NULL;
    int ok = it->status == ES_OK;
    if (ok) {
        es_error e;
        if (embed_speech(m, &it->result, &speech, &speech_row, &e) != ES_OK) {
            ok = 0;
            it->status = e.code;
            it->error = e;
        }
    }
    es_status st = es_store_begin(s, err);
    if (st == ES_OK)
        st = ok ? write_ok(s, m, it, speech, speech_row, err)
                : write_failed(s, m, it, err);
    if (st == ES_OK) {
        maybe_die(*n_committed);
        st = es_store_commit(s, err);
    } else {
        es_store_rollback(s);
    }
    if (st == ES_OK) ++*n_committed;

    p->event = ES_INDEX_FILE_DONE;
    p->files_done++;
    p->seconds_done += ok ? it->result.duration_s : it->declared_s;
    p->path = it->file->path;
    p->ok = ok;
    p->error = ok ? NULL : it->error.message;
    p->file_seconds = ok ? it->result.duration_s : 0;
    p->file_chunks = ok ? it->result.n_chunks : 0;
    p->file_speech_chunks = 0;
    for (size_t i = 0; ok && i < it->result.n_chunks; i++)
        p->file_speech_chunks += speech_row[i] >= 0;
    /* the analysis is freed below: the report keeps the warning's text */
    snprintf(rep->warning, sizeof rep->warning, "%s",
             ok ? it->result.warning : "");
    p->warning = rep->warning[0] ? rep->warning : NULL;
    if (!ok) {
        p->failed++;
        if (add_failure(rep, it->file->path, it->error.message) != ES_OK &&
            st == ES_OK)
            st = es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    free(speech);
    free(speech_row);
    es_analysis_clear(&it->result);
    return st;
}

/* --------------------------------------------------------------- the run */
static void emit(const es_index_config *cfg, es_index_progress *p,
                 es_index_event ev, double t0)
{
    p->event = ev;
    p->elapsed_s = now_s() - t0;
    if (cfg->progress) cfg->progress(p, cfg->progress_ctx);
}

static double declared_duration(const char *path)
{
    es_decoder *d = NULL;
    es_error e;
    if (es_decoder_open(path, &d, &e) != ES_OK) return 0;
    double s = es_decoder_info(d)->duration_s;
    es_decoder_close(d);
    return s > 0 ? s : 0;
}

/* Decides what to do with each walked file; fills items (to analyse) and
 * applies touches, moves and removals. */
static es_status plan(es_store *s, const es_index_models *m,
                      const es_index_config *cfg, const es_walk_list *w,
                      known_list *known, work_item *items, size_t *n_items,
                      es_index_report *rep, es_error *err)
{
    es_index_progress *p = &rep->totals;
    size_t n = 0;
    const es_walk_file **fresh = calloc(w->n ? w->n : 1, sizeof *fresh);
    if (!fresh) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    size_t n_fresh = 0;
    es_status st = ES_OK;
    for (size_t i = 0; i < w->n && st == ES_OK; i++) {
        const es_walk_file *f = &w->files[i];
        known_file *k = find_known(known, f->path);
        if (!k) {
            fresh[n_fresh++] = f;
            continue;
        }
        k->seen = 1;
        const es_store_file *r = &k->row;
        int same_models = !strcmp(r->models_key, m->key);
        int failed = r->status != ES_FILE_OK;
        if (same_models && (!failed || !cfg->retry_failed)) {
            if (r->size == f->size && r->mtime_ns == f->mtime_ns) {
                if (failed) p->failed_before++;
                else p->unchanged++;
                continue;
            }
            char hex[17];
            es_error e;
            if (r->size == f->size && es_file_hash(f->path, hex, &e) == ES_OK &&
                !strcmp(hex, r->hash)) {
                if ((st = es_store_begin(s, err)) == ES_OK &&
                    (st = es_store_file_touch(s, r->id, f->size, f->mtime_ns,
                                              err)) == ES_OK)
                    st = es_store_commit(s, err);
                else
                    es_store_rollback(s);
                p->touched++;
                continue;
            }
        }
        items[n++].file = f;
    }
    /* vanished rows under the walked roots */
    size_t n_gone = 0;
    for (size_t i = 0; i < known->n; i++) {
        known_file *k = &known->v[i];
        if (k->seen || !under_roots(w, k->row.path)) continue;
        k->seen = -1;   /* marks "gone" */
        n_gone++;
    }
    for (size_t i = 0; i < n_fresh && st == ES_OK; i++) {
        const es_walk_file *f = fresh[i];
        known_file *moved = NULL;
        char hex[17];
        es_error e;
        if (n_gone && es_file_hash(f->path, hex, &e) == ES_OK) {
            for (size_t j = 0; j < known->n && !moved; j++) {
                known_file *k = &known->v[j];
                if (k->seen == -1 && k->row.size == f->size &&
                    k->row.status == ES_FILE_OK &&
                    !strcmp(k->row.hash, hex) &&
                    !strcmp(k->row.models_key, m->key))
                    moved = k;
            }
        }
        if (!moved) {
            items[n++].file = f;
            continue;
        }
        if ((st = es_store_begin(s, err)) == ES_OK &&
            (st = es_store_file_rename(s, moved->row.id, f->path, f->size,
                                       f->mtime_ns, err)) == ES_OK)
            st = es_store_commit(s, err);
        else
            es_store_rollback(s);
        moved->seen = 1;
        n_gone--;
        p->moved++;
    }
    for (size_t i = 0; i < known->n && st == ES_OK; i++) {
        known_file *k = &known->v[i];
        if (k->seen != -1) continue;
        if ((st = es_store_begin(s, err)) == ES_OK &&
            (st = es_store_file_delete(s, k->row.id, err)) == ES_OK)
            st = es_store_commit(s, err);
        else
            es_store_rollback(s);
        p->removed++;
    }
    free(fresh);
    *n_items = n;
    return st;
}

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

es_status es_index_update(es_store *s, const char *const *paths,
                          size_t n_paths, const es_index_config *cfg,
                          es_index_report *rep, es_error *err)
{
    memset(rep, 0, sizeof *rep);
    double t0 = now_s();
    es_index_models m;
    es_status st = es_index_models_for_update(s, cfg, &m, err);
    if (st != ES_OK) return st;
    snprintf(rep->models, sizeof rep->models,
             "text: %.200s\nsound: %.300s\nspeech: %.300s\nmode: %s",
             es_text_encoder_describe(m.enc),
             m.bridge ? es_bridge_describe(m.bridge)
                      : "none (no bridge: give --bridge B.esbridge)",
             m.asr_choice, es_index_mode_name(cfg->mode));
    es_walk_list w = {0};
    known_list known = {0};
    work_item *items = NULL;
    size_t n_items = 0;
    pthread_t *threads = NULL;
    int n_threads = 0;
    run_state rs;
    memset(&rs, 0, sizeof rs);

    if ((st = es_index_models_record(s, cfg, &m, err)) != ES_OK ||
        (st = es_walk(paths, n_paths, &w, err)) != ES_OK ||
        (st = es_store_files_each(s, collect_row, &known, err)) != ES_OK)
        goto done;
    if (known.n > 1) qsort(known.v, known.n, sizeof *known.v, by_known_path);
    if (!(items = calloc(w.n ? w.n : 1, sizeof *items))) {
        st = es_fail(err, ES_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = plan(s, &m, cfg, &w, &known, items, &n_items, rep, err)) != ES_OK)
        goto done;
    es_index_progress *p = &rep->totals;
    p->files_total = n_items;
    for (size_t i = 0; i < n_items; i++) {
        items[i].declared_s = declared_duration(items[i].file->path);
        p->seconds_total += items[i].declared_s;
    }
    emit(cfg, p, ES_INDEX_PLANNED, t0);

    int jobs = cfg->jobs > 0 ? cfg->jobs : cores();
    if ((size_t)jobs > n_items) jobs = n_items ? (int)n_items : 1;
    rs.cfg = cfg;
    rs.items = items;
    rs.n_items = n_items;
    rs.max_in_flight = (size_t)jobs * 2;
    rs.acfg.chunk = cfg->chunk;
    rs.acfg.bridge = m.bridge;
    rs.acfg.hybrid = cfg->mode == ES_MODE_HYBRID;
    rs.acfg.asr_name = cfg->asr_model;
    rs.acfg.whisper_name = cfg->asr_model;
    rs.acfg.models_dir = cfg->models_dir;
    rs.acfg.asr_threads = jobs > 1 ? 1 : 0;
    rs.acfg.no_asr = cfg->no_asr;
    rs.acfg.stop = cfg->stop;
    pthread_mutex_init(&rs.mu, NULL);
    pthread_cond_init(&rs.cv, NULL);
    if (n_items && !(threads = calloc((size_t)jobs, sizeof *threads))) {
        st = es_fail(err, ES_ERR_NOMEM, "out of memory");
        goto done_sync;
    }
    for (int i = 0; n_items && i < jobs; i++) {
        if (pthread_create(&threads[i], NULL, worker_main, &rs) != 0) break;
        n_threads++;
    }
    if (n_items && n_threads == 0) {
        st = es_fail(err, ES_ERR_INTERNAL, "cannot start worker threads");
        goto done_sync;
    }

    /* Commit items in order (a stable order makes runs reproducible);
     * workers run ahead by up to max_in_flight items. */
    size_t n_committed = 0;
    for (size_t i = 0; i < n_items; i++) {
        work_item *it = &items[i];
        pthread_mutex_lock(&rs.mu);
        while (!it->finished && rs.setup_status == ES_OK &&
               !(cfg->stop && *cfg->stop && rs.next <= i))
            pthread_cond_wait(&rs.cv, &rs.mu);
        int finished = it->finished;
        es_status setup = rs.setup_status;
        pthread_mutex_unlock(&rs.mu);
        if (setup != ES_OK && !finished) {
            st = setup;
            if (err) *err = rs.setup_error;
            break;
        }
        if (!finished || it->status == ES_DONE) {   /* interrupted */
            rep->interrupted = 1;
            break;
        }
        es_status cst = commit_item(s, &m, it, rep, &n_committed, err);
        pthread_mutex_lock(&rs.mu);
        rs.in_flight--;
        pthread_cond_broadcast(&rs.cv);
        pthread_mutex_unlock(&rs.mu);
        if (cst != ES_OK) {
            st = cst;
            break;
        }
        emit(cfg, p, ES_INDEX_FILE_DONE, t0);
    }
    if (st != ES_OK && cfg->stop) *cfg->stop = 1;   /* let workers end */
    if (cfg->stop && *cfg->stop) rep->interrupted = 1;
done_sync:
    if (st != ES_OK || rep->interrupted) {
        pthread_mutex_lock(&rs.mu);
        rs.next = rs.n_items;   /* hand out nothing more */
        pthread_cond_broadcast(&rs.cv);
        pthread_mutex_unlock(&rs.mu);
    }
    for (int i = 0; i < n_threads; i++) pthread_join(threads[i], NULL);
    for (size_t i = 0; i < n_items; i++) es_analysis_clear(&items[i].result);
    pthread_mutex_destroy(&rs.mu);
    pthread_cond_destroy(&rs.cv);
    if (st == ES_OK) emit(cfg, &rep->totals, ES_INDEX_FINISHED, t0);
done:
    free(threads);
    free(items);
    known_free(&known);
    es_walk_list_free(&w);
    es_index_models_close(&m);
    return st;
}
