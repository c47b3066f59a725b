/* whisper_decode.c — logit filters, scores, sampling, greedy and beam
 * search for one window (see whisper_decode.h; the rules follow
 * openai/whisper decoding.py, cited per function). */
#include "models/whisper/whisper_decode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/error.h"

/* ------------------------------------------------------------ filters */

void es_whisper_suppress_blank(const es_whisper_vocab *v, float *logits,
                               int n_sampled)
{
    if (n_sampled != 0) return;
    if (v->space >= 0) logits[v->space] = -INFINITY;
    logits[v->eot] = -INFINITY;
}

void es_whisper_suppress_tokens(const es_whisper_vocab *v, float *logits,
                                int non_speech)
{
    if (non_speech)
        for (int i = 0; i < v->n_non_speech; i++) logits[v->non_speech[i]] = -INFINITY;
    /* sot, languages, translate, transcribe, sot_lm, sot_prev, no_speech,
     * no_timestamps: every special token between eot and the timestamps */
    for (int32_t t = v->sot; t < v->timestamp_begin; t++) logits[t] = -INFINITY;
}

void es_whisper_timestamp_rules(const es_whisper_vocab *v,
                                const int32_t *sampled, int n_sampled,
                                int max_initial_index, int max_index,
                                float *logits)
{
    const int32_t tb = v->timestamp_begin;
    const int n = v->n_vocab;
    logits[v->no_timestamps] = -INFINITY;

    int last_ts = n_sampled >= 1 && sampled[n_sampled - 1] >= tb;
    int penult_ts = n_sampled < 2 || sampled[n_sampled - 2] >= tb;
    if (last_ts) {
        if (penult_ts)
            for (int i = tb; i < n; i++) logits[i] = -INFINITY;
        else
            for (int i = 0; i < v->eot; i++) logits[i] = -INFINITY;
    }
    int32_t last_t = -1;
    for (int i = n_sampled - 1; i >= 0; i--)
        if (sampled[i] >= tb) {
            last_t = sampled[i];
            break;
        }
    if (last_t >= 0) {
        /* not decreasing; strictly increasing unless closing a pair */
        int32_t lim = last_ts && !penult_ts ? last_t : last_t + 1;
        for (int32_t i = tb; i < lim && i < n; i++) logits[i] = -INFINITY;
    }
    if (n_sampled == 0) {
        for (int i = 0; i < tb; i++) logits[i] = -INFINITY;
        if (max_initial_index >= 0)
            for (int i = tb + max_initial_index + 1; i < n; i++) logits[i] = -INFINITY;
    }
    if (max_index >= 0)
        for (int i = tb + max_index + 1; i < n; i++) logits[i] = -INFINITY;

    /* timestamp mass vs the most probable text token (the log-softmax
     * constant cancels, so compare on the raw logits) */
    double ts_lse = es_whisper_logsumexp(logits + tb, n - tb);
    float max_text = -INFINITY;
    for (int i = 0; i < tb; i++)
        if (logits[i] > max_text) max_text = logits[i];
    if (ts_lse > (double)max_text)
        for (int i = 0; i < tb; i++) logits[i] = -INFINITY;
}

void es_whisper_apply_filters(const es_whisper_vocab *v,
                              const es_whisper_filter *f,
                              const int32_t *sampled, int n_sampled,
                              float *logits)
{
    if (f->suppress_blank) es_whisper_suppress_blank(v, logits, n_sampled);
    es_whisper_suppress_tokens(v, logits, f->suppress_non_speech);
    if (f->timestamps)
        es_whisper_timestamp_rules(v, sampled, n_sampled,
                                   f->max_initial_timestamp_index,
                                   f->max_timestamp_index, logits);
}

/* ------------------------------------------------------------- scores */

double es_whisper_logsumexp(const float *x, int n)
{
    float m = -INFINITY;
    for (int i = 0; i < n; i++)
        if (x[i] > m) m = x[i];
    if (m == -INFINITY) return -INFINITY;
    /* expf: one call per vocabulary entry and decoding step; the sum is
     * kept in double */
    double s = 0.0;
    for (int i = 0; i < n; i++) s += (double)expf(x[i] - m);   /* expf(−inf) = 0 */
    return (double)m + log(s);
}

