/* whisper_load.c — reading and validating a whisper.cpp ggml model file:
 * header and mel filters (ggml_mel.c), vocabulary, then the tensors, which
 * are matched by name against the list the hyperparameters imply.
 *
 * Tensor data of every type (f32, f16, q8_0, q4_x, q5_x) is widened to
 * float32 once at load, and with params.int8 requantized per row to int8
 * (es_linear_to_int8: the AVX512-VNNI kernel where the CPU has it). Why not
 * keep q8_0/f16 as stored: OpenBLAS has no f16 or block-int8 GEMM, a custom
 * one would be slower than sgemm on the encoder's large GEMMs, and tiny's
 * f32 weights are only 150 MB; the int8 option covers the memory-bound
 * decoder (see bench/bench_whisper.c and the issue report for numbers).
 *
 * Validation, all before any allocation that depends on what is checked:
 * hparams consistent and bounded; the file at least as large as the
 * smallest encoding of the tensors they imply; vocabulary count and token
 * lengths against the hparams and the bytes left; each tensor header
 * (dims, name, type) known, not duplicated, shaped as the hparams say, its
 * data inside the file; values finite; every required tensor present. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "models/whisper/ggml_types.h"
#include "models/whisper/whisper_weights.h"

#define DAMAGED "download or convert the model again"
/* Bounds far above every Whisper (large: 1280 wide, 32 layers, 20 heads,
 * 1500 audio positions, 448 text positions, 51866 tokens) that keep every
 * product used in the forward pass inside an int. */
#define MAX_STATE 16384
#define MAX_CTX 16384
#define MAX_LAYERS 256
#define MAX_VOCAB (1 << 21)
#define MAX_TOKEN_BYTES 1024
#define MAX_NAME 255

/* --------------------------------------------------- expected tensors */

typedef struct slot {
    char name[64];
    int n_dims;
    int dims[3];        /* PyTorch order (outermost first) */
    float *data;        /* owned until moved into the model */
} slot;

typedef struct slots {
    slot *s;
    int n, cap;
} slots;

static void add(slots *t, int d0, int d1, int d2, const char *fmt, ...)
    ES_PRINTF(5, 6);

static void add(slots *t, int d0, int d1, int d2, const char *fmt, ...)
{
    slot *s = &t->s[t->n++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->name, sizeof s->name, fmt, ap);
    va_end(ap);
    s->dims[0] = d0;
    s->dims[1] = d1;
    s->dims[2] = d2;
    s->n_dims = d2 ? 3 : d1 ? 2 : 1;
    s->data = NULL;
}

static void add_attn(slots *t, const char *pre, int i, const char *a, int d)
{
    add(t, d, d, 0, "%s.blocks.%d.%s.query.weight", pre, i, a);
    add(t, d, 0, 0, "%s.blocks.%d.%s.query.bias", pre, i, a);
    add(t, d, d, 0, "%s.blocks.%d.%s.key.weight", pre, i, a);
    add(t, d, d, 0, "%s.blocks.%d.%s.value.weight", pre, i, a);
    add(t, d, 0, 0, "%s.blocks.%d.%s.value.bias", pre, i, a);
    add(t, d, d, 0, "%s.blocks.%d.%s.out.weight", pre, i, a);
    add(t, d, 0, 0, "%s.blocks.%d.%s.out.bias", pre, i, a);
}

static void add_block(slots *t, const char *pre, int i, int d, int cross)
{
    add(t, d, 0, 0, "%s.blocks.%d.attn_ln.weight", pre, i);
    add(t, d, 0, 0, "%s.blocks.%d.attn_ln.bias", pre, i);
    add_attn(t, pre, i, "attn", d);
    if (cross) {
        add(t, d, 0, 0, "%s.blocks.%d.cross_attn_ln.weight", pre, i);
        add(t, d, 0, 0, "%s.blocks.%d.cross_attn_ln.bias", pre, i);
        add_attn(t, pre, i, "cross_attn", d);
    }
    add(t, d, 0, 0, "%s.blocks.%d.mlp_ln.weight", pre, i);
    add(t, d, 0, 0, "%s.blocks.%d.mlp_ln.bias", pre, i);
    add(t, 4 * d, d, 0, "%s.blocks.%d.mlp.0.weight", pre, i);
    add(t, 4 * d, 0, 0, "%s.blocks.%d.mlp.0.bias", pre, i);
    add(t, d, 4 * d, 0, "%s.blocks.%d.mlp.2.weight", pre, i);
    add(t, d, 0, 0, "%s.blocks.%d.mlp.2.bias", pre, i);
}

