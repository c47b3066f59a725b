/* whisper_run.c — loads a whisper.cpp ggml model and runs earshot's encoder
 * and decoder on a given log-mel, writing what tests/ref/test_whisper_model.py
 * compares with the PyTorch reference:
 *
 *   whisper_run MODEL [--vocab-only]
 *       load only; prints "ok SIZE WTYPE n_vocab n_file_vocab" (exit 1 and the
 *       message on stderr when the file is rejected)
 *   whisper_run MODEL MEL.f32 N_FRAMES OUTDIR --prompt a,b,c [--greedy N]
 *               [--threads N] [--int8] [--split K]
 *       MEL.f32: raw little-endian float32 [n_mels × N_FRAMES].
 *       OUTDIR/enc.npy      encoder output [n_ctx × d]
 *       OUTDIR/tokens.txt   the prompt then N greedy tokens (argmax over all
 *                           logits), one per line
 *       OUTDIR/logits.npy   logits of the last prompt token and of every fed
 *                           greedy token [N+1 × n_vocab] (decoded one at a
 *                           time through the KV cache)
 *       OUTDIR/batch.npy    logits of the whole sequence fed at once
 *                           [len × n_vocab] (sequence 0 of a 2-sequence
 *                           session)
 *       OUTDIR/split.npy    the same sequence fed as its first K tokens to
 *                           sequence 0, copied to sequence 1 with
 *                           es_whisper_seq_copy, then one token at a time on
 *                           sequence 1 [len − K × n_vocab] (KV cache + copy)
 * Times of load / encode / decode are printed on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/whisper/whisper_model.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static float *read_f32(const char *path, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    float *x = malloc(n * sizeof *x + 1);
    if (!x || fread(x, sizeof *x, n, f) != n) {
        fprintf(stderr, "%s: expected %zu float32 values\n", path, n);
        free(x);
        x = NULL;
    }
    fclose(f);
    return x;
}

static int argmax(const float *x, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

static int save(const char *dir, const char *name, const float *x, size_t rows,
                size_t cols)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    size_t shape[2] = {rows, cols};
    es_error err;
    if (es_npy_write_f32(p, x, shape, 2, &err) != ES_OK) {
        fprintf(stderr, "whisper_run: %s\n", err.message);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: whisper_run MODEL [--vocab-only] | MODEL MEL.f32 "
                        "N_FRAMES OUTDIR --prompt a,b,c [--greedy N] [--threads N] "
                        "[--int8] [--split K]\n");
        return 2;
    }
    es_whisper_load_params lp = {0, 0};
    int greedy = 0, threads = 1, split = 1, n_prompt = 0;
    int32_t prompt[64];
    int pos = 0;
    const char *posargs[4] = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--vocab-only")) lp.vocab_only = 1;
        else if (!strcmp(argv[i], "--int8")) lp.int8 = 1;
        else if (!strcmp(argv[i], "--greedy") && i + 1 < argc) greedy = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--split") && i + 1 < argc) split = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--prompt") && i + 1 < argc) {
            for (char *p = strtok(argv[++i], ","); p && n_prompt < 64; p = strtok(NULL, ","))
                prompt[n_prompt++] = (int32_t)atoi(p);
        } else if (pos < 4) posargs[pos++] = argv[i];
        else return 2;
    }
    es_error err = {0};
    es_whisper_model *m;
    double t0 = now_ms();
    if (es_whisper_model_load(posargs[0], &lp, &m, &err) != ES_OK) {
        fprintf(stderr, "whisper_run: %s\n", err.message);
        return 1;
    }
    const double t_load = now_ms() - t0;
    const es_whisper_hparams *h = es_whisper_model_hparams(m);
    if (pos == 1) {
        printf("ok %s %s %d %d\n", es_whisper_model_size_name(m),
               es_whisper_model_wtype(m), (int)h->n_vocab,
               es_whisper_model_vocab(m)->n);
        es_whisper_model_free(m);
        return 0;
    }
    if (pos != 4 || n_prompt < 1 || split < 1 || split > n_prompt) {
        fprintf(stderr, "whisper_run: need MEL N_FRAMES OUTDIR --prompt (and "
                        "1 ≤ --split ≤ prompt length)\n");
        es_whisper_model_free(m);
        return 2;
    }
    const int n_frames = atoi(posargs[2]), V = h->n_vocab;
    const char *dir = posargs[3];
    float *mel = read_f32(posargs[1], (size_t)h->n_mels * (size_t)(n_frames > 0 ? n_frames : 0));
    es_whisper_session *s = NULL;
    int rc = 1, len = n_prompt + greedy;
    int32_t *toks = malloc(sizeof *toks * (size_t)len);
    float *lg = malloc(sizeof *lg * (size_t)V * (size_t)(greedy + 1));
    float *all = malloc(sizeof *all * (size_t)V * (size_t)len);
    if (!mel || !toks || !lg || !all) goto done;
    memcpy(toks, prompt, sizeof *toks * (size_t)n_prompt);
    if (es_whisper_session_new(m, 2, threads, &s, &err) != ES_OK) goto fail;
    t0 = now_ms();
    if (es_whisper_encode(s, mel, n_frames, &err) != ES_OK) goto fail;
    const double t_enc = now_ms() - t0;
    int n_ctx;
    const float *enc = es_whisper_encoder_output(s, &n_ctx);
    if (save(dir, "enc.npy", enc, (size_t)n_ctx, (size_t)h->n_audio_state)) goto done;

    /* Greedy: prompt at once, then one token at a time through the cache. */
    float *tmp = all;   /* prompt logits land here first */
    t0 = now_ms();
    if (es_whisper_decode(s, 0, toks, n_prompt, 0, tmp, &err) != ES_OK) goto fail;
    memcpy(lg, tmp + (size_t)(n_prompt - 1) * V, sizeof *lg * (size_t)V);
    for (int i = 0; i < greedy; i++) {
        toks[n_prompt + i] = argmax(lg + (size_t)i * V, V);
        if (es_whisper_decode(s, 0, &toks[n_prompt + i], 1, n_prompt + i,
                              lg + (size_t)(i + 1) * V, &err) != ES_OK)
            goto fail;
    }
    const double t_dec = now_ms() - t0;
    char p[4096];
    snprintf(p, sizeof p, "%s/tokens.txt", dir);
    FILE *f = fopen(p, "w");
    if (!f) goto done;
    for (int i = 0; i < len; i++) fprintf(f, "%d\n", (int)toks[i]);
    fclose(f);
    if (save(dir, "logits.npy", lg, (size_t)greedy + 1, (size_t)V)) goto done;

    /* The whole sequence at once (fresh cache on sequence 0). */
    if (es_whisper_decode(s, 0, toks, len, 0, all, &err) != ES_OK) goto fail;
    if (save(dir, "batch.npy", all, (size_t)len, (size_t)V)) goto done;
    /* First `split` tokens on sequence 0, copied to 1, the rest one by one. */
    if (es_whisper_decode(s, 0, toks, split, 0, all, &err) != ES_OK ||
        es_whisper_seq_copy(s, 1, 0, split, &err) != ES_OK)
        goto fail;
    for (int i = split; i < len; i++)
        if (es_whisper_decode(s, 1, &toks[i], 1, i, all + (size_t)(i - split) * V,
                              &err) != ES_OK)
            goto fail;
    if (save(dir, "split.npy", all, (size_t)(len - split), (size_t)V)) goto done;
    fprintf(stderr, "whisper_run: load %.1f ms, encode %d frames %.1f ms, "
                    "decode %d+%d tokens %.1f ms\n", t_load, n_frames, t_enc,
            n_prompt, greedy, t_dec);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "whisper_run: %s\n", err.message);
done:
    es_whisper_session_free(s);
    es_whisper_model_free(m);
    free(mel);
    free(toks);
    free(lg);
    free(all);
    return rc;
}
