/* vec_search.c — exact search over a matrix of unit vectors (see
 * vec_search.h): checks the arguments, picks the kernel (vec_kernel.h),
 * splits the rows into one shard per worker thread, and keeps the k best of
 * each shard in a bounded min-heap before merging them.
 *
 * Rows are scored in blocks of BLOCK_ROWS into a small buffer on the stack;
 * only scores that beat the worst kept hit touch the heap, so after the
 * first few blocks the cost per row is one compare. Masked-out rows are not
 * read: each block is scored in runs of allowed rows. */
#include "index/vec_search.h"
#include "index/vec_kernel.h"
#include "core/error.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK_ROWS 1024
/* Below this many rows per shard a thread costs more than it saves
 * (starting one is tens of microseconds; 8192 × 384 int8 rows take ~0.1 ms). */
#define MIN_SHARD_ROWS 8192
#define MAX_THREADS 64

/* ------------------------------------------------------------ the kernel */

int es_vec_avx2_usable(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

const es_vec_kernel *es_vec_kernel_by_name(const char *name)
{
    if (!name)
        return NULL;
    if (strcmp(name, "scalar") == 0)
        return &es_vec_kernel_scalar;
    if (strcmp(name, "avx2") == 0 && es_vec_avx2_usable())
        return &es_vec_kernel_avx2;
    return NULL;
}

/* Set once (pthread_once) and never changed after: the CPU and the
 * environment do not change while the process runs. */
static pthread_once_t kernel_once = PTHREAD_ONCE_INIT;
static const es_vec_kernel *kernel_chosen;

static void choose_kernel(void)
{
    const char *env = getenv("ES_VEC_KERNEL");
    if (env && strcmp(env, "scalar") == 0)
        kernel_chosen = &es_vec_kernel_scalar;
    else
        kernel_chosen = es_vec_avx2_usable() ? &es_vec_kernel_avx2
                                             : &es_vec_kernel_scalar;
}

const es_vec_kernel *es_vec_kernel_default(void)
{
    pthread_once(&kernel_once, choose_kernel);
    return kernel_chosen;
}

const char *es_vec_kernel_name(void)
{
    return es_vec_kernel_default()->name;
}

/* ------------------------------------------------------------ quantising */

void es_vec_quantize(const float *x, size_t n, int dim, int8_t *i8,
                     float *scale)
{
    for (size_t r = 0; r < n; r++) {
        const float *v = x + r * (size_t)dim;
        int8_t *o = i8 + r * (size_t)dim;
        float mx = 0;
        for (int j = 0; j < dim; j++)
            if (isfinite(v[j]) && fabsf(v[j]) > mx)
                mx = fabsf(v[j]);
        float s = mx / 127.0f;
        scale[r] = s;
        for (int j = 0; j < dim; j++) {
            /* Non-finite entries (a corrupt vector) quantise to 0. */
            float t = (s > 0 && isfinite(v[j])) ? roundf(v[j] / s) : 0.0f;
            o[j] = (int8_t)(t > 127 ? 127 : t < -127 ? -127 : t);
        }
    }
}

/* ------------------------------------------------------------ hits, heap */

/* a ranks before b: higher score, then lower row. */
static int hit_better(const es_vec_hit *a, const es_vec_hit *b)
{
    return a->score > b->score || (a->score == b->score && a->row < b->row);
}

static int hit_cmp(const void *pa, const void *pb)
{
    const es_vec_hit *a = pa, *b = pb;
    return hit_better(a, b) ? -1 : hit_better(b, a) ? 1 : 0;
}

/* A min-heap of at most cap hits, the worst at h[0]. */
typedef struct hit_heap {
    es_vec_hit *h;
    size_t n, cap;
} hit_heap;

static void heap_sift_down(hit_heap *hp, size_t i)
{
    es_vec_hit *h = hp->h;
    for (;;) {
        size_t l = 2 * i + 1, w = i;
        if (l < hp->n && hit_better(&h[w], &h[l]))
            w = l;
        if (l + 1 < hp->n && hit_better(&h[w], &h[l + 1]))
            w = l + 1;
        if (w == i)
            return;
        es_vec_hit t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static void heap_push(hit_heap *hp, uint64_t row, float score)
{
    es_vec_hit x = {row, score};
    es_vec_hit *h = hp->h;
    if (hp->n < hp->cap) {
        size_t i = hp->n++;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!hit_better(&h[p], &x))
                break;
            h[i] = h[p];
            i = p;
        }
        h[i] = x;
    } else if (hp->cap > 0 && hit_better(&x, &h[0])) {
        h[0] = x;
        heap_sift_down(hp, 0);
    }
}

size_t es_vec_select_topk(const float *scores, size_t n, int k,
                          es_vec_hit *hits)
{
    if (!scores || !hits || k <= 0)
        return 0;
    hit_heap hp = {hits, 0, (size_t)k};
    for (size_t i = 0; i < n; i++)
        if (!isnan(scores[i]))
            heap_push(&hp, i, scores[i]);
    qsort(hits, hp.n, sizeof *hits, hit_cmp);
    return hp.n;
}

/* ------------------------------------------------------------ shards */

typedef struct shard_job {
    const es_vec_kernel *kern;
    const es_vec_matrix *m;
    const float *q;          /* F32 query                                  */
    const int8_t *q8;        /* I8: quantised query and its scale          */
    float q_scale;
    size_t begin, end;       /* rows [begin, end)                          */
    float *out;              /* scores mode: out[r] for every row          */
    const uint8_t *mask;     /* top-k mode                                 */
    hit_heap heap;
} shard_job;

/* dst[i] = similarity of row r0 + i, for i < n. */
static void score_rows(const shard_job *j, size_t r0, size_t n, float *dst)
{
    const es_vec_matrix *m = j->m;
    const size_t dim = (size_t)m->dim;
    if (m->type == ES_VEC_F32) {
        j->kern->dot_f32(j->q, m->f32 + r0 * dim, m->dim, n, dst);
        return;
    }
    j->kern->dot_i8(j->q8, j->q_scale, m->i8 + r0 * dim, m->scale + r0,
                    m->dim, n, dst);
}

static void *run_scores(void *arg)
{
    shard_job *j = arg;
    for (size_t r = j->begin; r < j->end; r += BLOCK_ROWS) {
        size_t n = j->end - r < BLOCK_ROWS ? j->end - r : BLOCK_ROWS;
        score_rows(j, r, n, j->out + r);
    }
    return NULL;
}

/* Offers rows r0.. with scores s[0..n) to the heap. Once it is full only a
 * score above the worst kept one can enter (rows come in increasing order,
 * so an equal score loses the tie): one compare per row, no call. */
static void offer_block(hit_heap *hp, size_t r0, const float *s, size_t n)
{
    size_t i = 0;
    for (; i < n && hp->n < hp->cap; i++)
        if (!isnan(s[i]))
            heap_push(hp, r0 + i, s[i]);
    if (hp->cap == 0 || hp->n < hp->cap)
        return;
    float worst = hp->h[0].score;
    /* Most blocks hold no candidate: a branch-free count first (it
     * vectorises), the loop with a branch only when one is there. */
    int any = 0;
    for (size_t t = i; t < n; t++)
        any |= s[t] > worst;
    if (!any)
        return;
    for (; i < n; i++)
        if (s[i] > worst) {
            heap_push(hp, r0 + i, s[i]);
            worst = hp->h[0].score;
        }
}

static void *run_topk(void *arg)
{
    shard_job *j = arg;
    float buf[BLOCK_ROWS];
    for (size_t r = j->begin; r < j->end; r += BLOCK_ROWS) {
        size_t n = j->end - r < BLOCK_ROWS ? j->end - r : BLOCK_ROWS;
        if (!j->mask) {
            score_rows(j, r, n, buf);
            offer_block(&j->heap, r, buf, n);
            continue;
        }
        const uint8_t *mk = j->mask + r;
        size_t i = 0;
        while (i < n) {
            while (i < n && !mk[i])
                i++;
            size_t a = i;
            while (i < n && mk[i])
                i++;
            if (i == a)
                break;
            score_rows(j, r + a, i - a, buf);
            offer_block(&j->heap, r + a, buf, i - a);
        }
    }
    return NULL;
}

/* Runs jobs[0..n) on n threads, the last on the caller. A thread that
 * cannot start runs its job on the caller too: slower, same result. */
static void run_shards(shard_job *jobs, int n, void *(*fn)(void *))
{
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS];
    for (int i = 0; i < n - 1; i++)
        started[i] = pthread_create(&tid[i], NULL, fn, &jobs[i]) == 0;
    fn(&jobs[n - 1]);
    for (int i = 0; i < n - 1; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            fn(&jobs[i]);
    }
}