void es_whisper_log_softmax(const float *x, int n, float *out)
{
    double lse = es_whisper_logsumexp(x, n);
    for (int i = 0; i < n; i++) out[i] = (float)((double)x[i] - lse);
}

float es_whisper_softmax_at(const float *x, int n, int idx)
{
    double lse = es_whisper_logsumexp(x, n);
    if (lse == -INFINITY || idx < 0 || idx >= n) return 0.0f;
    return (float)exp((double)x[idx] - lse);
}

int es_whisper_argmax(const float *x, int n)
{
    int best = n > 0 ? 0 : -1;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

float es_whisper_compression_ratio(const char *text, size_t n)
{
    if (n == 0) return 0.0f;
    uLongf cap = compressBound((uLong)n);
    Bytef *buf = malloc(cap);
    if (!buf) return 0.0f;
    uLongf got = cap;
    int rc = compress2(buf, &got, (const Bytef *)text, (uLong)n, Z_DEFAULT_COMPRESSION);
    free(buf);
    if (rc != Z_OK || got == 0) return 0.0f;
    return (float)((double)n / (double)got);
}

int es_whisper_language_argmax(const es_whisper_vocab *v, const float *logits,
                               float *probs)
{
    const float *l = logits + v->lang_begin;
    int best = es_whisper_argmax(l, v->n_languages);
    if (probs) {
        double lse = es_whisper_logsumexp(l, v->n_languages);
        for (int i = 0; i < v->n_languages; i++)
            probs[i] = (float)exp((double)l[i] - lse);
    }
    return best;
}

/* ------------------------------------------------------------ sampling */

void es_whisper_rng_seed(es_whisper_rng *r, uint64_t seed) { r->s = seed; }

uint64_t es_whisper_rng_next(es_whisper_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double es_whisper_rng_uniform(es_whisper_rng *r)
{
    return (double)(es_whisper_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

int es_whisper_sample(const float *logits, int n, float temperature,
                      es_whisper_rng *rng)
{
    float m = -INFINITY;
    for (int i = 0; i < n; i++)
        if (logits[i] > m) m = logits[i];
    if (m == -INFINITY) return -1;
    double total = 0.0;
    for (int i = 0; i < n; i++)
        total += (double)expf((logits[i] - m) / temperature);   /* −inf → 0 */
    double u = es_whisper_rng_uniform(rng) * total, acc = 0.0;
    int last = -1;
    for (int i = 0; i < n; i++) {
        if (logits[i] == -INFINITY) continue;
        acc += (double)expf((logits[i] - m) / temperature);
        last = i;
        if (u < acc) return i;
    }
    return last;   /* rounding: the last drawable token */
}

/* --------------------------------------------------- decoding a window */

es_whisper_decode_opts es_whisper_decode_default_opts(void)
{
    es_whisper_decode_opts o;
    memset(&o, 0, sizeof o);
    o.temperature = 0.0f;
    o.beam_size = 1;
    o.patience = 1.0f;
    o.best_of = 1;
    o.sample_len = 0;
    o.filter.suppress_blank = 1;
    o.filter.suppress_non_speech = 1;
    o.filter.timestamps = 1;
    o.filter.max_initial_timestamp_index = 50;
    o.filter.max_timestamp_index = -1;
    return o;
}

void es_whisper_result_free(es_whisper_result *r)
{
    if (!r) return;
    free(r->tokens);
    free(r->text);
    memset(r, 0, sizeof *r);
}

/* Prompt tokens whose logits are not needed are fed in blocks of this many
 * (the runner writes logits for every fed token). */
#define PROMPT_BLOCK 32

es_status es_whisper_decode_prompt(const es_whisper_runner *r,
                                   const es_whisper_vocab *v,
                                   const int32_t *initial, int n_initial,
                                   int sot_index, float *last_logits,
                                   float *no_speech_prob, es_error *err)
{
    const int nv = r->n_vocab;
    if (nv != v->n_vocab)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper: the model has %d logits "
                       "but the vocabulary %d", nv, v->n_vocab);
    if (n_initial < 1 || sot_index < 0 || sot_index >= n_initial ||
        n_initial > r->n_text_ctx)
        return es_fail(err, ES_ERR_INVALID_ARG, "whisper: bad initial tokens "
                       "(%d, sot at %d, context %d)", n_initial, sot_index,
                       r->n_text_ctx);
    int n_tail = n_initial - sot_index;
    int rows = n_tail > PROMPT_BLOCK ? n_tail : PROMPT_BLOCK;
    float *buf = malloc((size_t)rows * (size_t)nv * sizeof *buf);
    if (!buf) return es_fail(err, ES_ERR_NOMEM, "whisper: out of memory for logits");
    es_status s = ES_OK;
    for (int p = 0; p < sot_index && !s; p += PROMPT_BLOCK) {
        int k = sot_index - p < PROMPT_BLOCK ? sot_index - p : PROMPT_BLOCK;
        s = r->decode(r->ctx, 0, initial + p, k, p, buf, err);
    }
    if (!s) s = r->decode(r->ctx, 0, initial + sot_index, n_tail, sot_index, buf, err);
    if (!s) {
        *no_speech_prob = es_whisper_softmax_at(buf, nv, v->no_speech);
        memcpy(last_logits, buf + (size_t)(n_tail - 1) * nv, (size_t)nv * sizeof *buf);
    }
    free(buf);
    return s;
}

/* Picks a token from filtered logits: argmax at temperature 0, else a draw.
 * Returns eot if nothing is drawable. */
static int32_t pick(const es_whisper_vocab *v, const float *logits, int n,
                    float temperature, es_whisper_rng *rng)
{
    int t = temperature > 0.0f ? es_whisper_sample(logits, n, temperature, rng)
                               : es_whisper_argmax(logits, n);
    if (t < 0 || logits[t] == -INFINITY) return v->eot;
    return t;
}

static int max_steps(const es_whisper_runner *r, const es_whisper_decode_opts *o,
                     int n_initial)
{
    int sl = o->sample_len > 0 ? o->sample_len : r->n_text_ctx / 2;
    /* openai stops once the sequence is longer than n_text_ctx: the token
     * at position n_text_ctx is sampled but never fed */
    int room = r->n_text_ctx + 1 - n_initial;
    return sl < room ? sl : room;
}

/* One sequence sampled on seq 0 (greedy or at a temperature). tok must
 * hold max_steps tokens. */
static es_status sample_one(const es_whisper_runner *r, const es_whisper_vocab *v,
                            int n_initial, const float *last_logits,
                            const es_whisper_decode_opts *o, es_whisper_rng *rng,
                            float *row, int32_t *tok, int *n_tok, double *sum,
                            es_error *err)
{
    const int nv = r->n_vocab;
    int steps = max_steps(r, o, n_initial);
    *n_tok = 0;
    *sum = 0.0;
    for (int i = 0; i < steps; i++) {
        if (i == 0) {
            memcpy(row, last_logits, (size_t)nv * sizeof *row);
        } else {
            es_status s = r->decode(r->ctx, 0, &tok[i - 1], 1, n_initial + i - 1, row, err);
            if (s) return s;
        }
        es_whisper_apply_filters(v, &o->filter, tok, i, row);
        int32_t t = pick(v, row, nv, o->temperature, rng);
        double lse = es_whisper_logsumexp(row, nv);
        if (row[t] != -INFINITY) *sum += (double)row[t] - lse;
        else *sum += -INFINITY;
        if (t == v->eot) return ES_OK;
        tok[(*n_tok)++] = t;
    }
    return ES_OK;
}

/* MaximumLikelihoodRanker with length_penalty None: sum_logprob / length. */
static double rank_score(double sum, int len)
{
    return sum / (double)(len > 0 ? len : 1);
}

static es_status finish_result(const es_whisper_vocab *v, const int32_t *tok,
                               int n, double sum, float nsp, float temperature,
                               es_whisper_result *out, es_error *err)
{
    memset(out, 0, sizeof *out);
    out->tokens = malloc((size_t)(n > 0 ? n : 1) * sizeof *out->tokens);
    if (!out->tokens) return es_fail(err, ES_ERR_NOMEM, "whisper: out of memory");
    if (n) memcpy(out->tokens, tok, (size_t)n * sizeof *tok);
    out->n_tokens = n;
    out->sum_logprob = sum;
    out->avg_logprob = es_whisper_avg_logprob(sum, n);
    out->no_speech_prob = nsp;
    out->temperature = temperature;
    es_status s = es_whisper_detokenize(v, tok, n, &out->text, err);
    if (s) {
        es_whisper_result_free(out);
        return s;
    }
    /* compression ratio of text.strip() (ASCII whitespace) */
    const char *a = out->text, *b = out->text + strlen(out->text);
    while (a < b && (*a == ' ' || (*a >= '\t' && *a <= '\r'))) a++;
    while (b > a && (b[-1] == ' ' || (b[-1] >= '\t' && b[-1] <= '\r'))) b--;
    out->compression_ratio = es_whisper_compression_ratio(a, (size_t)(b - a));
    return ES_OK;
}

/* ---------------------------------------------------------- beam search */

typedef struct beam {
    int32_t *tok;      /* sampled tokens */
    int n;
    double sum;
    int slot;          /* runner sequence holding its KV cache */
} beam;

typedef struct cand {
    int src;           /* beam index */
    int32_t token;
    double score;
    int order;         /* insertion order, for a stable sort */
} cand;

typedef struct finished {
    int32_t *tok;      /* without eot */
    int n;
    double score;
} finished;

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score > y->score) return -1;
    if (x->score < y->score) return 1;
    return (x->order > y->order) - (x->order < y->order);
}

typedef struct topk_item {
    float lp;
    int32_t id;
} topk_item;

/* The k largest log-probs, largest first (ties: lower id first). */
static void topk(const float *lp, int n, int k, topk_item *out)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        float x = lp[i];
        if (m == k && !(x > out[m - 1].lp)) continue;
        int j = m < k ? m++ : m - 1;
        while (j > 0 && x > out[j - 1].lp) {
            out[j] = out[j - 1];
            j--;
        }
        out[j].lp = x;
        out[j].id = i;
    }
}

