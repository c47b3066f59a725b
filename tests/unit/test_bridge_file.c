/* test_bridge_file.c — the .esbridge file (bridge_file.c) and the public
 * bridge API (bridge_api.c):
 *   - f32 round trip is bit-exact (weights, mean/std, meta strings, notes);
 *   - int8 round trip gives exactly the quantized net, leaves the caller's
 *     net untouched, and stays small (128→256→512→100 < 500 KB);
 *   - es_bridge_load, describe, embed; the text-space identity check;
 *   - save refuses inconsistent meta and non-finite nets;
 *   - every damaged file is refused with a message naming it, never a
 *     crash: byte flips (CRC), truncations, wrong magic, newer version, and
 *     hostile headers and values with a VALID checksum, so the structural
 *     checks, not the CRC, must catch them. */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "models/bridge/bridge_file.h"
#include "models/bridge/bridge_model.h"
#include "util/rng.h"

static const char *NOTES = "{\"loss\": \"mse\", \"epochs\": 300, \"note\": "
                           "\"caf\xc3\xa9 \xe2\x86\x92 ok\"}";
static const char *TEXT_ID = "wordvec:wink-sg-100d:100:f1d8c55d";

/* ---------------------------------------------------------------- helpers */

static es_bridge_net *make_net(const int *dims, int n_layers,
                               es_bridge_head head, uint64_t seed)
{
    es_bridge_net *net = NULL;
    assert_int_equal(es_bridge_net_new(dims, n_layers, head, &net, NULL), ES_OK);
    es_bridge_net_init(net, seed);
    uint64_t rng = seed + 99;
    for (int j = 0; j < dims[0]; j++) {
        net->in_mean[j] = (float)(es_rng_uniform(&rng) * 10 - 5);
        net->in_std[j] = (float)(0.1 + es_rng_uniform(&rng) * 4);
    }
    for (int l = 0; l < n_layers; l++)
        for (int j = 0; j < dims[l + 1]; j++)
            net->b[l][j] = (float)(es_rng_uniform(&rng) - 0.5);
    return net;
}

static es_bridge_meta make_meta(es_bridge_input input, int whisper_dim)
{
    es_bridge_meta m;
    memset(&m, 0, sizeof m);
    m.input = input;
    m.features_layout = ES_FEATURES_LAYOUT_VERSION;
    m.feature_dim = input == ES_BRIDGE_INPUT_SMALL ? 5 : 128;
    m.whisper_dim = whisper_dim;
    if (input == ES_BRIDGE_INPUT_HYBRID)
        snprintf(m.whisper_identity, sizeof m.whisper_identity,
                 "whisper:tiny:384:0badf00d");
    snprintf(m.text_identity, sizeof m.text_identity, "%s", TEXT_ID);
    m.notes = (char *)NOTES;
    return m;
}

static size_t n_w(const es_bridge_net *n, int l)
{
    return (size_t)n->dims[l + 1] * (size_t)n->dims[l];
}

/* Equal floats: bit-identical, except that int8 weights cannot tell −0
 * from +0 (the quantizer leaves −0 where a small negative weight rounds to
 * zero; the file gives +0), so they are compared as values. */
static void assert_floats_equal(const float *a, const float *b, size_t n,
                                int bits)
{
    if (bits) {
        assert_memory_equal(a, b, 4 * n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!(a[i] == b[i]))
            fail_msg("value %zu differs: %.9g vs %.9g", i, (double)a[i],
                     (double)b[i]);
}

/* Same shape and identical values (scales too when quantized). */
static void assert_nets_equal(const es_bridge_net *a, const es_bridge_net *b)
{
    assert_int_equal(a->n_layers, b->n_layers);
    assert_int_equal(a->head, b->head);
    assert_int_equal(a->quantized, b->quantized);
    for (int l = 0; l <= a->n_layers; l++)
        assert_int_equal(a->dims[l], b->dims[l]);
    size_t d0 = (size_t)a->dims[0];
    assert_memory_equal(a->in_mean, b->in_mean, 4 * d0);
    assert_memory_equal(a->in_std, b->in_std, 4 * d0);
    for (int l = 0; l < a->n_layers; l++) {
        assert_floats_equal(a->w[l], b->w[l], n_w(a, l), !a->quantized);
        assert_memory_equal(a->b[l], b->b[l], 4 * (size_t)a->dims[l + 1]);
        if (a->quantized)
            assert_memory_equal(a->scale[l], b->scale[l],
                                4 * (size_t)a->dims[l + 1]);
    }
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)sz + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *n = (size_t)sz;
    return buf;
}

