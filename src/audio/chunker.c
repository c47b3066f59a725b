/* chunker.c — overlapping fixed-length windows over a decoded file.
 *
 * Why this file exists: models and features look at a few seconds at a
 * time, and an index stores one vector per window. The chunker pulls
 * samples from an es_decoder and hands out one window at a time, holding
 * only that window (never the whole file).
 *
 * Semantics (all lengths in 16 kHz samples, rounded to the nearest sample):
 *   W = window_s, H = hop_s, M = min_last_s, N = samples in the file.
 *   Parameters: window_s > 0 and hop_s > 0 (each at least one sample),
 *   min_last_s >= 0. hop_s > window_s is allowed and leaves gaps: the
 *   H - W samples between two chunks are decoded and skipped.
 *   - Chunk i starts at sample i·H: start_s = i·H / 16000,
 *     end_s = (i·H + n_samples) / 16000, samples = x[i·H, i·H + n_samples).
 *   - A full chunk (i·H + W <= N) has n_samples = W and is always returned.
 *   - The first chunk that would run past the end is partial:
 *     n_samples = N - i·H. It is returned only if
 *       (a) it covers audio no earlier chunk covered, i.e. i == 0 or
 *           N > (i-1)·H + W  (always true when H > W, once N > i·H), and
 *       (b) n_samples >= M,
 *     except that a file shorter than one window (N < W) always yields
 *     exactly one chunk, its whole length, however short (N > 0).
 *     No chunk is returned after the partial one.
 *   - So a file of exactly k·H + (W - H) samples ends with a full chunk and
 *     nothing after; with the defaults (10 s / 5 s / 1 s) a 3 h file gives
 *     2159 chunks and a 12 s file gives [0,10] [5,12].
 *   - Errors: a file with no samples gives the decoder's ES_ERR_EMPTY on
 *     the first next(). When the decoder reports ES_ERR_TRUNCATED, every
 *     chunk the rules above allow for the decoded samples is returned
 *     first, then ES_ERR_TRUNCATED once, then ES_DONE. Other decoder
 *     errors are returned at once and end the iteration.
 */
#include "earshot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

struct es_chunker {
    es_decoder *dec;
    size_t window, hop, min_last;
    float *buf;            /* window samples x[start, start + len)      */
    size_t len;
    uint64_t start;        /* sample index of buf[0] = index · hop       */
    size_t index;          /* index of the next chunk to return          */
    int emitted_any;       /* a chunk has been returned                  */
    int decoder_done;      /* the decoder has no more samples            */
    int finished;          /* nothing more to return but `pending`       */
    es_status pending;     /* status after the last chunk (DONE or error) */
    es_error pending_err;
};

es_chunk_params es_chunk_default_params(void)
{
    es_chunk_params p;
    p.window_s = 10.0;
    p.hop_s = 5.0;
    p.min_last_s = 1.0;
    return p;
}

static es_status seconds_to_samples(double s, const char *what, size_t *out,
                                    es_error *err)
{
    /* 1e6 s (11 days) of window is far beyond anything sensible and keeps
     * the sample count well inside size_t. */
    if (!isfinite(s) || s < 0 || s > 1e6)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "chunk parameters: %s must be between 0 and 1e6 s, "
                       "got %g", what, s);
    *out = (size_t)llround(s * ES_SAMPLE_RATE);
    return ES_OK;
}

es_status es_chunker_open(const char *path, const es_chunk_params *params,
                          es_chunker **out, es_error *err)
{
    if (!out)
        return es_fail(err, ES_ERR_INVALID_ARG, "es_chunker_open: out is NULL");
    *out = NULL;
    es_chunk_params p = params ? *params : es_chunk_default_params();
    size_t window = 0, hop = 0, min_last = 0;
    es_status s = seconds_to_samples(p.window_s, "window_s", &window, err);
    if (s == ES_OK) s = seconds_to_samples(p.hop_s, "hop_s", &hop, err);
    if (s == ES_OK)
        s = seconds_to_samples(p.min_last_s, "min_last_s", &min_last, err);
    if (s != ES_OK) return s;
    if (window == 0 || hop == 0)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "chunk parameters: window_s (%g) and hop_s (%g) must "
                       "each be at least one sample (1/16000 s)",
                       p.window_s, p.hop_s);

    es_chunker *c = calloc(1, sizeof *c);
    if (!c) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    c->window = window;
    c->hop = hop;
    c->min_last = min_last;
    c->pending = ES_DONE;
    c->buf = malloc(window * sizeof *c->buf);
    if (!c->buf) {
        free(c);
        return es_fail(err, ES_ERR_NOMEM,
                       "%s: out of memory for a %g s window", path ? path : "",
                       p.window_s);
    }
    s = es_decoder_open(path, &c->dec, err);
    if (s != ES_OK) {
        es_chunker_close(c);
        return s;
    }
    *out = c;
    return ES_OK;
}