static es_status beam_search(const es_whisper_runner *r, const es_whisper_vocab *v,
                             int n_initial, const float *last_logits, float nsp,
                             const es_whisper_decode_opts *o,
                             es_whisper_result *out, es_error *err)
{
    const int nv = r->n_vocab;
    const int B = o->beam_size;
    float patience = o->patience > 0.0f ? o->patience : 1.0f;
    int max_cand = (int)rintf((float)B * patience);   /* Python round() */
    if (max_cand < 1) max_cand = 1;
    int steps = max_steps(r, o, n_initial);
    int n_fin_cap = (max_cand > B ? max_cand : B) + 1;
    es_status s = ES_OK;

    float *rows = malloc((size_t)B * (size_t)nv * sizeof *rows);
    beam *bm = calloc((size_t)B, sizeof *bm), *nb = calloc((size_t)B, sizeof *nb);
    cand *cd = malloc((size_t)B * (size_t)(B + 1) * sizeof *cd);
    topk_item *tk = malloc((size_t)(B + 1) * sizeof *tk);
    finished *fin = calloc((size_t)n_fin_cap, sizeof *fin);
    int *claimed = calloc((size_t)B, sizeof *claimed);
    int n_fin = 0;
    if (!rows || !bm || !nb || !cd || !tk || !fin || !claimed) goto nomem;
    for (int j = 0; j < B; j++) {
        bm[j].tok = malloc((size_t)(steps + 1) * sizeof *bm[j].tok);
        nb[j].tok = malloc((size_t)(steps + 1) * sizeof *nb[j].tok);
        if (!bm[j].tok || !nb[j].tok) goto nomem;
        bm[j].slot = j;
    }

    for (int i = 0; i < steps; i++) {
        /* all beams are the same sequence before the first step */
        int live = i == 0 ? 1 : B;
        for (int j = 0; j < live; j++) {
            float *row = rows + (size_t)j * nv;
            if (i == 0) {
                memcpy(row, last_logits, (size_t)nv * sizeof *row);
            } else {
                s = r->decode(r->ctx, bm[j].slot, &bm[j].tok[i - 1], 1,
                              n_initial + i - 1, row, err);
                if (s) goto done;
            }
            es_whisper_apply_filters(v, &o->filter, bm[j].tok, i, row);
            es_whisper_log_softmax(row, nv, row);
        }
        int nc = 0;
        for (int j = 0; j < live; j++) {
            topk(rows + (size_t)j * nv, nv, B + 1, tk);
            for (int k = 0; k < B + 1; k++) {
                cd[nc].src = j;
                cd[nc].token = tk[k].id;
                cd[nc].score = bm[j].sum + (double)tk[k].lp;
                cd[nc].order = nc;
                nc++;
            }
        }
        qsort(cd, (size_t)nc, sizeof *cd, cmp_cand);
        int saved = 0;
        for (int c = 0; c < nc && saved < B; c++) {
            const beam *src = &bm[cd[c].src];
            if (cd[c].token == v->eot) {
                if (n_fin < max_cand) {
                    finished *f = &fin[n_fin];
                    f->tok = malloc((size_t)(src->n + 1) * sizeof *f->tok);
                    if (!f->tok) goto nomem;
                    memcpy(f->tok, src->tok, (size_t)src->n * sizeof *f->tok);
                    f->n = src->n;
                    f->score = cd[c].score;
                    n_fin++;
                }
                continue;
            }
            beam *d = &nb[saved++];
            memcpy(d->tok, src->tok, (size_t)src->n * sizeof *d->tok);
            d->tok[src->n] = cd[c].token;
            d->n = src->n + 1;
            d->sum = cd[c].score;
            d->slot = -1 - cd[c].src;   /* resolved below */
        }
        /* KV caches: the first new beam from each source keeps the
         * source's slot; the others get copies in the slots left free */
        memset(claimed, 0, (size_t)B * sizeof *claimed);
        for (int j = 0; j < saved; j++) {
            int src_slot = bm[-1 - nb[j].slot].slot;
            if (!claimed[src_slot]) {
                claimed[src_slot] = 1;
                nb[j].slot = src_slot;
            }
        }
        for (int j = 0; j < saved; j++) {
            if (nb[j].slot >= 0) continue;
            int src_slot = bm[-1 - nb[j].slot].slot;
            int freeslot = 0;
            while (claimed[freeslot]) freeslot++;
            claimed[freeslot] = 1;
            s = r->seq_copy(r->ctx, freeslot, src_slot, n_initial + i, err);
            if (s) goto done;
            nb[j].slot = freeslot;
        }
        for (int j = 0; j < B; j++) {   /* swap beam sets */
            beam t = bm[j];
            bm[j] = nb[j];
            nb[j] = t;
        }
        if (n_fin >= max_cand) break;
    }

    /* not enough finished: the live beams by their sum, best first */
    if (n_fin < B) {
        int *order = malloc((size_t)B * sizeof *order);
        if (!order) goto nomem;
        for (int j = 0; j < B; j++) order[j] = j;
        for (int a = 1; a < B; a++)      /* insertion sort, descending */
            for (int b = a; b > 0 && bm[order[b]].sum > bm[order[b - 1]].sum; b--) {
                int t = order[b];
                order[b] = order[b - 1];
                order[b - 1] = t;
            }
        for (int j = 0; j < B && n_fin < B; j++) {
            const beam *src = &bm[order[j]];
            finished *f = &fin[n_fin];
            f->tok = malloc((size_t)(src->n + 1) * sizeof *f->tok);
            if (!f->tok) {
                free(order);
                goto nomem;
            }
            memcpy(f->tok, src->tok, (size_t)src->n * sizeof *f->tok);
            f->n = src->n;
            f->score = src->sum;
            n_fin++;
        }
        free(order);
    }
    int best = 0;
    for (int k = 1; k < n_fin; k++)
        if (rank_score(fin[k].score, fin[k].n) > rank_score(fin[best].score, fin[best].n))
            best = k;
    s = finish_result(v, fin[best].tok, fin[best].n, fin[best].score, nsp, 0.0f, out, err);
    goto done;
nomem:
    s = es_fail(err, ES_ERR_NOMEM, "whisper: out of memory in beam search");
done:
    if (bm)
        for (int j = 0; j < B; j++) free(bm[j].tok);
    if (nb)
        for (int j = 0; j < B; j++) free(nb[j].tok);
    if (fin)
        for (int k = 0; k < n_fin; k++) free(fin[k].tok);
    free(rows);
    free(bm);
    free(nb);
    free(cd);
    free(tk);
    free(fin);
    free(claimed);
    return s;
}

