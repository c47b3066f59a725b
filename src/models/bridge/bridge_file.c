/* bridge_file.c — the .esbridge file: a trained bridge (net + what it was
 * trained on) in one versioned, checksummed, little-endian file
 * (docs/FORMATS.md, "Bridge file").
 *
 * Writing builds the whole file in memory and replaces the destination
 * atomically. Reading checks the fixed header first and computes the size
 * it implies, so nothing large is allocated before the file is known to be
 * that large; then the CRC, then every value. A hostile file gets
 * ES_ERR_FORMAT / ES_ERR_TRUNCATED naming the file, never a crash. */
#include "models/bridge/bridge_file.h"
#include "models/bridge/bridge_model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/error.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the .esbridge reader and writer copy float arrays as little-endian"
#endif

/* Width of the hand-crafted features for each input layout. */
#define FULL_DIM 128
#define SMALL_DIM 5

static const char *retrain_hint =
    "train it again with `earshot train` or restore a good copy";

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint32_t crc_of(const uint8_t *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

/* ---------------------------------------------------------------- layout */

/* What the fixed header says, before anything is trusted. */
typedef struct header {
    uint32_t version, input, features_layout, feature_dim, whisper_dim, head,
        weight_type, n_layers;
    uint32_t dims[ES_BRIDGE_MAX_LAYERS + 1];
    uint32_t whisper_id_len, text_id_len, notes_len;
} header;

/* Bytes of the whole file the header describes (header, strings, arrays,
 * CRC), in 64 bits: with dims ≤ 65536 and 8 layers it cannot overflow. */
static uint64_t file_size_of(const header *h)
{
    uint64_t n = ES_BRIDGE_HEADER_SIZE;
    n += (uint64_t)h->whisper_id_len + h->text_id_len + h->notes_len;
    n += 2 * 4 * (uint64_t)h->dims[0];
    for (uint32_t l = 0; l < h->n_layers; l++) {
        uint64_t o = h->dims[l + 1], in = h->dims[l];
        n += h->weight_type == ES_BRIDGE_WEIGHTS_INT8 ? o * in + 4 * o
                                                       : 4 * o * in;
        n += 4 * o;
    }
    return n + 4;
}

/* The meta fields that must agree with each other; NULL when they do,
 * else what is wrong (for a message). */
static const char *meta_problem(uint32_t input, uint32_t features_layout,
                                uint32_t feature_dim, uint32_t whisper_dim,
                                uint32_t whisper_id_len, uint32_t dim0)
{
    if (input > ES_BRIDGE_INPUT_HYBRID)
        return "unknown input layout (0 full, 1 small, 2 hybrid)";
    if (features_layout < 1 || features_layout > 1000000)
        return "bad sound-feature layout version";
    if (feature_dim != (input == ES_BRIDGE_INPUT_SMALL ? SMALL_DIM : FULL_DIM))
        return "feature width does not match the input layout "
               "(full and hybrid: 128, small: 5)";
    if (input == ES_BRIDGE_INPUT_HYBRID) {
        if (whisper_dim < 2 || whisper_dim % 2 ||
            whisper_dim > ES_BRIDGE_MAX_DIM - FULL_DIM)
            return "a hybrid bridge needs an even Whisper width "
                   "(2 x the encoder's state size)";
        if (whisper_id_len == 0)
            return "a hybrid bridge needs the identity of its Whisper model";
    } else {
        if (whisper_dim != 0)
            return "only a hybrid bridge reads Whisper states";
        if (whisper_id_len != 0)
            return "only a hybrid bridge names a Whisper model";
    }
    if (dim0 != feature_dim + whisper_dim)
        return "the net's input width is not feature width + Whisper width";
    return NULL;
}

/* ----------------------------------------------------------------- write */

es_status es_bridge_write_atomic(const char *path, const void *data,
                                 size_t size, es_error *err)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    if (!tmp)
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return es_fail(err, e == EACCES ? ES_ERR_PERMISSION : ES_ERR_IO,
                       "%s: cannot create the file: %s; check that the "
                       "directory exists and is writable", path, strerror(e));
    }
    const uint8_t *p = data;
    size_t left = size;
    int e = 0;
    while (left && !e) {
        ssize_t k = write(fd, p, left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            e = k < 0 ? errno : EIO;
        else {
            p += k;
            left -= (size_t)k;
        }
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        free(tmp);
        return es_fail(err, ES_ERR_IO, "%s: cannot write: %s (is the disk "
                       "full?)", path, strerror(e));
    }
    free(tmp);

    /* Make the rename itself durable: fsync the directory (best effort). */
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
                      : strdup(".");
    if (dir) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    return ES_OK;
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* Every value of the net is finite and every std positive. */
static int net_values_ok(const es_bridge_net *net)
{
    size_t d0 = (size_t)net->dims[0];
    if (!all_finite(net->in_mean, d0) || !all_finite(net->in_std, d0))
        return 0;
    for (size_t i = 0; i < d0; i++)
        if (!(net->in_std[i] > 0))
            return 0;
    for (int l = 0; l < net->n_layers; l++) {
        size_t o = (size_t)net->dims[l + 1], in = (size_t)net->dims[l];
        if (!all_finite(net->w[l], o * in) || !all_finite(net->b[l], o))
            return 0;
    }
    return 1;
}

/* Writes layer l of a quantized net as scales, int8 values. The net's
 * weights are exactly q·scale, so q = round(w / scale) recovers them;
 * anything else is a bug in the quantizer. */
static int put_int8_layer(uint8_t *p, const es_bridge_net *net, int l)
{
    size_t o = (size_t)net->dims[l + 1], in = (size_t)net->dims[l];
    memcpy(p, net->scale[l], 4 * o);
    int8_t *q = (int8_t *)(p + 4 * o);
    for (size_t r = 0; r < o; r++) {
        float s = net->scale[l][r];
        if (!isfinite(s) || s < 0)
            return 0;
        for (size_t j = 0; j < in; j++) {
            float w = net->w[l][r * in + j];
            float v = s > 0 ? rintf(w / s) : 0.0f;
            if (!(v >= -127.0f && v <= 127.0f) || v * s != w)
                return 0;
            q[r * in + j] = (int8_t)v;
        }
    }
    return 1;
}

static es_status save_net(const char *path, const es_bridge_net *net,
                          const es_bridge_meta *meta, int int8, es_error *err)
{
    header h;
    memset(&h, 0, sizeof h);
    h.version = ES_BRIDGE_FORMAT_VERSION;
    h.input = (uint32_t)meta->input;
    h.features_layout = (uint32_t)meta->features_layout;
    h.feature_dim = (uint32_t)meta->feature_dim;
    h.whisper_dim = (uint32_t)meta->whisper_dim;
    h.head = (uint32_t)net->head;
    h.weight_type = int8 ? ES_BRIDGE_WEIGHTS_INT8 : ES_BRIDGE_WEIGHTS_F32;
    h.n_layers = (uint32_t)net->n_layers;
    for (int l = 0; l <= net->n_layers; l++)
        h.dims[l] = (uint32_t)net->dims[l];
    h.whisper_id_len = (uint32_t)strlen(meta->whisper_identity);
    h.text_id_len = (uint32_t)strlen(meta->text_identity);
    h.notes_len = meta->notes ? (uint32_t)strlen(meta->notes) : 0;

    uint64_t total = file_size_of(&h);
    if (total > ES_BRIDGE_FILE_MAX)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "%s: the bridge is too large to save (%llu bytes)",
                       path, (unsigned long long)total);
    uint8_t *buf = calloc(1, (size_t)total);
    if (!buf)
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);

    memcpy(buf, ES_BRIDGE_MAGIC, 8);
    put_u32(buf + ES_BRIDGE_OFF_VERSION, h.version);
    put_u32(buf + ES_BRIDGE_OFF_INPUT, h.input);
    put_u32(buf + ES_BRIDGE_OFF_FEATURES_LAYOUT, h.features_layout);
    put_u32(buf + ES_BRIDGE_OFF_FEATURE_DIM, h.feature_dim);
    put_u32(buf + ES_BRIDGE_OFF_WHISPER_DIM, h.whisper_dim);
    put_u32(buf + ES_BRIDGE_OFF_HEAD, h.head);
    put_u32(buf + ES_BRIDGE_OFF_WEIGHT_TYPE, h.weight_type);
    put_u32(buf + ES_BRIDGE_OFF_N_LAYERS, h.n_layers);
    for (int l = 0; l <= ES_BRIDGE_MAX_LAYERS; l++)
        put_u32(buf + ES_BRIDGE_OFF_DIMS + 4 * l, h.dims[l]);
    put_u32(buf + ES_BRIDGE_OFF_WHISPER_ID_LEN, h.whisper_id_len);
    put_u32(buf + ES_BRIDGE_OFF_TEXT_ID_LEN, h.text_id_len);
    put_u32(buf + ES_BRIDGE_OFF_NOTES_LEN, h.notes_len);

    uint8_t *p = buf + ES_BRIDGE_HEADER_SIZE;
    memcpy(p, meta->whisper_identity, h.whisper_id_len);
    p += h.whisper_id_len;
    memcpy(p, meta->text_identity, h.text_id_len);
    p += h.text_id_len;
    if (h.notes_len)
        memcpy(p, meta->notes, h.notes_len);
    p += h.notes_len;

    size_t d0 = h.dims[0];
    memcpy(p, net->in_mean, 4 * d0);
    p += 4 * d0;
    memcpy(p, net->in_std, 4 * d0);
    p += 4 * d0;
    for (int l = 0; l < net->n_layers; l++) {
        size_t o = h.dims[l + 1], in = h.dims[l];
        if (int8) {
            if (!put_int8_layer(p, net, l)) {
                free(buf);
                return es_fail(err, ES_ERR_INTERNAL,
                               "%s: layer %d is not exactly int8 x scale; "
                               "this is a bug in earshot, please report it",
                               path, l);
            }
            p += 4 * o + o * in;
        } else {
            memcpy(p, net->w[l], 4 * o * in);
            p += 4 * o * in;
        }
        memcpy(p, net->b[l], 4 * o);
        p += 4 * o;
    }
    put_u32(p, crc_of(buf, (size_t)(p - buf)));
    es_status st = es_bridge_write_atomic(path, buf, (size_t)total, err);
    free(buf);
    return st;
}