static void spit(const char *path, const uint8_t *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Recomputes the trailing CRC so that a hostile file passes that check. */
static void fix_crc(uint8_t *buf, size_t n)
{
    wr32(buf + n - 4, (uint32_t)crc32(0L, buf, (uInt)(n - 4)));
}

/* Offset of the first array (in_mean) in a file buffer. */
static size_t arrays_at(const uint8_t *buf)
{
    return ES_BRIDGE_HEADER_SIZE + rd32(buf + ES_BRIDGE_OFF_WHISPER_ID_LEN) +
           rd32(buf + ES_BRIDGE_OFF_TEXT_ID_LEN) +
           rd32(buf + ES_BRIDGE_OFF_NOTES_LEN);
}

/* Reading path must fail (with `code` unless it is ES_OK, and a message
 * holding the path and `needle` when given); returns the status. */
static es_status expect_refused(const char *path, es_status code,
                                const char *needle)
{
    es_bridge_net *net = (es_bridge_net *)(uintptr_t)1;
    es_bridge_meta meta;
    es_error err = {0};
    es_status st = es_bridge_read(path, &net, &meta, &err);
    if (st == ES_OK) {
        es_bridge_net_free(net);
        es_bridge_meta_free(&meta);
        fail_msg("%s was accepted (expected: %s)", path,
                 needle ? needle : "an error");
    }
    assert_null(net);
    assert_null(meta.notes);
    assert_int_equal(err.code, st);
    if (code != ES_OK && st != code)
        fail_msg("%s: status %s, expected %s: %s", path, es_status_str(st),
                 es_status_str(code), err.message);
    if (!strstr(err.message, path))
        fail_msg("message does not name the file: %s", err.message);
    if (needle && !strstr(err.message, needle))
        fail_msg("message lacks '%s': %s", needle, err.message);
    return st;
}

static const int DIMS_100[] = {128, 256, 512, 100};
static const int DIMS_384[] = {128, 256, 512, 384};

/* ------------------------------------------------------------ round trips */

static void test_roundtrip_f32(void **state)
{
    (void)state;
    es_bridge_net *net = make_net(DIMS_100, 3, ES_BRIDGE_HEAD_TANH, 1);
    es_bridge_meta meta = make_meta(ES_BRIDGE_INPUT_FULL, 0);
    const char *path = es_test_path("%s/f32.esbridge", es_test_tmp_dir());
    es_error err = {0};
    assert_int_equal(es_bridge_save(path, net, &meta, 0, &err), ES_OK);
    assert_int_not_equal(access(es_test_path("%s.tmp", path), F_OK), 0);

    es_bridge_net *got = NULL;
    es_bridge_meta m2;
    assert_int_equal(es_bridge_read(path, &got, &m2, &err), ES_OK);
    assert_nets_equal(net, got);
    assert_int_equal(m2.input, ES_BRIDGE_INPUT_FULL);
    assert_int_equal(m2.features_layout, ES_FEATURES_LAYOUT_VERSION);
    assert_int_equal(m2.feature_dim, 128);
    assert_int_equal(m2.whisper_dim, 0);
    assert_string_equal(m2.whisper_identity, "");
    assert_string_equal(m2.text_identity, TEXT_ID);
    assert_string_equal(m2.notes, NOTES);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    printf("f32 128-256-512-100: %lld bytes\n", (long long)st.st_size);
    es_bridge_meta_free(&m2);
    es_bridge_net_free(got);
    es_bridge_net_free(net);
}

static long long int8_case(const int *dims, const char *name)
{
    es_bridge_net *net = make_net(dims, 3, ES_BRIDGE_HEAD_L2, 7);
    es_bridge_net *before = NULL, *quant = NULL;
    assert_int_equal(es_bridge_net_clone(net, &before, NULL), ES_OK);
    assert_int_equal(es_bridge_net_clone(net, &quant, NULL), ES_OK);
    es_bridge_net_quantize(quant);
    assert_true(quant->quantized);

    es_bridge_meta meta = make_meta(ES_BRIDGE_INPUT_FULL, 0);
    const char *path = es_test_path("%s/%s", es_test_tmp_dir(), name);
    es_error err = {0};
    assert_int_equal(es_bridge_save(path, net, &meta, 1, &err), ES_OK);
    assert_nets_equal(before, net);  /* the caller's net is untouched */

    es_bridge_net *got = NULL;
    es_bridge_meta m2;
    assert_int_equal(es_bridge_read(path, &got, &m2, &err), ES_OK);
    assert_nets_equal(quant, got);

    /* Saving the loaded int8 net again gives the same bytes. */
    const char *again = es_test_path("%s/again_%s", es_test_tmp_dir(), name);
    assert_int_equal(es_bridge_save(again, got, &m2, 1, &err), ES_OK);
    size_t n1, n2;
    uint8_t *b1 = slurp(path, &n1), *b2 = slurp(again, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    free(b1);
    free(b2);

    /* A quantized net saved as f32 keeps its (dequantized) weights. */
    const char *f32 = es_test_path("%s/f32_%s", es_test_tmp_dir(), name);
    assert_int_equal(es_bridge_save(f32, got, &m2, 0, &err), ES_OK);
    es_bridge_net *back = NULL;
    es_bridge_meta m3;
    assert_int_equal(es_bridge_read(f32, &back, &m3, &err), ES_OK);
    assert_false(back->quantized);
    for (int l = 0; l < 3; l++)
        assert_floats_equal(back->w[l], quant->w[l], n_w(quant, l), 0);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    es_bridge_meta_free(&m2);
    es_bridge_meta_free(&m3);
    es_bridge_net_free(back);
    es_bridge_net_free(got);
    es_bridge_net_free(quant);
    es_bridge_net_free(before);
    es_bridge_net_free(net);
    return (long long)st.st_size;
}

static void test_roundtrip_int8(void **state)
{
    (void)state;
    long long s100 = int8_case(DIMS_100, "int8_100.esbridge");
    long long s384 = int8_case(DIMS_384, "int8_384.esbridge");
    printf("int8 128-256-512-100: %lld bytes; 128-256-512-384: %lld bytes\n",
           s100, s384);
    assert_true(s100 < 500 * 1000);
    assert_true(s384 < 500 * 1000);
}

static void test_meta_variants(void **state)
{
    (void)state;
    es_error err = {0};
    /* small, l2 head, no notes (and "" notes read back as NULL) */
    int sd[] = {5, 16, 8};
    es_bridge_net *net = make_net(sd, 2, ES_BRIDGE_HEAD_L2, 3);
    es_bridge_meta meta = make_meta(ES_BRIDGE_INPUT_SMALL, 0);
    const char *notes_cases[] = {NULL, ""};
    for (int k = 0; k < 2; k++) {
        meta.notes = (char *)notes_cases[k];
        const char *path = es_test_path("%s/small%d.esbridge", es_test_tmp_dir(), k);
        assert_int_equal(es_bridge_save(path, net, &meta, k, &err), ES_OK);
        es_bridge_net *got = NULL;
        es_bridge_meta m2;
        assert_int_equal(es_bridge_read(path, &got, &m2, &err), ES_OK);
        assert_int_equal(m2.input, ES_BRIDGE_INPUT_SMALL);
        assert_int_equal(m2.feature_dim, 5);
        assert_null(m2.notes);
        assert_int_equal(got->head, ES_BRIDGE_HEAD_L2);
        assert_int_equal(got->quantized, k);
        es_bridge_meta_free(&m2);
        es_bridge_net_free(got);
    }
    es_bridge_net_free(net);

    /* hybrid: 128 features + mean ‖ max of 384-d states, one layer */
    int hd[] = {128 + 768, 384};
    net = make_net(hd, 1, ES_BRIDGE_HEAD_TANH, 4);
    meta = make_meta(ES_BRIDGE_INPUT_HYBRID, 768);
    const char *path = es_test_path("%s/hybrid.esbridge", es_test_tmp_dir());
    assert_int_equal(es_bridge_save(path, net, &meta, 0, &err), ES_OK);
    es_bridge_net *got = NULL;
    es_bridge_meta m2;
    assert_int_equal(es_bridge_read(path, &got, &m2, &err), ES_OK);
    assert_nets_equal(net, got);
    assert_int_equal(m2.input, ES_BRIDGE_INPUT_HYBRID);
    assert_int_equal(m2.whisper_dim, 768);
    assert_string_equal(m2.whisper_identity, "whisper:tiny:384:0badf00d");
    es_bridge_meta_free(&m2);
    es_bridge_net_free(got);
    es_bridge_net_free(net);
}

/* ------------------------------------------------------------------- save */

static void expect_save_refused(const es_bridge_net *net,
                                const es_bridge_meta *meta, es_status code,
                                const char *needle)
{
    const char *path = es_test_path("%s/refused.esbridge", es_test_tmp_dir());
    unlink(path);
    es_error err = {0};
    es_status st = es_bridge_save(path, net, meta, 0, &err);
    if (st != code)
        fail_msg("save: status %s, expected %s: %s", es_status_str(st),
                 es_status_str(code), err.message);
    if (needle && !strstr(err.message, needle))
        fail_msg("save: message lacks '%s': %s", needle, err.message);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_not_equal(access(es_test_path("%s.tmp", path), F_OK), 0);
}

static void test_save_refuses(void **state)
{
    (void)state;
    es_bridge_net *net = make_net(DIMS_100, 3, ES_BRIDGE_HEAD_TANH, 5);
    es_bridge_meta m = make_meta(ES_BRIDGE_INPUT_SMALL, 0);  /* 5 ≠ 128 */
    expect_save_refused(net, &m, ES_ERR_INVALID_ARG, "feature width");
    m = make_meta(ES_BRIDGE_INPUT_HYBRID, 0);
    expect_save_refused(net, &m, ES_ERR_INVALID_ARG, "Whisper width");
    m = make_meta(ES_BRIDGE_INPUT_FULL, 8);
    expect_save_refused(net, &m, ES_ERR_INVALID_ARG, "hybrid");
    m = make_meta(ES_BRIDGE_INPUT_FULL, 0);
    snprintf(m.whisper_identity, sizeof m.whisper_identity, "whisper:x");
    expect_save_refused(net, &m, ES_ERR_INVALID_ARG, "hybrid");
    m = make_meta(ES_BRIDGE_INPUT_FULL, 0);
    m.input = (es_bridge_input)9;
    expect_save_refused(net, &m, ES_ERR_INVALID_ARG, "input layout");
    m = make_meta(ES_BRIDGE_INPUT_FULL, 0);
    memset(m.text_identity, 'x', sizeof m.text_identity);
    expect_save_refused(net, &m, ES_ERR_INVALID_ARG, "terminated");

    m = make_meta(ES_BRIDGE_INPUT_FULL, 0);
    net->w[1][17] = NAN;
    expect_save_refused(net, &m, ES_ERR_INVALID_ARG, "NaN");
    net->w[1][17] = 0;
    net->in_std[3] = 0;
    expect_save_refused(net, &m, ES_ERR_INVALID_ARG, "std");
    net->in_std[3] = 1;

    es_error err = {0};
    const char *nodir = es_test_path("%s/no/such/dir/x.esbridge", es_test_tmp_dir());
    assert_int_equal(es_bridge_save(nodir, net, &m, 0, &err), ES_ERR_IO);
    assert_non_null(strstr(err.message, nodir));
    es_bridge_net_free(net);
}

/* -------------------------------------------------------------------- api */

static void test_load_api(void **state)
{
    (void)state;
    es_bridge_net *net = make_net(DIMS_100, 3, ES_BRIDGE_HEAD_TANH, 11);
    es_bridge_meta meta = make_meta(ES_BRIDGE_INPUT_FULL, 0);
    const char *path = es_test_path("%s/api.esbridge", es_test_tmp_dir());
    es_error err = {0};
    assert_int_equal(es_bridge_save(path, net, &meta, 1, &err), ES_OK);

    es_bridge *b = NULL;
    assert_int_equal(es_bridge_load(path, NULL, &b, &err), ES_OK);
    assert_int_equal(es_bridge_in_dim(b), 128);
    assert_int_equal(es_bridge_out_dim(b), 100);
    assert_int_equal(es_bridge_get_input(b), ES_BRIDGE_INPUT_FULL);
    assert_string_equal(es_bridge_text_identity(b), TEXT_ID);
    assert_string_equal(es_bridge_whisper_identity(b), "");
    printf("describe: %s\n", es_bridge_describe(b));
    assert_non_null(strstr(es_bridge_describe(b),
                           "bridge full 128\xe2\x86\x92" "256\xe2\x86\x92"
                           "512\xe2\x86\x92" "100 tanh, int8, "));

    /* embed = the quantized net's embed, unit rows */
    enum { N = 4 };
    float x[N * 128], y[N * 100], ref[N * 100];
    uint64_t rng = 5;
    for (int i = 0; i < N * 128; i++)
        x[i] = (float)(es_rng_uniform(&rng) * 6 - 3);
    es_bridge_net_quantize(net);
    assert_int_equal(es_bridge_embed(b, x, N, y, &err), ES_OK);
    assert_int_equal(es_bridge_net_embed(net, x, N, ref, &err), ES_OK);
    assert_floats_equal(y, ref, N * 100, 0);
    for (int r = 0; r < N; r++) {
        double s = 0;
        for (int j = 0; j < 100; j++)
            s += (double)y[r * 100 + j] * y[r * 100 + j];
        assert_true(fabs(s - 1) < 1e-5);
    }
    assert_int_equal(es_bridge_embed(b, NULL, 0, NULL, &err), ES_OK);
    assert_int_equal(es_bridge_embed(b, NULL, 1, y, &err), ES_ERR_INVALID_ARG);

    /* the text-space check */
    assert_int_equal(es_bridge_check_identity(&b->meta, path, TEXT_ID, &err),
                     ES_OK);
    const char *other = "bert:all-MiniLM-L6-v2:384:3f2a9c1e";
    assert_int_equal(es_bridge_check_identity(&b->meta, path, other, &err),
                     ES_ERR_FORMAT);
    assert_non_null(strstr(err.message, TEXT_ID));
    assert_non_null(strstr(err.message, other));
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "earshot train"));
    es_bridge_free(b);
    es_bridge_free(NULL);

    /* a bridge for another feature layout: readable, but not loadable */
    meta.features_layout = ES_FEATURES_LAYOUT_VERSION + 1;
    assert_int_equal(es_bridge_save(path, net, &meta, 1, &err), ES_OK);
    b = (es_bridge *)(uintptr_t)1;
    assert_int_equal(es_bridge_load(path, NULL, &b, &err), ES_ERR_FORMAT);
    assert_null(b);
    assert_non_null(strstr(err.message, "layout"));

    const char *missing = es_test_path("%s/missing.esbridge", es_test_tmp_dir());
    assert_int_equal(es_bridge_load(missing, NULL, &b, &err), ES_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, missing));

    /* input names */
    es_bridge_input in;
    const char *names[] = {"full", "small", "hybrid"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(es_bridge_input_parse(names[i], &in, &err), ES_OK);
        assert_int_equal(in, i);
        assert_string_equal(es_bridge_input_name(in), names[i]);
    }
    assert_int_equal(es_bridge_input_parse("Full", &in, &err), ES_ERR_INVALID_ARG);
    for (int i = 0; i < 3; i++)
        assert_non_null(strstr(err.message, names[i]));
    assert_int_equal(es_bridge_input_parse(NULL, &in, &err), ES_ERR_INVALID_ARG);
    es_bridge_net_free(net);
}