/* Reads from the decoder into buf until it holds a window or the decoder
 * ends. Returns ES_OK, or an error that must be reported at once. */
static es_status fill(es_chunker *c, es_error *err)
{
    while (c->len < c->window && !c->decoder_done) {
        size_t got = 0;
        es_status s = es_decoder_read(c->dec, c->buf + c->len,
                                      c->window - c->len, &got, &c->pending_err);
        c->len += got;
        if (s == ES_OK) continue;
        c->decoder_done = 1;
        if (s == ES_DONE) break;
        if (s == ES_ERR_TRUNCATED) {
            c->pending = s;   /* after the chunks we still have */
            break;
        }
        if (err) *err = c->pending_err;
        return s;
    }
    return ES_OK;
}

/* Drops the hop samples before the next chunk's start (more than the
 * buffer holds when hop > window: the rest are decoded and discarded). */
static es_status advance(es_chunker *c, es_error *err)
{
    size_t drop = c->hop;
    if (drop < c->len) {
        memmove(c->buf, c->buf + drop, (c->len - drop) * sizeof *c->buf);
        c->len -= drop;
        drop = 0;
    } else {
        drop -= c->len;
        c->len = 0;
    }
    while (drop > 0 && !c->decoder_done) {
        size_t want = drop < c->window ? drop : c->window;
        size_t got = 0;
        es_status s = es_decoder_read(c->dec, c->buf, want, &got,
                                      &c->pending_err);
        drop -= got;
        if (s == ES_OK) continue;
        c->decoder_done = 1;
        if (s == ES_DONE) break;
        if (s == ES_ERR_TRUNCATED) {
            c->pending = s;
            break;
        }
        if (err) *err = c->pending_err;
        return s;
    }
    c->start += c->hop;
    return ES_OK;
}

static es_status finish(es_chunker *c, es_error *err)
{
    c->finished = 1;
    es_status s = c->pending;
    c->pending = ES_DONE;
    if (s != ES_DONE && err) *err = c->pending_err;
    return s;
}

es_status es_chunker_next(es_chunker *c, es_chunk *chunk, es_error *err)
{
    if (!c || !chunk)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "es_chunker_next: chunker and chunk must not be NULL");
    memset(chunk, 0, sizeof *chunk);
    if (c->finished) return finish(c, err);

    if (c->emitted_any) {
        es_status s = advance(c, err);
        if (s != ES_OK) {
            c->finished = 1;
            return s;
        }
    }
    es_status s = fill(c, err);
    if (s != ES_OK) {
        c->finished = 1;
        return s;
    }

    int emit;
    if (c->len == c->window) {
        emit = 1;
    } else if (!c->emitted_any) {
        /* A file shorter than one window: its one chunk, if any audio. */
        emit = c->len > 0;
    } else {
        /* Partial last chunk: new audio past the previous chunk's end, and
         * long enough. The previous chunk ended at start - hop + window. */
        uint64_t prev_end = c->start - c->hop + c->window;
        int new_audio = c->start + c->len > prev_end;
        emit = c->len > 0 && new_audio && c->len >= c->min_last;
        c->finished = 1;     /* nothing can follow a partial chunk */
    }
    if (!emit) return finish(c, err);
    if (c->len < c->window) c->finished = 1;

    chunk->samples = c->buf;
    chunk->n_samples = c->len;
    chunk->index = c->index++;
    chunk->start_s = (double)c->start / ES_SAMPLE_RATE;
    chunk->end_s = (double)(c->start + c->len) / ES_SAMPLE_RATE;
    c->emitted_any = 1;
    return ES_OK;
}

const es_audio_info *es_chunker_info(const es_chunker *c)
{
    return c ? es_decoder_info(c->dec) : NULL;
}

void es_chunker_close(es_chunker *c)
{
    if (!c) return;
    es_decoder_close(c->dec);
    free(c->buf);
    free(c);
}