/* Every tensor the hparams imply, in the converter's order. */
static es_status expected_tensors(const es_whisper_hparams *h, slots *t,
                                  es_error *err)
{
    const int d = h->n_audio_state;
    t->cap = 7 + 15 * h->n_audio_layer + 4 + 24 * h->n_text_layer;
    t->n = 0;
    t->s = calloc((size_t)t->cap, sizeof *t->s);
    if (!t->s) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    add(t, d, h->n_mels, 3, "encoder.conv1.weight");
    add(t, d, 0, 0, "encoder.conv1.bias");
    add(t, d, d, 3, "encoder.conv2.weight");
    add(t, d, 0, 0, "encoder.conv2.bias");
    add(t, h->n_audio_ctx, d, 0, "encoder.positional_embedding");
    for (int i = 0; i < h->n_audio_layer; i++) add_block(t, "encoder", i, d, 0);
    add(t, d, 0, 0, "encoder.ln_post.weight");
    add(t, d, 0, 0, "encoder.ln_post.bias");
    add(t, h->n_vocab, d, 0, "decoder.token_embedding.weight");
    add(t, h->n_text_ctx, d, 0, "decoder.positional_embedding");
    for (int i = 0; i < h->n_text_layer; i++) add_block(t, "decoder", i, d, 1);
    add(t, d, 0, 0, "decoder.ln.weight");
    add(t, d, 0, 0, "decoder.ln.bias");
    return ES_OK;
}

static void slots_free(slots *t)
{
    if (!t->s) return;
    for (int i = 0; i < t->n; i++) free(t->s[i].data);
    free(t->s);
    memset(t, 0, sizeof *t);
}

static slot *find_slot(slots *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->s[i].name, name)) return &t->s[i];
    return NULL;
}

static uint64_t slot_elems(const slot *s)
{
    uint64_t n = 1;
    for (int i = 0; i < s->n_dims; i++) n *= (uint64_t)s->dims[i];
    return n;
}

/* ------------------------------------------------------------ hparams */

static es_status check_hparams(const char *path, const es_whisper_hparams *h,
                               es_error *err)
{
    const char *why = NULL;
    char buf[160];
    if (!es_ggml_ftype_name(h->ftype % 1000)) {
        snprintf(buf, sizeof buf, "ftype %d is not a known weight type "
                 "(f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0)", (int)h->ftype);
        why = buf;
    } else if (h->n_audio_state != h->n_text_state) {
        snprintf(buf, sizeof buf, "n_audio_state %d differs from n_text_state %d",
                 (int)h->n_audio_state, (int)h->n_text_state);
        why = buf;
    } else if (h->n_audio_state > MAX_STATE || h->n_audio_ctx > MAX_CTX ||
               h->n_text_ctx > MAX_CTX || h->n_audio_layer > MAX_LAYERS ||
               h->n_text_layer > MAX_LAYERS || h->n_vocab > MAX_VOCAB) {
        snprintf(buf, sizeof buf, "sizes beyond any Whisper (state ≤ %d, "
                 "contexts ≤ %d, layers ≤ %d, vocabulary ≤ %d)", MAX_STATE,
                 MAX_CTX, MAX_LAYERS, MAX_VOCAB);
        why = buf;
    } else if (h->n_audio_head > h->n_audio_state ||
               h->n_audio_state % h->n_audio_head ||
               h->n_text_head > h->n_text_state ||
               h->n_text_state % h->n_text_head) {
        snprintf(buf, sizeof buf, "widths %d/%d are not divisible by the "
                 "head counts %d/%d", (int)h->n_audio_state,
                 (int)h->n_text_state, (int)h->n_audio_head,
                 (int)h->n_text_head);
        why = buf;
    }
    if (why)
        return es_fail(err, ES_ERR_FORMAT, "%s: inconsistent hyperparameters: "
                       "%s; %s", path, why, DAMAGED);
    return ES_OK;
}