/* ---------------------------------------------------------- damaged files */

/* Saves a net, returns the file's bytes (and its path). */
static uint8_t *saved(const int *dims, int n_layers, int int8, const char *name,
                      size_t *n, const char **path)
{
    es_bridge_net *net = make_net(dims, n_layers, ES_BRIDGE_HEAD_TANH, 21);
    es_bridge_meta meta = make_meta(dims[0] == 5 ? ES_BRIDGE_INPUT_SMALL
                                                 : ES_BRIDGE_INPUT_FULL, 0);
    *path = es_test_path("%s/%s", es_test_tmp_dir(), name);
    assert_int_equal(es_bridge_save(*path, net, &meta, int8, NULL), ES_OK);
    es_bridge_net_free(net);
    return slurp(*path, n);
}

static void flip_and_check(const char *path, const uint8_t *orig, size_t n,
                           uint8_t *work, size_t at, uint8_t mask)
{
    memcpy(work, orig, n);
    work[at] ^= mask;
    spit(path, work, n);
    expect_refused(path, ES_OK, NULL);
}

static void test_byte_flips(void **state)
{
    (void)state;
    /* A small net: every byte of the whole file, two masks each. */
    int sd[] = {5, 8, 4};
    for (int int8 = 0; int8 <= 1; int8++) {
        const char *src;
        size_t n;
        uint8_t *orig = saved(sd, 2, int8, "flip_small.esbridge", &n, &src);
        uint8_t *work = malloc(n);
        const char *path = es_test_path("%s/flipped.esbridge", es_test_tmp_dir());
        for (size_t at = 0; at < n; at++) {
            flip_and_check(path, orig, n, work, at, 0x01);
            flip_and_check(path, orig, n, work, at, 0x80);
        }
        free(work);
        free(orig);
    }
    /* The real size: the header and strings, then a sample of the payload. */
    const char *src;
    size_t n;
    uint8_t *orig = saved(DIMS_100, 3, 1, "flip_big.esbridge", &n, &src);
    uint8_t *work = malloc(n);
    const char *path = es_test_path("%s/flipped.esbridge", es_test_tmp_dir());
    size_t head = arrays_at(orig);
    for (size_t at = 0; at < head; at++)
        flip_and_check(path, orig, n, work, at, (uint8_t)(1u << (at % 8)));
    uint64_t rng = 77;
    for (int k = 0; k < 300; k++) {
        size_t at = head + es_rng_below(&rng, (uint32_t)(n - head));
        flip_and_check(path, orig, n, work, at,
                       (uint8_t)(1 + es_rng_below(&rng, 255)));
    }
    flip_and_check(path, orig, n, work, n - 1, 0x40);  /* the CRC itself */
    free(work);
    free(orig);
}