es_status es_bridge_save(const char *path, const es_bridge_net *net,
                         const es_bridge_meta *meta, int int8, es_error *err)
{
    if (!path || !net || !meta)
        return es_fail(err, ES_ERR_INVALID_ARG, "bridge save: NULL argument");
    size_t wlen = strnlen(meta->whisper_identity, ES_BRIDGE_IDENTITY_MAX);
    size_t tlen = strnlen(meta->text_identity, ES_BRIDGE_IDENTITY_MAX);
    if (wlen == ES_BRIDGE_IDENTITY_MAX || tlen == ES_BRIDGE_IDENTITY_MAX)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "%s: an identity string is not terminated within %d "
                       "bytes", path, ES_BRIDGE_IDENTITY_MAX);
    if (meta->notes && strlen(meta->notes) > ES_BRIDGE_NOTES_MAX)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "%s: the training notes exceed %u bytes", path,
                       ES_BRIDGE_NOTES_MAX);
    if (net->n_layers < 1 || net->n_layers > ES_BRIDGE_MAX_LAYERS)
        return es_fail(err, ES_ERR_INVALID_ARG, "%s: the net has %d layers",
                       path, net->n_layers);
    if (meta->input < 0 || meta->features_layout < 0 ||
        meta->feature_dim < 0 || meta->whisper_dim < 0)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "%s: negative field in the bridge's description", path);
    const char *why = meta_problem((uint32_t)meta->input,
                                   (uint32_t)meta->features_layout,
                                   (uint32_t)meta->feature_dim,
                                   (uint32_t)meta->whisper_dim, (uint32_t)wlen,
                                   (uint32_t)net->dims[0]);
    if (why)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "%s: cannot save this bridge: %s (input %d, feature "
                       "width %d, Whisper width %d, net input %d)", path, why,
                       (int)meta->input, meta->feature_dim, meta->whisper_dim,
                       net->dims[0]);
    if (!net_values_ok(net))
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "%s: cannot save this bridge: it holds NaN or Inf "
                       "values or a std <= 0 (did training diverge? try a "
                       "lower learning rate)", path);

    if (!int8 || net->quantized)
        return save_net(path, net, meta, int8, err);
    /* int8 of an f32 net: quantize a copy, never the caller's net. */
    es_bridge_net *q = NULL;
    es_status st = es_bridge_net_clone(net, &q, err);
    if (st != ES_OK)
        return st;
    es_bridge_net_quantize(q);
    st = q->quantized ? save_net(path, q, meta, 1, err)
                      : es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    es_bridge_net_free(q);
    return st;
}