static void size_name(const es_whisper_hparams *h, char *out, size_t n)
{
    static const struct { int layers, state; const char *name; } known[] = {
        {4, 384, "tiny"}, {6, 512, "base"}, {12, 768, "small"},
        {24, 1024, "medium"}, {32, 1280, "large"}};
    const char *base = NULL;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (h->n_audio_layer == known[i].layers &&
            h->n_audio_state == known[i].state &&
            h->n_text_layer == known[i].layers)
            base = known[i].name;
    const char *en = h->n_vocab < 51865 ? ".en" : "";
    if (!base)
        snprintf(out, n, "custom-%dx%d%s", (int)h->n_audio_layer,
                 (int)h->n_audio_state, en);
    else if (!strcmp(base, "large") && h->n_mels == 128)
        snprintf(out, n, "large-v3");
    else
        snprintf(out, n, "%s%s", base, en);
}

/* ------------------------------------------------------------- vocab */

static es_status read_vocab(es_ggml_reader *r, es_whisper_model *m,
                            es_error *err)
{
    int32_t n;
    es_status s = es_ggml_read_i32(r, &n, "the vocabulary size", err);
    if (s) return s;
    if (n < 1 || n > m->hp.n_vocab)
        return es_fail(err, ES_ERR_FORMAT, "%s: vocabulary holds %d tokens but "
                       "hyperparameter n_vocab is %d (expected 1..n_vocab); %s",
                       r->path, (int)n, (int)m->hp.n_vocab, DAMAGED);
    /* Each token needs at least its 4-byte length. */
    if ((uint64_t)n * 4 > r->size - r->pos)
        return es_fail(err, ES_ERR_TRUNCATED, "%s: truncated: the vocabulary "
                       "of %d tokens needs at least %llu bytes at offset %llu "
                       "but the file has %llu; %s", r->path, (int)n,
                       (unsigned long long)n * 4, (unsigned long long)r->pos,
                       (unsigned long long)r->size, DAMAGED);
    es_whisper_file_vocab *v = &m->vocab;
    v->bytes = calloc((size_t)n, sizeof *v->bytes);
    v->len = calloc((size_t)n, sizeof *v->len);
    size_t cap = (size_t)n * 8, used = 0;
    m->vocab_blob = malloc(cap);
    if (!v->bytes || !v->len || !m->vocab_blob)
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory for the vocabulary",
                       r->path);
    for (int i = 0; i < n; i++) {
        char what[64];
        uint32_t len;
        snprintf(what, sizeof what, "the length of token %d", i);
        if ((s = es_ggml_read_u32(r, &len, what, err))) return s;
        if (len > MAX_TOKEN_BYTES)
            return es_fail(err, ES_ERR_FORMAT, "%s: token %d of the vocabulary "
                           "claims %u bytes (at most %d); %s", r->path, i,
                           len, MAX_TOKEN_BYTES, DAMAGED);
        if (len > r->size - r->pos)
            return es_fail(err, ES_ERR_TRUNCATED, "%s: truncated inside token "
                           "%d of the vocabulary (%u bytes at offset %llu, "
                           "file has %llu); %s", r->path, i, len,
                           (unsigned long long)r->pos,
                           (unsigned long long)r->size, DAMAGED);
        if (used + len > cap) {
            size_t nc = cap * 2 > used + len ? cap * 2 : used + len;
            char *nb = realloc(m->vocab_blob, nc);
            if (!nb) return es_fail(err, ES_ERR_NOMEM, "%s: out of memory for "
                                    "the vocabulary", r->path);
            m->vocab_blob = nb;
            cap = nc;
        }
        snprintf(what, sizeof what, "token %d", i);
        if ((s = es_ggml_read_bytes(r, m->vocab_blob + used, len, what, err)))
            return s;
        v->len[i] = (int)len;
        v->bytes[i] = (char *)(uintptr_t)used;   /* offset until the blob settles */
        used += len;
        v->n = i + 1;
    }
    for (int i = 0; i < n; i++)
        v->bytes[i] = m->vocab_blob + (uintptr_t)v->bytes[i];
    return ES_OK;
}

/* ------------------------------------------------------------ tensors */

static const char *shape_str(const int *dims, int n, char *buf, size_t cap)
{
    buf[0] = 0;
    for (int i = 0; i < n; i++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%d", i ? " × " : "",
                 dims[i]);
    return buf;
}

