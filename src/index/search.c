/* search.c — scores per path, fusion, lexical term, grouping by file. */
#include "index/search.h"

#include <ctype.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"

#define SNIPPET_MAX 240
#define FTS_MAX_TERMS 32

es_search_params es_search_default_params(void)
{
    es_search_params p;
    memset(&p, 0, sizeof p);
    p.k = 10;
    p.moments_per_file = 3;
    p.paths = ES_PATH_SPEECH | ES_PATH_SOUND;
    p.min_score = -1.0f;
    p.lexical_weight = ES_SEARCH_LEXICAL_DEFAULT;
    p.speech_a = 1.0f;
    p.speech_b = 0.0f;
    p.temperature = ES_SEARCH_TEMPERATURE_DEFAULT;
    return p;
}

void es_search_results_free(es_search_results *r)
{
    for (size_t i = 0; i < r->n_hits; i++) {
        es_search_hit *h = &r->hits[i];
        for (size_t j = 0; j < h->n_moments; j++) free(h->moments[j].snippet);
        free(h->moments);
        free(h->path);
    }
    free(r->hits);
    memset(r, 0, sizeof *r);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1e3 * (double)t.tv_sec + 1e-6 * (double)t.tv_nsec;
}

/* ---------------------------------------------------------------- lexical */

/* "Rain, on the roof!" → "rain" OR "on" OR "the" OR "roof" (each a quoted
 * FTS5 string, so no query syntax gets through). NULL when no word. */
static char *fts_query(const char *text)
{
    size_t n = strlen(text);
    char *q = malloc(n * 4 + 16);
    if (!q) return NULL;
    size_t at = 0;
    int terms = 0;
    for (size_t i = 0; i < n && terms < FTS_MAX_TERMS;) {
        unsigned char c = (unsigned char)text[i];
        if (!(isalnum(c) || c >= 0x80)) {
            i++;
            continue;
        }
        if (terms) {
            memcpy(q + at, " OR ", 4);
            at += 4;
        }
        q[at++] = '"';
        while (i < n && (isalnum((unsigned char)text[i]) ||
                         (unsigned char)text[i] >= 0x80 || text[i] == '\''))
            q[at++] = (char)tolower((unsigned char)text[i++]);
        q[at++] = '"';
        terms++;
    }
    q[at] = 0;
    if (!terms) {
        free(q);
        return NULL;
    }
    return q;
}

/* lex[row] ∈ [0, 1): the best BM25 match among the segments in the chunk,
 * squashed by x / (x + 4) (FTS5's bm25 is ≤ 0, better more negative; 4 is
 * about a two-word match in a short segment). */
static es_status lexical_scores(es_store *s, const es_vec_cache *c,
                                const char *text, float *lex, es_error *err)
{
    char *q = fts_query(text);
    if (!q) return ES_OK;
    sqlite3_stmt *st = NULL;
    /* bm25() only works in a query on the FTS table itself: rank the
     * segments there, then map them to the chunks they overlap */
    const char *sql =
        "WITH m AS MATERIALIZED (SELECT rowid AS sid, bm25(segments_fts) "
        "AS score FROM segments_fts WHERE segments_fts MATCH ?) "
        "SELECT c.id, min(m.score) FROM m "
        "JOIN segments g ON g.id = m.sid "
        "JOIN chunks c ON c.file_id = g.file_id AND c.start < g.end "
        "AND c.end > g.start GROUP BY c.id";
    if (sqlite3_prepare_v2(es_store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
        free(q);
        return es_store_fail(s, "lexical search", err);
    }
    sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t row = es_vec_cache_row(c, sqlite3_column_int64(st, 0));
        double x = -sqlite3_column_double(st, 1);
        if (row >= 0 && x > 0) lex[row] = (float)(x / (x + 4.0));
    }
    sqlite3_finalize(st);
    free(q);
    return rc == SQLITE_DONE ? ES_OK : es_store_fail(s, "lexical search", err);
}

/* ------------------------------------------------------------------ fusion */
typedef struct fusion_in {
    const es_vec_cache *c;
    const float *sp, *snd, *lex;
    const es_search_params *p;
} fusion_in;