es_status es_whisper_decode_continue(const es_whisper_runner *r,
                                     const es_whisper_vocab *v, int n_initial,
                                     const float *last_logits,
                                     float no_speech_prob,
                                     const es_whisper_decode_opts *o,
                                     es_whisper_result *out, es_error *err)
{
    memset(out, 0, sizeof *out);
    if (o->temperature <= 0.0f && o->beam_size > 1)
        return beam_search(r, v, n_initial, last_logits, no_speech_prob, o, out, err);

    const int nv = r->n_vocab;
    int steps = max_steps(r, o, n_initial);
    int n_samples = o->temperature > 0.0f && o->best_of > 1 ? o->best_of : 1;
    float *row = malloc((size_t)nv * sizeof *row);
    int32_t *tok = malloc((size_t)(steps + 1) * sizeof *tok);
    int32_t *best_tok = malloc((size_t)(steps + 1) * sizeof *best_tok);
    if (!row || !tok || !best_tok) {
        free(row);
        free(tok);
        free(best_tok);
        return es_fail(err, ES_ERR_NOMEM, "whisper: out of memory decoding");
    }
    es_whisper_rng rng;
    es_whisper_rng_seed(&rng, o->seed);
    es_status s = ES_OK;
    int best_n = 0;
    double best_sum = 0.0;
    for (int k = 0; k < n_samples && !s; k++) {
        int n = 0;
        double sum = 0.0;
        s = sample_one(r, v, n_initial, last_logits, o, &rng, row, tok, &n, &sum, err);
        if (!s && (k == 0 || rank_score(sum, n) > rank_score(best_sum, best_n))) {
            memcpy(best_tok, tok, (size_t)n * sizeof *tok);
            best_n = n;
            best_sum = sum;
        }
    }
    if (!s)
        s = finish_result(v, best_tok, best_n, best_sum, no_speech_prob,
                          o->temperature, out, err);
    free(row);
    free(tok);
    free(best_tok);
    return s;
}