/* Shapes equal once dimensions of size 1 are dropped: the converter writes
 * numpy's squeeze() of each tensor, with the conv biases reshaped [n, 1]. */
static int same_shape(const int *a, int na, const int *b, int nb)
{
    int i = 0, j = 0;
    for (;;) {
        while (i < na && a[i] == 1) i++;
        while (j < nb && b[j] == 1) j++;
        if (i == na || j == nb) return i == na && j == nb;
        if (a[i++] != b[j++]) return 0;
    }
}

static es_status read_tensor(es_ggml_reader *r, slots *t, void **raw,
                             size_t *raw_cap, es_error *err)
{
    const uint64_t at = r->pos;
    int32_t n_dims, name_len, type;
    es_status s;
    if ((s = es_ggml_read_i32(r, &n_dims, "a tensor's dimension count", err)) ||
        (s = es_ggml_read_i32(r, &name_len, "a tensor's name length", err)) ||
        (s = es_ggml_read_i32(r, &type, "a tensor's type", err)))
        return s;
    if (n_dims < 1 || n_dims > 4 || name_len < 1 || name_len > MAX_NAME)
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor header at offset %llu "
                       "has %d dimensions and a %d-byte name (expected 1..4 "
                       "and 1..%d); %s", r->path, (unsigned long long)at,
                       (int)n_dims, (int)name_len, MAX_NAME, DAMAGED);
    int32_t ne[4];
    for (int i = 0; i < n_dims; i++)
        if ((s = es_ggml_read_i32(r, &ne[i], "a tensor's dimensions", err)))
            return s;
    char name[MAX_NAME + 1];
    if ((s = es_ggml_read_bytes(r, name, (size_t)name_len, "a tensor's name", err)))
        return s;
    name[name_len] = 0;
    if (strlen(name) != (size_t)name_len)
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor name at offset %llu "
                       "holds a NUL byte; %s", r->path, (unsigned long long)at,
                       DAMAGED);
    for (int i = 0; i < name_len; i++)   /* keep error messages printable */
        if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] > 0x7e)
            name[i] = '?';
    slot *sl = find_slot(t, name);
    if (!sl)
        return es_fail(err, ES_ERR_FORMAT, "%s: unknown tensor '%s' at offset "
                       "%llu (not part of a Whisper model with these "
                       "hyperparameters); %s", r->path, name,
                       (unsigned long long)at, DAMAGED);
    if (sl->data)
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s' appears twice "
                       "(again at offset %llu); %s", r->path, name,
                       (unsigned long long)at, DAMAGED);
    const char *tname = es_ggml_type_name(type);
    if (!tname)
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s' has type %d, which "
                       "earshot cannot read (f32, f16, q4_0, q4_1, q5_0, q5_1, "
                       "q8_0); %s", r->path, name, (int)type, DAMAGED);
    int dims[4], bad = 0;
    for (int i = 0; i < n_dims; i++) {
        dims[i] = ne[n_dims - 1 - i];   /* ggml order is innermost first */
        bad |= dims[i] < 1;
    }
    char got[96], want[96];
    if (bad || !same_shape(dims, n_dims, sl->dims, sl->n_dims))
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s' has shape [%s] but "
                       "the hyperparameters imply [%s]; %s", r->path, name,
                       shape_str(dims, n_dims, got, sizeof got),
                       shape_str(sl->dims, sl->n_dims, want, sizeof want),
                       DAMAGED);
    const uint64_t n = slot_elems(sl);
    const int blk = es_ggml_type_block(type);
    if (ne[0] % blk)
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s' of type %s has rows "
                       "of %d values, not a multiple of its block of %d; %s",
                       r->path, name, tname, (int)ne[0], blk, DAMAGED);
    const uint64_t bytes = n / (uint64_t)blk * (uint64_t)es_ggml_type_block_bytes(type);
    if (bytes > r->size - r->pos)
        return es_fail(err, ES_ERR_TRUNCATED, "%s: truncated: tensor '%s' "
                       "(%s, %llu bytes) starts at offset %llu but the file has "
                       "%llu bytes; %s", r->path, name, tname,
                       (unsigned long long)bytes, (unsigned long long)r->pos,
                       (unsigned long long)r->size, DAMAGED);
    sl->data = malloc((size_t)n * sizeof(float));
    if (!sl->data)
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory for tensor '%s'",
                       r->path, name);
    if (type == ES_GGML_TYPE_F32) {
        s = es_ggml_read_f32(r, sl->data, (size_t)n, name, err);
    } else {
        if (bytes > *raw_cap) {
            void *nb = realloc(*raw, (size_t)bytes);
            if (!nb) return es_fail(err, ES_ERR_NOMEM, "%s: out of memory for "
                                    "tensor '%s'", r->path, name);
            *raw = nb;
            *raw_cap = (size_t)bytes;
        }
        s = es_ggml_read_bytes(r, *raw, (size_t)bytes, name, err);
        if (!s) es_ggml_dequantize(type, *raw, sl->data, (size_t)n);
    }
    if (s) return s;
    for (uint64_t i = 0; i < n; i++)
        if (!isfinite(sl->data[i]))
            return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s' holds a "
                           "non-finite value (%g at element %llu); %s", r->path,
                           name, (double)sl->data[i], (unsigned long long)i,
                           DAMAGED);
    return ES_OK;
}

