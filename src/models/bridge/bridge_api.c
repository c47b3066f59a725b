/* bridge_api.c — the public es_bridge functions of earshot.h: loading a
 * bridge file for a given text space, describing it, and embedding feature
 * rows. The file itself is bridge_file.c; the maths is bridge_net.c. */
#include "models/bridge/bridge_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"

static const char *const input_names[] = {"full", "small", "hybrid"};

es_status es_bridge_input_parse(const char *name, es_bridge_input *out,
                                es_error *err)
{
    if (!name || !out)
        return es_fail(err, ES_ERR_INVALID_ARG, "bridge input: NULL argument");
    for (int i = 0; i <= ES_BRIDGE_INPUT_HYBRID; i++)
        if (strcmp(name, input_names[i]) == 0) {
            *out = (es_bridge_input)i;
            return ES_OK;
        }
    return es_fail(err, ES_ERR_INVALID_ARG,
                   "unknown bridge input '%s': use \"full\" (128 sound "
                   "features), \"small\" (5 sound features) or \"hybrid\" "
                   "(full features + Whisper encoder states)", name);
}

const char *es_bridge_input_name(es_bridge_input in)
{
    return (in >= ES_BRIDGE_INPUT_FULL && in <= ES_BRIDGE_INPUT_HYBRID)
               ? input_names[in]
               : "unknown";
}

es_status es_bridge_check_identity(const es_bridge_meta *meta, const char *path,
                                   const char *identity, es_error *err)
{
    if (!meta || !identity)
        return es_fail(err, ES_ERR_INVALID_ARG, "bridge: NULL argument");
    if (strcmp(meta->text_identity, identity) == 0)
        return ES_OK;
    return es_fail(err, ES_ERR_FORMAT,
                   "bridge %s was trained for text space %s, but the active "
                   "text encoder is %s: retrain it with `earshot train` or "
                   "pick that encoder", path ? path : "(unnamed)",
                   meta->text_identity[0] ? meta->text_identity : "(none)",
                   identity);
}

static void make_describe(es_bridge *b, const char *path)
{
    const es_bridge_net *net = b->net;
    char dims[128] = "";
    size_t len = 0;
    for (int l = 0; l <= net->n_layers && len < sizeof dims; l++)
        len += (size_t)snprintf(dims + len, sizeof dims - len, "%s%d",
                                l ? "\xe2\x86\x92" : "", net->dims[l]);
    char size[32] = "";
    struct stat st;
    if (stat(path, &st) == 0)
        snprintf(size, sizeof size, ", %lld KB",
                 (long long)((st.st_size + 512) / 1024));
    snprintf(b->describe, sizeof b->describe, "bridge %s %s %s, %s%s",
             es_bridge_input_name(b->meta.input), dims,
             net->head == ES_BRIDGE_HEAD_L2 ? "l2" : "tanh",
             net->quantized ? "int8" : "f32", size);
}

es_status es_bridge_load(const char *path, const es_text_encoder *space,
                         es_bridge **out, es_error *err)
{
    if (!path || !out)
        return es_fail(err, ES_ERR_INVALID_ARG, "bridge: no path given");
    *out = NULL;
    es_bridge *b = calloc(1, sizeof *b);
    if (!b)
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    es_status st = es_bridge_read(path, &b->net, &b->meta, err);
    if (st == ES_OK && b->meta.features_layout != ES_FEATURES_LAYOUT_VERSION)
        st = es_fail(err, ES_ERR_FORMAT,
                     "bridge %s was trained on sound-feature layout %d, but "
                     "this earshot computes layout %d: retrain it with "
                     "`earshot train`", path, b->meta.features_layout,
                     ES_FEATURES_LAYOUT_VERSION);
    if (st == ES_OK && space)
        st = es_bridge_check_identity(&b->meta, path,
                                      es_text_encoder_identity(space), err);
    if (st != ES_OK) {
        es_bridge_free(b);
        return st;
    }
    make_describe(b, path);
    *out = b;
    return ES_OK;
}

int es_bridge_in_dim(const es_bridge *b) { return b ? b->net->dims[0] : 0; }

int es_bridge_out_dim(const es_bridge *b)
{
    return b ? b->net->dims[b->net->n_layers] : 0;
}

es_bridge_input es_bridge_get_input(const es_bridge *b)
{
    return b ? b->meta.input : ES_BRIDGE_INPUT_FULL;
}

const char *es_bridge_text_identity(const es_bridge *b)
{
    return b ? b->meta.text_identity : "";
}

const char *es_bridge_whisper_identity(const es_bridge *b)
{
    return b ? b->meta.whisper_identity : "";
}

const char *es_bridge_describe(const es_bridge *b)
{
    return b ? b->describe : "";
}

es_status es_bridge_embed(const es_bridge *b, const float *in, size_t n,
                          float *out, es_error *err)
{
    if (!b || (n && (!in || !out)))
        return es_fail(err, ES_ERR_INVALID_ARG, "bridge embed: NULL argument");
    if (n == 0)
        return ES_OK;
    return es_bridge_net_embed(b->net, in, n, out, err);
}

void es_bridge_free(es_bridge *b)
{
    if (!b)
        return;
    es_bridge_net_free(b->net);
    es_bridge_meta_free(&b->meta);
    free(b);
}