/* Random mutations with a recomputed (valid) CRC, mostly in the header:
 * whatever the reader decides, it must not crash, and a file it accepts
 * must give a usable net. */
static void test_mutations_valid_crc(void **state)
{
    (void)state;
    int sd[] = {5, 8, 4};
    const char *src;
    size_t n;
    uint8_t *orig = saved(sd, 2, 1, "mutate_src.esbridge", &n, &src);
    uint8_t *work = malloc(n);
    const char *path = es_test_path("%s/mutated.esbridge", es_test_tmp_dir());
    size_t head = arrays_at(orig);
    uint64_t rng = 2024;
    int accepted = 0;
    for (int k = 0; k < 2000; k++) {
        memcpy(work, orig, n);
        int flips = 1 + (int)es_rng_below(&rng, 4);
        for (int f = 0; f < flips; f++) {
            size_t lim = es_rng_below(&rng, 4) ? head : n - 4;
            work[es_rng_below(&rng, (uint32_t)lim)] =
                (uint8_t)es_rng_below(&rng, 256);
        }
        fix_crc(work, n);
        spit(path, work, n);
        es_bridge_net *net = NULL;
        es_bridge_meta meta;
        es_error err = {0};
        if (es_bridge_read(path, &net, &meta, &err) != ES_OK) {
            assert_null(net);
            assert_non_null(strstr(err.message, path));
            continue;
        }
        accepted++;
        float x[8] = {0}, y[8];
        assert_true(net->dims[0] <= 8 && net->dims[net->n_layers] <= 8);
        assert_int_equal(es_bridge_net_embed(net, x, 1, y, &err), ES_OK);
        es_bridge_meta_free(&meta);
        es_bridge_net_free(net);
    }
    printf("mutations accepted (harmless value changes): %d of 2000\n",
           accepted);
    free(work);
    free(orig);
}