static es_status read_tensors(es_ggml_reader *r, slots *t, es_error *err)
{
    /* The smallest encoding (q4_0: 18 bytes per 32 values) of everything
     * the hparams imply must fit in what is left, so absurd hparams fail
     * here rather than as huge allocations. */
    uint64_t min_bytes = 0;
    for (int i = 0; i < t->n; i++) min_bytes += slot_elems(&t->s[i]) * 18 / 32;
    if (min_bytes > r->size - r->pos)
        return es_fail(err, ES_ERR_TRUNCATED, "%s: truncated or inconsistent: "
                       "the hyperparameters imply at least %llu bytes of "
                       "tensors but only %llu follow the vocabulary; %s",
                       r->path, (unsigned long long)min_bytes,
                       (unsigned long long)(r->size - r->pos), DAMAGED);
    void *raw = NULL;
    size_t raw_cap = 0;
    es_status s = ES_OK;
    while (!s && r->pos < r->size) s = read_tensor(r, t, &raw, &raw_cap, err);
    free(raw);
    if (s) return s;
    int missing = 0;
    const char *first = NULL;
    for (int i = 0; i < t->n; i++)
        if (!t->s[i].data) {
            if (!first) first = t->s[i].name;
            missing++;
        }
    if (missing)
        return es_fail(err, ES_ERR_FORMAT, "%s: tensor '%s' is missing (%d of "
                       "the %d tensors the hyperparameters imply are absent); %s",
                       r->path, first, missing, t->n, DAMAGED);
    return ES_OK;
}

/* ------------------------------------------------ slots → the model */

static float *take(slots *t, const char *fmt, ...) ES_PRINTF(2, 3);