/* ------------------------------------------------------------------ read */

static void parse_header(const uint8_t *b, header *h)
{
    h->version = get_u32(b + ES_BRIDGE_OFF_VERSION);
    h->input = get_u32(b + ES_BRIDGE_OFF_INPUT);
    h->features_layout = get_u32(b + ES_BRIDGE_OFF_FEATURES_LAYOUT);
    h->feature_dim = get_u32(b + ES_BRIDGE_OFF_FEATURE_DIM);
    h->whisper_dim = get_u32(b + ES_BRIDGE_OFF_WHISPER_DIM);
    h->head = get_u32(b + ES_BRIDGE_OFF_HEAD);
    h->weight_type = get_u32(b + ES_BRIDGE_OFF_WEIGHT_TYPE);
    h->n_layers = get_u32(b + ES_BRIDGE_OFF_N_LAYERS);
    for (int l = 0; l <= ES_BRIDGE_MAX_LAYERS; l++)
        h->dims[l] = get_u32(b + ES_BRIDGE_OFF_DIMS + 4 * l);
    h->whisper_id_len = get_u32(b + ES_BRIDGE_OFF_WHISPER_ID_LEN);
    h->text_id_len = get_u32(b + ES_BRIDGE_OFF_TEXT_ID_LEN);
    h->notes_len = get_u32(b + ES_BRIDGE_OFF_NOTES_LEN);
}