static float speech_weight(const es_search_params *p, float w)
{
    float v = p->speech_a * w + p->speech_b;
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Fused score of row r, NaN when it cannot match; *matched = the path that
 * contributed most. Both paths: a weighted log-sum-exp of the two
 * similarities (docs/SEARCH.md): τ → ∞ is the weighted mean, τ → 0 the
 * best path among those with weight; τ = 0 here means the plain mean. */
static float fuse(const fusion_in *in, size_t r, int *matched)
{
    const es_vec_cache *c = in->c;
    int hs = in->sp && (c->has[r] & ES_PATH_SPEECH);
    int hd = in->snd && (c->has[r] & ES_PATH_SOUND);
    if (!hs && !hd) return NAN;
    float dense;
    if (hs && hd) {
        float w = speech_weight(in->p, c->speech_score[r]);
        float a = in->sp[r], b = in->snd[r], t = in->p->temperature;
        if (t > 0) {
            float m = a > b ? a : b;
            float ea = w * expf((a - m) / t), eb = (1 - w) * expf((b - m) / t);
            dense = ea + eb > 0 ? m + t * logf(ea + eb) : m;
            *matched = ea >= eb ? ES_PATH_SPEECH : ES_PATH_SOUND;
        } else {
            dense = w * a + (1 - w) * b;
            *matched = w * a >= (1 - w) * b ? ES_PATH_SPEECH : ES_PATH_SOUND;
        }
    } else {
        dense = hs ? in->sp[r] : in->snd[r];
        *matched = hs ? ES_PATH_SPEECH : ES_PATH_SOUND;
    }
    return dense + (in->lex ? in->p->lexical_weight * in->lex[r] : 0.0f);
}

/* ---------------------------------------------------------------- grouping */
static char *snippet(es_store *s, int64_t file_id, double start, double end)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(es_store_db(s),
                           "SELECT text FROM segments WHERE file_id = ? AND "
                           "start < ? AND end > ? ORDER BY start",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, file_id);
    sqlite3_bind_double(st, 2, end);
    sqlite3_bind_double(st, 3, start);
    char buf[SNIPPET_MAX + 8];
    size_t at = 0;
    int cut = 0;
    while (!cut && sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (!t || !*t) continue;
        if (at && at < SNIPPET_MAX) buf[at++] = ' ';
        for (; *t; t++) {
            if (at >= SNIPPET_MAX) {
                cut = 1;
                break;
            }
            buf[at++] = *t;
        }
    }
    sqlite3_finalize(st);
    if (at == 0) return NULL;
    if (cut) {   /* back to a UTF-8 character boundary, then "…" */
        while (at > 0 && ((unsigned char)buf[at] & 0xC0) == 0x80) at--;
        memcpy(buf + at, "\xE2\x80\xA6", 3);
        at += 3;
    }
    buf[at] = 0;
    return strdup(buf);
}

static int overlaps_much(const es_search_moment *m, double start, double end)
{
    double o = fmin(m->end_s, end) - fmax(m->start_s, start);
    return o > 0.5 * (end - start);
}

/* Groups ranked rows into at most p->k files. Returns the number of files
 * filled; *complete = every file has its moments or rows ran out. */
static es_status group(es_store *s, const fusion_in *in, const es_vec_hit *hits,
                       size_t n_hits, es_search_results *out, es_error *err)
{
    const es_vec_cache *c = in->c;
    const es_search_params *p = in->p;
    out->hits = calloc((size_t)p->k, sizeof *out->hits);
    if (!out->hits) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n_hits; i++) {
        size_t r = (size_t)hits[i].row;
        int64_t fid = c->file_id[r];
        es_search_hit *h = NULL;
        for (size_t j = 0; j < out->n_hits && !h; j++)
            if (out->hits[j].file_id == fid) h = &out->hits[j];
        if (!h) {
            if (out->n_hits == (size_t)p->k) continue;
            h = &out->hits[out->n_hits++];
            h->file_id = fid;
            h->score = hits[i].score;
            h->moments = calloc((size_t)p->moments_per_file, sizeof *h->moments);
            if (!h->moments) return es_fail(err, ES_ERR_NOMEM, "out of memory");
        }
        if (h->n_moments == (size_t)p->moments_per_file) continue;
        int dup = 0;
        for (size_t j = 0; j < h->n_moments && !dup; j++)
            dup = overlaps_much(&h->moments[j], c->start_s[r], c->end_s[r]);
        if (dup) continue;
        es_search_moment *m = &h->moments[h->n_moments++];
        m->chunk_id = c->chunk_id[r];
        m->start_s = c->start_s[r];
        m->end_s = c->end_s[r];
        m->score = hits[i].score;
        m->speech_score = c->speech_score[r];
        fuse(in, r, &m->matched);
        m->speech_sim = in->sp && (c->has[r] & ES_PATH_SPEECH) ? in->sp[r] : NAN;
        m->sound_sim = in->snd && (c->has[r] & ES_PATH_SOUND) ? in->snd[r] : NAN;
        m->lexical = in->lex ? in->lex[r] : NAN;
        m->snippet = snippet(s, fid, m->start_s, m->end_s);
    }
    for (size_t j = 0; j < out->n_hits; j++) {
        es_store_file f;
        int found = 0;
        es_status st = es_store_file_get_id(s, out->hits[j].file_id, &f, &found,
                                            err);
        if (st != ES_OK) return st;
        out->hits[j].path = found ? f.path : strdup("(removed)");
        out->hits[j].removed = !found;
        out->hits[j].duration_s = found ? f.duration_s : 0;
        f.path = NULL;
        if (found) es_store_file_clear(&f);
        if (!out->hits[j].path)
            return es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    return ES_OK;
}

