/* whisper_pool_tool.c — es_whisper_pool_compute on a whole audio file, for
 * tests/ref/test_whisper_pool.py:
 *
 *   whisper_pool_tool MODEL AUDIO OUT.npy [--threads N]
 *       decodes AUDIO (16 kHz mono), writes the pooled vector [dim] (mean
 *       over encoder positions, then max) to OUT.npy and prints
 *       "ok DIM IDENTITY" on stdout; on failure prints the message on
 *       stderr and exits 1. MODEL is a name or a path, as
 *       es_whisper_pool_open takes it (models from $EARSHOT_MODELS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/whisper/whisper_pool.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: whisper_pool_tool MODEL AUDIO OUT.npy [--threads N]\n");
        return 2;
    }
    int threads = 1;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else return 2;
    }
    es_error err = {0};
    es_whisper_pool *p = NULL;
    float *x = NULL, *out = NULL;
    size_t n = 0;
    int rc = 1;
    if (es_whisper_pool_open(argv[1], NULL, threads, &p, &err) != ES_OK) goto fail;
    if (es_decode_file(argv[2], 0, &x, &n, &err) != ES_OK) goto fail;
    const int dim = es_whisper_pool_dim(p);
    out = malloc((size_t)dim * sizeof *out);
    if (!out) goto done;
    if (es_whisper_pool_compute(p, x, n, out, &err) != ES_OK) goto fail;
    size_t shape[1] = {(size_t)dim};
    if (es_npy_write_f32(argv[3], out, shape, 1, &err) != ES_OK) goto fail;
    printf("ok %d %s\n", dim, es_whisper_pool_identity(p));
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "whisper_pool_tool: %s\n", err.message);
done:
    free(out);
    es_free(x);
    es_whisper_pool_free(p);
    return rc;
}