/* Checks the fixed header alone (version already checked). */
static es_status check_header(const char *path, const header *h, es_error *err)
{
    if (h->n_layers < 1 || h->n_layers > ES_BRIDGE_MAX_LAYERS)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: %u layers (1..%d allowed): the file is damaged; %s",
                       path, h->n_layers, ES_BRIDGE_MAX_LAYERS, retrain_hint);
    for (uint32_t l = 0; l <= ES_BRIDGE_MAX_LAYERS; l++) {
        uint32_t d = h->dims[l];
        if (l <= h->n_layers ? (d < 1 || d > ES_BRIDGE_MAX_DIM) : d != 0)
            return es_fail(err, ES_ERR_FORMAT,
                           "%s: layer width %u at position %u is out of range "
                           "(1..%d, and 0 past the last layer): the file is "
                           "damaged; %s", path, d, l, ES_BRIDGE_MAX_DIM,
                           retrain_hint);
    }
    if (h->head > ES_BRIDGE_HEAD_L2)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: unknown output head %u: the file is damaged; %s",
                       path, h->head, retrain_hint);
    if (h->weight_type > ES_BRIDGE_WEIGHTS_INT8)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: unknown weight type %u: the file is damaged; %s",
                       path, h->weight_type, retrain_hint);
    if (h->whisper_id_len >= ES_BRIDGE_IDENTITY_MAX ||
        h->text_id_len >= ES_BRIDGE_IDENTITY_MAX ||
        h->notes_len > ES_BRIDGE_NOTES_MAX)
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: a text field is too long (identities < %d bytes, "
                       "notes <= %u): the file is damaged; %s", path,
                       ES_BRIDGE_IDENTITY_MAX, ES_BRIDGE_NOTES_MAX, retrain_hint);
    const char *why = meta_problem(h->input, h->features_layout, h->feature_dim,
                                   h->whisper_dim, h->whisper_id_len, h->dims[0]);
    if (why)
        return es_fail(err, ES_ERR_FORMAT, "%s: %s: the file is damaged; %s",
                       path, why, retrain_hint);
    return ES_OK;
}

static es_status read_fully(FILE *f, const char *path, uint8_t *buf, size_t n,
                            es_error *err)
{
    if (fread(buf, 1, n, f) != n)
        return es_fail(err, ferror(f) ? ES_ERR_IO : ES_ERR_TRUNCATED,
                       "%s: cannot read the file (%s); was it changed while "
                       "being read?", path,
                       ferror(f) ? strerror(errno) : "it ended early");
    return ES_OK;
}

static int no_nul(const uint8_t *p, size_t n) { return !memchr(p, 0, n); }

static int floats_from(const uint8_t *p, float *dst, size_t n)
{
    memcpy(dst, p, 4 * n);
    return all_finite(dst, n);
}