static int shard_count(size_t n_rows, int threads)
{
    if (threads <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nc > 0 ? (int)nc : 1;
    }
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    size_t most = n_rows / MIN_SHARD_ROWS;
    if (most < 1)
        most = 1;
    return (size_t)threads < most ? threads : (int)most;
}

static es_status check_args(const es_vec_kernel *kern, const es_vec_matrix *m,
                            const float *q, es_error *err)
{
    if (!kern)
        return es_fail(err, ES_ERR_INVALID_ARG, "vector search: no kernel "
                       "(unknown name, or this CPU cannot run it)");
    if (!m || !q)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "vector search: the matrix and the query must not be "
                       "NULL");
    if (m->dim < 1 || m->dim > ES_VEC_MAX_DIM)
        return es_fail(err, ES_ERR_INVALID_ARG, "vector search: dimension %d "
                       "is out of range (1..%d)", m->dim, ES_VEC_MAX_DIM);
    if (m->type != ES_VEC_F32 && m->type != ES_VEC_I8)
        return es_fail(err, ES_ERR_INVALID_ARG, "vector search: unknown "
                       "matrix type %d", (int)m->type);
    if (m->n_rows > 0 && m->type == ES_VEC_F32 && !m->f32)
        return es_fail(err, ES_ERR_INVALID_ARG, "vector search: f32 matrix "
                       "of %zu rows has no data", m->n_rows);
    if (m->n_rows > 0 && m->type == ES_VEC_I8 && (!m->i8 || !m->scale))
        return es_fail(err, ES_ERR_INVALID_ARG, "vector search: int8 matrix "
                       "of %zu rows lacks its values or its scales",
                       m->n_rows);
    for (int j = 0; j < m->dim; j++)
        if (!isfinite(q[j]))
            return es_fail(err, ES_ERR_INVALID_ARG, "vector search: the "
                           "query has a non-finite value at index %d (NaN or "
                           "infinity): re-encode the query", j);
    return ES_OK;
}