es_status es_whisper_decode_window(const es_whisper_runner *r,
                                   const es_whisper_vocab *v,
                                   const int32_t *initial, int n_initial,
                                   int sot_index,
                                   const es_whisper_decode_opts *o,
                                   es_whisper_result *out, es_error *err)
{
    memset(out, 0, sizeof *out);
    float *last = malloc((size_t)r->n_vocab * sizeof *last);
    if (!last) return es_fail(err, ES_ERR_NOMEM, "whisper: out of memory decoding");
    float nsp = 0.0f;
    es_status s = es_whisper_decode_prompt(r, v, initial, n_initial, sot_index,
                                           last, &nsp, err);
    if (!s) s = es_whisper_decode_continue(r, v, n_initial, last, nsp, o, out, err);
    free(last);
    return s;
}

es_status es_whisper_detect_language(const es_whisper_runner *r,
                                     const es_whisper_vocab *v, int *lang,
                                     float *probs, es_error *err)
{
    if (!v->multilingual || v->n_languages < 1)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "whisper: an English-only model cannot detect the language");
    float *row = malloc((size_t)r->n_vocab * sizeof *row);
    if (!row) return es_fail(err, ES_ERR_NOMEM, "whisper: out of memory");
    int32_t sot = v->sot;
    es_status s = r->decode(r->ctx, 0, &sot, 1, 0, row, err);
    if (!s) *lang = es_whisper_language_argmax(v, row, probs);
    free(row);
    return s;
}