static void test_truncation(void **state)
{
    (void)state;
    const char *src;
    size_t n;
    uint8_t *orig = saved(DIMS_100, 3, 1, "trunc.esbridge", &n, &src);
    const char *path = es_test_path("%s/truncated.esbridge", es_test_tmp_dir());
    size_t head = arrays_at(orig) + 64;
    for (size_t len = 0; len <= head; len++) {
        spit(path, orig, len);
        expect_refused(path, ES_ERR_TRUNCATED, "truncated");
    }
    uint64_t rng = 3;
    for (int k = 0; k < 100; k++) {
        size_t len = head + es_rng_below(&rng, (uint32_t)(n - head));
        spit(path, orig, len);
        expect_refused(path, ES_ERR_TRUNCATED, "truncated");
    }
    spit(path, orig, n - 1);
    expect_refused(path, ES_ERR_TRUNCATED, "truncated");
    free(orig);
}

static void test_magic_and_version(void **state)
{
    (void)state;
    const char *src;
    size_t n;
    uint8_t *orig = saved(DIMS_100, 3, 0, "magic.esbridge", &n, &src);
    const char *path = es_test_path("%s/magic_bad.esbridge", es_test_tmp_dir());

    orig[3] = 'X';
    fix_crc(orig, n);
    spit(path, orig, n);
    expect_refused(path, ES_ERR_FORMAT, "not an earshot bridge file");
    spit(path, (const uint8_t *)"hello, world\n", 13);
    expect_refused(path, ES_ERR_FORMAT, "not an earshot bridge file");
    spit(path, (const uint8_t *)"ESB", 3);
    expect_refused(path, ES_ERR_TRUNCATED, "truncated");
    memcpy(orig, ES_BRIDGE_MAGIC, 8);

    wr32(orig + ES_BRIDGE_OFF_VERSION, 2);
    fix_crc(orig, n);
    spit(path, orig, n);
    expect_refused(path, ES_ERR_FORMAT,
                   "was written by a newer earshot (format 2); this build "
                   "reads format 1");
    wr32(orig + ES_BRIDGE_OFF_VERSION, 0);
    fix_crc(orig, n);
    spit(path, orig, n);
    expect_refused(path, ES_ERR_FORMAT, "version");

    expect_refused(es_test_tmp_dir(), ES_ERR_FORMAT, "regular file");
    free(orig);
}