/* Fills the fields every shard shares; *q8 (I8 only) is allocated here and
 * freed by the caller. */
static es_status prepare(const es_vec_kernel *kern, const es_vec_matrix *m,
                         const float *q, shard_job *base, int8_t **q8,
                         es_error *err)
{
    memset(base, 0, sizeof *base);
    base->kern = kern;
    base->m = m;
    base->q = q;
    *q8 = NULL;
    if (m->type == ES_VEC_I8 && m->n_rows > 0) {
        *q8 = malloc((size_t)m->dim);
        if (!*q8)
            return es_fail(err, ES_ERR_NOMEM, "vector search: out of memory "
                           "for a %d-d query", m->dim);
        es_vec_quantize(q, 1, m->dim, *q8, &base->q_scale);
        base->q8 = *q8;
    }
    return ES_OK;
}

es_status es_vec_scores_with(const es_vec_kernel *kern, const es_vec_matrix *m,
                             const float *q, int threads, float *out,
                             es_error *err)
{
    es_status st = check_args(kern, m, q, err);
    if (st != ES_OK)
        return st;
    if (m->n_rows == 0)
        return ES_OK;
    if (!out)
        return es_fail(err, ES_ERR_INVALID_ARG, "vector search: no array for "
                       "the %zu scores", m->n_rows);
    shard_job base, jobs[MAX_THREADS];
    int8_t *q8;
    if ((st = prepare(kern, m, q, &base, &q8, err)) != ES_OK)
        return st;
    base.out = out;
    int ns = shard_count(m->n_rows, threads);
    for (int i = 0; i < ns; i++) {
        jobs[i] = base;
        jobs[i].begin = m->n_rows * (size_t)i / (size_t)ns;
        jobs[i].end = m->n_rows * (size_t)(i + 1) / (size_t)ns;
    }
    run_shards(jobs, ns, run_scores);
    free(q8);
    return ES_OK;
}