es_status es_search_run(es_store *s, const es_vec_cache *c,
                        const float *q_speech, const float *q_sound,
                        const char *lexical_text, const es_search_params *p,
                        es_search_results *out, es_error *err)
{
    memset(out, 0, sizeof *out);
    if (p->k <= 0 || p->moments_per_file <= 0)
        return es_fail(err, ES_ERR_INVALID_ARG, "search: k must be ≥ 1");
    double t0 = now_ms();
    snprintf(out->kernel, sizeof out->kernel, "%s", es_vec_kernel_name());
    size_t n = c->n;
    out->n_chunks = n;
    if (n == 0 || c->dim == 0) return ES_OK;
    float *sp = NULL, *snd = NULL, *lex = NULL, *fused = NULL;
    es_vec_hit *hits = NULL;
    es_status st = ES_OK;
    int use_sp = q_speech && (p->paths & ES_PATH_SPEECH);
    int use_snd = q_sound && (p->paths & ES_PATH_SOUND);
    if ((use_sp && !(sp = malloc(n * sizeof *sp))) ||
        (use_snd && !(snd = malloc(n * sizeof *snd))) ||
        !(fused = malloc(n * sizeof *fused))) {
        st = es_fail(err, ES_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (use_sp)
        st = es_vec_scores(p->exact ? &c->speech_f32 : &c->speech_i8,
                           q_speech, p->threads, sp, err);
    if (st == ES_OK && use_snd)
        st = es_vec_scores(p->exact ? &c->sound_f32 : &c->sound_i8, q_sound,
                           p->threads, snd, err);
    if (st == ES_OK && use_sp && lexical_text && p->lexical_weight != 0) {
        if (!(lex = calloc(n, sizeof *lex)))
            st = es_fail(err, ES_ERR_NOMEM, "out of memory");
        else
            st = lexical_scores(s, c, lexical_text, lex, err);
    }
    if (st != ES_OK) goto done;
    fusion_in in = {c, sp, snd, lex, p};
    for (size_t r = 0; r < n; r++) {
        int matched;
        float v = fuse(&in, r, &matched);
        if (v < p->min_score ||
            (p->exclude_file && c->file_id[r] == p->exclude_file &&
             c->start_s[r] < p->exclude_end && c->end_s[r] > p->exclude_start))
            v = NAN;
        fused[r] = v;
    }
    /* enough rows that k distinct files are likely among them; widen when
     * one file holds most of the best rows */
    size_t want = (size_t)p->k * (size_t)p->moments_per_file * 4;
    for (;;) {
        if (want > n) want = n;
        free(hits);
        if (!(hits = malloc(want * sizeof *hits))) {
            st = es_fail(err, ES_ERR_NOMEM, "out of memory");
            goto done;
        }
        size_t got = es_vec_select_topk(fused, n, (int)want, hits);
        es_search_results_free(out);
        if ((st = group(s, &in, hits, got, out, err)) != ES_OK) goto done;
        if (out->n_hits == (size_t)p->k || got < want || want == n) break;
        want *= 4;
    }
    snprintf(out->kernel, sizeof out->kernel, "%s", es_vec_kernel_name());
    out->n_chunks = n;
done:
    out->ms = now_ms() - t0;
    free(sp);
    free(snd);
    free(lex);
    free(fused);
    free(hits);
    if (st != ES_OK) es_search_results_free(out);
    return st;
}
