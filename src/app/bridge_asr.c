/* bridge_asr.c — speech self-supervision for bridge training: rows with no
 * label get, as their target text, what the speech path hears in them
 * (`--asr pocketsphinx|whisper-tiny|auto`), instead of a text column. The
 * transcript covers the whole clip, so this suits clips of one chunk
 * (≤ --chunk seconds), like LJ Speech's. */
#include <stdlib.h>
#include <string.h>

#include "app/bridge_pipeline.h"
#include "app/cli.h"
#include "core/error.h"

/* Joins the segments' text with single spaces (trimmed). */
static char *join_segments(const es_transcript *t)
{
    size_t len = 1;
    for (size_t i = 0; i < t->n_segments; i++)
        len += strlen(t->segments[i].text) + 1;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < t->n_segments; i++) {
        const char *x = t->segments[i].text;
        while (*x == ' ')
            x++;
        size_t k = strlen(x);
        while (k && x[k - 1] == ' ')
            k--;
        if (!k)
            continue;
        if (p != s)
            *p++ = ' ';
        memcpy(p, x, k);
        p += k;
    }
    *p = 0;
    return s;
}

es_status es_bp_transcribe_rows(es_bp *bp, const char *asr_name, es_error *err)
{
    size_t todo = 0, done = 0, empty = 0;
    for (size_t i = 0; i < bp->m->n_rows; i++)
        todo += bp->m->rows[i].label_id < 0;
    if (!todo)
        return ES_OK;
    es_asr_params ap = es_asr_default_params();
    ap.threads = bp->o->threads;
    ap.language = "en";
    es_asr *asr = NULL;
    es_status st = es_asr_open_named(asr_name, NULL, &ap, &asr, err);
    if (st != ES_OK)
        return st;
    if (!bp->o->quiet)
        fprintf(stderr, "transcribing %zu unlabelled clips with %s\n", todo,
                es_asr_describe(asr));
    for (size_t i = 0; i < bp->m->n_rows && st == ES_OK; i++) {
        es_manifest_row *r = &bp->m->rows[i];
        if (r->label_id >= 0)
            continue;
        float *x = NULL;
        size_t n = 0;
        es_transcript *t = NULL;
        st = es_decode_file(r->path, 0, &x, &n, err);
        if (st == ES_OK)
            st = es_asr_transcribe(asr, x, n, &t, err);
        es_free(x);
        if (st != ES_OK) {
            st = es_fail(err, st, "%s line %d: %s", bp->m->file, r->line,
                         err ? err->message : "transcription failed");
            break;
        }
        char *text = join_segments(t);
        es_transcript_free(t);
        if (!text) {
            st = es_fail(err, ES_ERR_NOMEM, "out of memory");
            break;
        }
        empty += text[0] == 0;
        free(r->text);
        r->text = text;
        done++;
        if (!bp->o->quiet && (done % 50 == 0 || done == todo))
            fprintf(stderr, "transcribed %zu/%zu\n", done, todo);
    }
    es_asr_free(asr);
    if (st == ES_OK && empty && !bp->o->quiet)
        fprintf(stderr, "warning: %zu clips gave no words; their target is "
                "the zero vector\n", empty);
    return st;
}