static float *take(slots *t, const char *fmt, ...)
{
    char name[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    slot *s = find_slot(t, name);
    float *p = s->data;    /* present: read_tensors checked every slot */
    s->data = NULL;
    return p;
}

static void set_linear(es_linear *l, float *w, float *b, int rows, int cols)
{
    l->w.rows = rows;
    l->w.cols = cols;
    l->w.f = w;
    l->bias = b;
}

/* Stacks parts[0..n) (each [d × d], bias or NULL for 0) into one linear. */
static es_status stack(es_linear *l, float **w, float **b, int n, int d,
                       es_error *err)
{
    const size_t dd = (size_t)d * d;
    float *W = malloc((size_t)n * dd * sizeof(float));
    float *B = calloc((size_t)n * d, sizeof(float));
    if (!W || !B) {
        free(W);
        free(B);
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        memcpy(W + i * dd, w[i], dd * sizeof(float));
        if (b[i]) memcpy(B + (size_t)i * d, b[i], (size_t)d * sizeof(float));
    }
    set_linear(l, W, B, n * d, d);
    return ES_OK;
}

static es_status build_block(slots *t, const char *pre, int i, int d,
                             int cross, wh_block *b, es_error *err)
{
    b->attn_ln_g = take(t, "%s.blocks.%d.attn_ln.weight", pre, i);
    b->attn_ln_b = take(t, "%s.blocks.%d.attn_ln.bias", pre, i);
    b->mlp_ln_g = take(t, "%s.blocks.%d.mlp_ln.weight", pre, i);
    b->mlp_ln_b = take(t, "%s.blocks.%d.mlp_ln.bias", pre, i);
    set_linear(&b->mlp0, take(t, "%s.blocks.%d.mlp.0.weight", pre, i),
               take(t, "%s.blocks.%d.mlp.0.bias", pre, i), 4 * d, d);
    set_linear(&b->mlp2, take(t, "%s.blocks.%d.mlp.2.weight", pre, i),
               take(t, "%s.blocks.%d.mlp.2.bias", pre, i), d, 4 * d);
    es_status s = ES_OK;
    for (int c = 0; c <= cross && !s; c++) {
        const char *a = c ? "cross_attn" : "attn";
        wh_attn *at = c ? &b->cross : &b->attn;
        float *qw = take(t, "%s.blocks.%d.%s.query.weight", pre, i, a);
        float *qb = take(t, "%s.blocks.%d.%s.query.bias", pre, i, a);
        float *kw = take(t, "%s.blocks.%d.%s.key.weight", pre, i, a);
        float *vw = take(t, "%s.blocks.%d.%s.value.weight", pre, i, a);
        float *vb = take(t, "%s.blocks.%d.%s.value.bias", pre, i, a);
        set_linear(&at->out, take(t, "%s.blocks.%d.%s.out.weight", pre, i, a),
                   take(t, "%s.blocks.%d.%s.out.bias", pre, i, a), d, d);
        if (c) {
            set_linear(&at->qkv, qw, qb, d, d);
            float *w[2] = {kw, vw}, *bb[2] = {NULL, vb};
            s = stack(&at->kv, w, bb, 2, d, err);
            free(kw);
            free(vw);
            free(vb);
        } else {
            float *w[3] = {qw, kw, vw}, *bb[3] = {qb, NULL, vb};
            s = stack(&at->qkv, w, bb, 3, d, err);
            free(qw);
            free(qb);
            free(kw);
            free(vw);
            free(vb);
        }
    }
    if (!s && cross) {
        b->cross_ln_g = take(t, "%s.blocks.%d.cross_attn_ln.weight", pre, i);
        b->cross_ln_b = take(t, "%s.blocks.%d.cross_attn_ln.bias", pre, i);
    }
    return s;
}

static es_status build(slots *t, es_whisper_model *m, es_error *err)
{
    const es_whisper_hparams *h = &m->hp;
    const int d = h->n_audio_state;
    set_linear(&m->conv1, take(t, "encoder.conv1.weight"),
               take(t, "encoder.conv1.bias"), d, 3 * h->n_mels);
    set_linear(&m->conv2, take(t, "encoder.conv2.weight"),
               take(t, "encoder.conv2.bias"), d, 3 * d);
    m->enc_pos = take(t, "encoder.positional_embedding");
    m->ln_post_g = take(t, "encoder.ln_post.weight");
    m->ln_post_b = take(t, "encoder.ln_post.bias");
    set_linear(&m->logits, take(t, "decoder.token_embedding.weight"), NULL,
               h->n_vocab, d);
    m->dec_pos = take(t, "decoder.positional_embedding");
    m->ln_g = take(t, "decoder.ln.weight");
    m->ln_b = take(t, "decoder.ln.bias");
    m->enc = calloc((size_t)h->n_audio_layer, sizeof *m->enc);
    m->dec = calloc((size_t)h->n_text_layer, sizeof *m->dec);
    if (!m->enc || !m->dec) return es_fail(err, ES_ERR_NOMEM, "out of memory");
    es_status s = ES_OK;
    for (int i = 0; !s && i < h->n_audio_layer; i++)
        s = build_block(t, "encoder", i, d, 0, &m->enc[i], err);
    for (int i = 0; !s && i < h->n_text_layer; i++)
        s = build_block(t, "decoder", i, d, 1, &m->dec[i], err);
    return s;
}

static es_status quantize(es_whisper_model *m, es_error *err)
{
    const es_whisper_hparams *h = &m->hp;
    /* The embedding lookup needs rows, which the VNNI packing drops. */
    es_status s = es_matrix_alloc(&m->tok_rows, m->logits.w.rows,
                                  m->logits.w.cols, err);
    if (!s) {
        memcpy(m->tok_rows.f, m->logits.w.f,
               (size_t)m->logits.w.rows * m->logits.w.cols * sizeof(float));
        s = es_matrix_quantize(&m->tok_rows, err);
    }
    if (!s) s = es_linear_to_int8(&m->logits, err);
    for (int i = 0; !s && i < h->n_audio_layer + h->n_text_layer; i++) {
        int enc = i < h->n_audio_layer;
        wh_block *b = enc ? &m->enc[i] : &m->dec[i - h->n_audio_layer];
        es_linear *ls[] = {&b->attn.qkv, &b->attn.out, &b->mlp0, &b->mlp2,
                           &b->cross.qkv, &b->cross.kv, &b->cross.out};
        for (int k = 0; !s && k < (enc ? 4 : 7); k++) s = es_linear_to_int8(ls[k], err);
    }
    return s;
}

/* ------------------------------------------------------------- public */

es_status es_whisper_model_load(const char *path,
                                const es_whisper_load_params *params,
                                es_whisper_model **out, es_error *err)
{
    *out = NULL;
    es_whisper_load_params p = {0, 0};
    if (params) p = *params;
    es_ggml_reader r;
    es_status s = es_ggml_reader_open(path, &r, err);
    if (s) return s;
    es_whisper_model *m = calloc(1, sizeof *m);
    slots t = {0};
    es_whisper_ggml_header hdr;
    if (!m) {
        es_ggml_reader_close(&r);
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    m->int8 = p.int8;
    m->vocab_only = p.vocab_only;
    m->path = strdup(path);
    s = m->path ? es_whisper_ggml_read_header(&r, &hdr, err)
                : es_fail(err, ES_ERR_NOMEM, "out of memory");
    if (!s) {
        m->hp = hdr.hparams;
        m->filters = hdr.mel_filters;   /* now owned by the model */
        s = check_hparams(path, &m->hp, err);
    }
    if (!s) {
        size_name(&m->hp, m->size_name, sizeof m->size_name);
        s = read_vocab(&r, m, err);
    }
    if (!s && !p.vocab_only) {
        if (r.pos == r.size)
            s = es_fail(err, ES_ERR_FORMAT, "%s: the file holds no tensors (a "
                        "vocabulary-only ggml file, e.g. whisper.cpp's "
                        "for-tests models); use a full model such as ggml-tiny.bin",
                        path);
        if (!s) s = expected_tensors(&m->hp, &t, err);
        if (!s) s = read_tensors(&r, &t, err);
        if (!s) s = build(&t, m, err);
        if (!s && p.int8) s = quantize(m, err);
    }
    slots_free(&t);
    es_ggml_reader_close(&r);
    if (s) {
        es_whisper_model_free(m);
        return s;
    }
    *out = m;
    return ES_OK;
}

static void free_attn(wh_attn *a)
{
    es_linear_free(&a->qkv);
    es_linear_free(&a->kv);
    es_linear_free(&a->out);
}

static void free_block(wh_block *b)
{
    free(b->attn_ln_g);
    free(b->attn_ln_b);
    free(b->cross_ln_g);
    free(b->cross_ln_b);
    free(b->mlp_ln_g);
    free(b->mlp_ln_b);
    free_attn(&b->attn);
    free_attn(&b->cross);
    es_linear_free(&b->mlp0);
    es_linear_free(&b->mlp2);
}

void es_whisper_model_free(es_whisper_model *m)
{
    if (!m) return;
    if (m->enc)
        for (int i = 0; i < m->hp.n_audio_layer; i++) free_block(&m->enc[i]);
    if (m->dec)
        for (int i = 0; i < m->hp.n_text_layer; i++) free_block(&m->dec[i]);
    free(m->enc);
    free(m->dec);
    es_linear_free(&m->conv1);
    es_linear_free(&m->conv2);
    es_linear_free(&m->logits);
    es_matrix_free(&m->tok_rows);
    free(m->enc_pos);
    free(m->dec_pos);
    free(m->ln_post_g);
    free(m->ln_post_b);
    free(m->ln_g);
    free(m->ln_b);
    free(m->vocab.bytes);
    free(m->vocab.len);
    free(m->vocab_blob);
    free(m->filters);
    free(m->path);
    free(m);
}