/* Fills net and meta from a file buffer whose header and CRC are checked. */
static es_status parse_body(const char *path, const uint8_t *buf,
                            const header *h, es_bridge_net *net,
                            es_bridge_meta *meta, es_error *err)
{
    const uint8_t *p = buf + ES_BRIDGE_HEADER_SIZE;
    if (!no_nul(p, (size_t)h->whisper_id_len + h->text_id_len + h->notes_len))
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: a text field holds a NUL byte: the file is "
                       "damaged; %s", path, retrain_hint);
    meta->input = (es_bridge_input)h->input;
    meta->features_layout = (int)h->features_layout;
    meta->feature_dim = (int)h->feature_dim;
    meta->whisper_dim = (int)h->whisper_dim;
    memcpy(meta->whisper_identity, p, h->whisper_id_len);
    meta->whisper_identity[h->whisper_id_len] = '\0';
    p += h->whisper_id_len;
    memcpy(meta->text_identity, p, h->text_id_len);
    meta->text_identity[h->text_id_len] = '\0';
    p += h->text_id_len;
    if (h->notes_len) {
        meta->notes = malloc((size_t)h->notes_len + 1);
        if (!meta->notes)
            return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
        memcpy(meta->notes, p, h->notes_len);
        meta->notes[h->notes_len] = '\0';
        p += h->notes_len;
    }

    size_t d0 = h->dims[0];
    if (!floats_from(p, net->in_mean, d0) ||
        !floats_from(p + 4 * d0, net->in_std, d0))
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: the input mean or std holds NaN or Inf; %s", path,
                       retrain_hint);
    p += 8 * d0;
    for (size_t i = 0; i < d0; i++)
        if (!(net->in_std[i] > 0))
            return es_fail(err, ES_ERR_FORMAT,
                           "%s: input std %zu is %g, not > 0; %s", path, i,
                           (double)net->in_std[i], retrain_hint);

    int int8 = h->weight_type == ES_BRIDGE_WEIGHTS_INT8;
    for (uint32_t l = 0; l < h->n_layers; l++) {
        size_t o = h->dims[l + 1], in = h->dims[l];
        if (int8) {
            net->scale[l] = malloc(4 * o);
            if (!net->scale[l])
                return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
            memcpy(net->scale[l], p, 4 * o);
            const int8_t *q = (const int8_t *)(p + 4 * o);
            for (size_t r = 0; r < o; r++) {
                float s = net->scale[l][r];
                if (!isfinite(s) || s < 0)
                    return es_fail(err, ES_ERR_FORMAT,
                                   "%s: layer %u row %zu has a bad int8 scale "
                                   "(%g); %s", path, l, r, (double)s,
                                   retrain_hint);
                for (size_t j = 0; j < in; j++) {
                    int v = q[r * in + j];
                    if (v < -127)
                        return es_fail(err, ES_ERR_FORMAT,
                                       "%s: layer %u holds the int8 value -128 "
                                       "(range is -127..127); %s", path, l,
                                       retrain_hint);
                    net->w[l][r * in + j] = (float)v * s;
                }
            }
            p += 4 * o + o * in;
        } else {
            if (!floats_from(p, net->w[l], o * in))
                return es_fail(err, ES_ERR_FORMAT,
                               "%s: the weights of layer %u hold NaN or Inf; %s",
                               path, l, retrain_hint);
            p += 4 * o * in;
        }
        if (!floats_from(p, net->b[l], o))
            return es_fail(err, ES_ERR_FORMAT,
                           "%s: the biases of layer %u hold NaN or Inf; %s",
                           path, l, retrain_hint);
        p += 4 * o;
    }
    net->quantized = int8;
    return ES_OK;
}

/* Opens path and reads its header; *size gets the file's length. */
static es_status open_checked(const char *path, FILE **out, uint64_t *size,
                              es_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        if (e == ENOENT)
            return es_fail(err, ES_ERR_NOT_FOUND,
                           "%s: no such bridge file; train one with "
                           "`earshot train` or check the path", path);
        if (e == EACCES)
            return es_fail(err, ES_ERR_PERMISSION, "%s: permission denied",
                           path);
        return es_fail(err, ES_ERR_IO, "%s: cannot open: %s", path,
                       strerror(e));
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: not a regular file; give the path of a .esbridge "
                       "file", path);
    }
    *out = f;
    *size = (uint64_t)st.st_size;
    return ES_OK;
}