typedef struct hostile {
    const char *what;
    size_t at;          /* byte offset (from the file's start or, if
                           from_arrays, from in_mean)                      */
    int from_arrays;
    uint32_t value;     /* written as a u32 (or float bits)                */
    int width;          /* 4 = u32, 1 = one byte                           */
    const char *needle; /* part of the expected message                    */
} hostile;

#define F_BITS(x) (((union { float f; uint32_t u; }){.f = (x)}).u)

static void run_hostile(const uint8_t *orig, size_t n, const hostile *cases,
                        size_t n_cases)
{
    const char *path = es_test_path("%s/hostile.esbridge", es_test_tmp_dir());
    uint8_t *work = malloc(n);
    size_t arrays = arrays_at(orig);
    for (size_t i = 0; i < n_cases; i++) {
        const hostile *h = &cases[i];
        memcpy(work, orig, n);
        size_t at = h->at + (h->from_arrays ? arrays : 0);
        if (h->width == 4)
            wr32(work + at, h->value);
        else
            work[at] = (uint8_t)h->value;
        fix_crc(work, n);
        spit(path, work, n);
        printf("hostile: %s\n", h->what);
        expect_refused(path, ES_ERR_FORMAT, h->needle);
    }
    free(work);
}

static void test_hostile_valid_crc(void **state)
{
    (void)state;
    const size_t D = ES_BRIDGE_OFF_DIMS;
    const hostile header_cases[] = {
        {"n_layers 0", ES_BRIDGE_OFF_N_LAYERS, 0, 0, 4, "layers"},
        {"n_layers 99", ES_BRIDGE_OFF_N_LAYERS, 0, 99, 4, "layers"},
        {"dims[1] 0", D + 4, 0, 0, 4, "width"},
        {"dims[1] 2^31", D + 4, 0, 1u << 31, 4, "width"},
        {"dims[3] 2^32-1", D + 12, 0, 0xffffffffu, 4, "width"},
        {"dims past the last layer", D + 16, 0, 7, 4, "width"},
        {"dims[0] mismatch", D, 0, 129, 4, "input width"},
        {"feature_dim 5 for full", ES_BRIDGE_OFF_FEATURE_DIM, 0, 5, 4,
         "feature width"},
        {"input 7", ES_BRIDGE_OFF_INPUT, 0, 7, 4, "input layout"},
        {"whisper_dim for full", ES_BRIDGE_OFF_WHISPER_DIM, 0, 8, 4, "hybrid"},
        {"hybrid without whisper", ES_BRIDGE_OFF_INPUT, 0, 2, 4, "Whisper"},
        {"features_layout 0", ES_BRIDGE_OFF_FEATURES_LAYOUT, 0, 0, 4, "layout"},
        {"head 2", ES_BRIDGE_OFF_HEAD, 0, 2, 4, "head"},
        {"weight type 2", ES_BRIDGE_OFF_WEIGHT_TYPE, 0, 2, 4, "weight type"},
        {"text identity 300 bytes", ES_BRIDGE_OFF_TEXT_ID_LEN, 0, 300, 4,
         "too long"},
        {"notes 2^31 bytes", ES_BRIDGE_OFF_NOTES_LEN, 0, 1u << 31, 4,
         "too long"},
        {"notes length off by one", ES_BRIDGE_OFF_NOTES_LEN, 0,
         (uint32_t)strlen(NOTES) - 1, 4, "header describes"},
        {"NUL in the text identity", ES_BRIDGE_HEADER_SIZE + 3, 0, 0, 1, "NUL"},
        {"NaN in mean", 4 * 2, 1, F_BITS(NAN), 4, "NaN"},
        {"Inf in std", 4 * 128 + 4 * 5, 1, F_BITS(INFINITY), 4, "NaN"},
        {"std 0", 4 * 128 + 4 * 6, 1, F_BITS(0.0f), 4, "not > 0"},
        {"std negative", 4 * 128, 1, F_BITS(-1.0f), 4, "not > 0"},
        {"NaN in std", 4 * 128 + 4 * 127, 1, F_BITS(NAN), 4, "NaN"},
    };
    const char *src;
    size_t n;
    uint8_t *orig = saved(DIMS_100, 3, 1, "hostile_src.esbridge", &n, &src);
    run_hostile(orig, n, header_cases,
                sizeof header_cases / sizeof *header_cases);

    /* int8 payload: layer 0 is scales [256] f32, q [256 × 128], bias [256] */
    const size_t L0 = 8 * 128, Q0 = L0 + 4 * 256, B0 = Q0 + 256 * 128;
    const size_t L1 = B0 + 4 * 256;
    const hostile int8_cases[] = {
        {"negative scale", L0 + 4 * 10, 1, F_BITS(-0.5f), 4, "scale"},
        {"NaN scale", L0, 1, F_BITS(NAN), 4, "scale"},
        {"Inf scale in layer 1", L1 + 4 * 3, 1, F_BITS(INFINITY), 4, "scale"},
        {"int8 -128", Q0 + 1000, 1, 0x80, 1, "-128"},
        {"NaN bias", B0 + 4 * 255, 1, F_BITS(NAN), 4, "biases"},
    };
    run_hostile(orig, n, int8_cases, sizeof int8_cases / sizeof *int8_cases);

    /* Trailing bytes with a checksum over all of them. */
    uint8_t *longer = calloc(1, n + 16);
    memcpy(longer, orig, n);
    fix_crc(longer, n + 16);
    const char *path = es_test_path("%s/hostile.esbridge", es_test_tmp_dir());
    spit(path, longer, n + 16);
    expect_refused(path, ES_ERR_FORMAT, "header describes");
    free(longer);
    free(orig);

    /* f32 payload */
    orig = saved(DIMS_100, 3, 0, "hostile_f32.esbridge", &n, &src);
    const hostile f32_cases[] = {
        {"NaN weight", 8 * 128 + 4 * 5000, 1, F_BITS(NAN), 4, "weights"},
        {"Inf weight", 8 * 128 + 4 * 256 * 128 - 4, 1, F_BITS(-INFINITY), 4,
         "weights"},
        {"NaN bias", 8 * 128 + 4 * 256 * 128, 1, F_BITS(NAN), 4, "biases"},
    };
    run_hostile(orig, n, f32_cases, sizeof f32_cases / sizeof *f32_cases);
    free(orig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_f32),
        cmocka_unit_test(test_roundtrip_int8),
        cmocka_unit_test(test_meta_variants),
        cmocka_unit_test(test_save_refuses),
        cmocka_unit_test(test_load_api),
        cmocka_unit_test(test_byte_flips),
        cmocka_unit_test(test_mutations_valid_crc),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_magic_and_version),
        cmocka_unit_test(test_hostile_valid_crc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