es_status es_vec_topk_with(const es_vec_kernel *kern, const es_vec_matrix *m,
                           const float *q, int k, const uint8_t *mask,
                           int threads, es_vec_hit *hits, size_t *n_hits,
                           es_error *err)
{
    es_status st = check_args(kern, m, q, err);
    if (st != ES_OK)
        return st;
    if (!n_hits || k < 0 || (k > 0 && !hits))
        return es_fail(err, ES_ERR_INVALID_ARG, "vector search: k must be "
                       "≥ 0 with room for k hits and a count (k = %d)", k);
    *n_hits = 0;
    if (m->n_rows == 0 || k == 0)
        return ES_OK;
    shard_job base, jobs[MAX_THREADS];
    int8_t *q8;
    if ((st = prepare(kern, m, q, &base, &q8, err)) != ES_OK)
        return st;
    base.mask = mask;
    int ns = shard_count(m->n_rows, threads);
    size_t total = 0;
    for (int i = 0; i < ns; i++) {
        jobs[i] = base;
        jobs[i].begin = m->n_rows * (size_t)i / (size_t)ns;
        jobs[i].end = m->n_rows * (size_t)(i + 1) / (size_t)ns;
        size_t rows = jobs[i].end - jobs[i].begin;
        jobs[i].heap.cap = (size_t)k < rows ? (size_t)k : rows;
        total += jobs[i].heap.cap;
    }
    es_vec_hit *all = malloc(total * sizeof *all);
    if (!all) {
        free(q8);
        return es_fail(err, ES_ERR_NOMEM, "vector search: out of memory for "
                       "%zu hits", total);
    }
    size_t at = 0;
    for (int i = 0; i < ns; i++) {
        jobs[i].heap.h = all + at;
        at += jobs[i].heap.cap;
    }
    run_shards(jobs, ns, run_topk);
    /* Gather the shards' hits to the front of `all`, best first. */
    size_t n = 0;
    for (int i = 0; i < ns; i++) {
        memmove(all + n, jobs[i].heap.h, jobs[i].heap.n * sizeof *all);
        n += jobs[i].heap.n;
    }
    qsort(all, n, sizeof *all, hit_cmp);
    if (n > (size_t)k)
        n = (size_t)k;
    memcpy(hits, all, n * sizeof *hits);
    *n_hits = n;
    free(all);
    free(q8);
    return ES_OK;
}

es_status es_vec_scores(const es_vec_matrix *m, const float *q, int threads,
                        float *out, es_error *err)
{
    return es_vec_scores_with(es_vec_kernel_default(), m, q, threads, out,
                              err);
}

es_status es_vec_topk(const es_vec_matrix *m, const float *q, int k,
                      const uint8_t *mask, int threads, es_vec_hit *hits,
                      size_t *n_hits, es_error *err)
{
    return es_vec_topk_with(es_vec_kernel_default(), m, q, k, mask, threads,
                            hits, n_hits, err);
}