es_status es_bridge_read(const char *path, es_bridge_net **net,
                         es_bridge_meta *meta, es_error *err)
{
    if (!path || !net || !meta)
        return es_fail(err, ES_ERR_INVALID_ARG, "bridge read: NULL argument");
    *net = NULL;
    memset(meta, 0, sizeof *meta);
    FILE *f = NULL;
    uint64_t size = 0;
    es_status st = open_checked(path, &f, &size, err);
    if (st != ES_OK)
        return st;

    uint8_t head[ES_BRIDGE_HEADER_SIZE];
    size_t got = fread(head, 1, sizeof head, f);
    if (got < sizeof head && (uint64_t)got < size) {
        fclose(f);
        return es_fail(err, ES_ERR_IO, "%s: cannot read: %s", path,
                       strerror(errno));
    }
    if (memcmp(head, ES_BRIDGE_MAGIC, got < 8 ? got : 8) != 0) {
        fclose(f);
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: not an earshot bridge file (no ESBRIDGE magic); "
                       "give the path of a file made by `earshot train`", path);
    }
    if (got < ES_BRIDGE_OFF_VERSION + 4) {
        fclose(f);
        return es_fail(err, ES_ERR_TRUNCATED,
                       "%s: truncated: %zu bytes, less than the %d-byte "
                       "header; %s", path, got, ES_BRIDGE_HEADER_SIZE,
                       retrain_hint);
    }
    header h;
    memset(&h, 0, sizeof h);
    h.version = get_u32(head + ES_BRIDGE_OFF_VERSION);
    if (h.version != ES_BRIDGE_FORMAT_VERSION) {
        fclose(f);
        if (h.version > ES_BRIDGE_FORMAT_VERSION)
            return es_fail(err, ES_ERR_FORMAT,
                           "%s: was written by a newer earshot (format %u); "
                           "this build reads format %d: upgrade earshot",
                           path, h.version, ES_BRIDGE_FORMAT_VERSION);
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: bad format version %u: the file is damaged; %s",
                       path, h.version, retrain_hint);
    }
    if (got < sizeof head || size < ES_BRIDGE_HEADER_SIZE + 4) {
        fclose(f);
        return es_fail(err, ES_ERR_TRUNCATED,
                       "%s: truncated: %llu bytes, less than the %d-byte "
                       "header and checksum; %s", path,
                       (unsigned long long)size, ES_BRIDGE_HEADER_SIZE + 4,
                       retrain_hint);
    }
    parse_header(head, &h);
    st = check_header(path, &h, err);
    if (st != ES_OK) {
        fclose(f);
        return st;
    }
    uint64_t want = file_size_of(&h);
    if (size != want || want > ES_BRIDGE_FILE_MAX) {
        fclose(f);
        if (size < want)
            return es_fail(err, ES_ERR_TRUNCATED,
                           "%s: truncated: %llu bytes, but its header "
                           "describes %llu; %s", path,
                           (unsigned long long)size, (unsigned long long)want,
                           retrain_hint);
        return es_fail(err, ES_ERR_FORMAT,
                       "%s: %llu bytes, but its header describes %llu: the "
                       "file is damaged; %s", path, (unsigned long long)size,
                       (unsigned long long)want, retrain_hint);
    }

    /* The size is now known to be what the header says: read it all. */
    uint8_t *buf = malloc((size_t)size);
    if (!buf) {
        fclose(f);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(buf, head, sizeof head);
    st = read_fully(f, path, buf + sizeof head, (size_t)size - sizeof head,
                    err);
    fclose(f);
    if (st == ES_OK &&
        crc_of(buf, (size_t)size - 4) != get_u32(buf + size - 4))
        st = es_fail(err, ES_ERR_FORMAT,
                     "%s: checksum mismatch: the file is corrupt; %s", path,
                     retrain_hint);
    int dims[ES_BRIDGE_MAX_LAYERS + 1];
    for (uint32_t l = 0; l <= h.n_layers; l++)
        dims[l] = (int)h.dims[l];
    if (st == ES_OK)
        st = es_bridge_net_new(dims, (int)h.n_layers, (es_bridge_head)h.head,
                               net, err);
    if (st == ES_OK)
        st = parse_body(path, buf, &h, *net, meta, err);
    free(buf);
    if (st != ES_OK) {
        es_bridge_net_free(*net);
        *net = NULL;
        es_bridge_meta_free(meta);
        memset(meta, 0, sizeof *meta);
    }
    return st;
}

void es_bridge_meta_free(es_bridge_meta *meta)
{
    if (!meta)
        return;
    free(meta->notes);
    meta->notes = NULL;
}
