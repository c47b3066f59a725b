/* bridge_onnx.c — writes a bridge as an ONNX model (IR 8, opset 13) so that
 * other runtimes can use it. Field numbers follow onnx/onnx.proto; the
 * bytes are produced by the small writer in protobuf.c.
 *
 *   features ─Sub(in_mean)─Div(in_std)─Gemm(W0,B0)─Relu─ … ─Gemm(WL,BL)─ head
 *   head TANH: Tanh                        → embedding
 *   head L2:   z / Sqrt(ReduceSum(z·z, axes=[1], keepdims=1)) → embedding
 *
 * Weights are exported as f32 (a quantized net's w[l] already holds the
 * exact dequantized values). Unlike the C net, the L2 head gives NaN for an
 * all-zero pre-head row (0/0); the C code returns a zero row there. */
#include "models/bridge/bridge_onnx.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "models/bridge/bridge_file.h"
#include "models/bridge/protobuf.h"

/* onnx.proto field numbers used here. */
enum {
    MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3,
    MODEL_DOC_STRING = 6, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8,
    MODEL_METADATA_PROPS = 14,
    OPSET_DOMAIN = 1, OPSET_VERSION = 2,
    ENTRY_KEY = 1, ENTRY_VALUE = 2,
    GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_DOC = 10,
    GRAPH_INPUT = 11, GRAPH_OUTPUT = 12,
    NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4,
    NODE_ATTRIBUTE = 5,
    ATTR_NAME = 1, ATTR_I = 3, ATTR_TYPE = 20,
    TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW = 9,
    VALUE_NAME = 1, VALUE_TYPE = 2,
    TYPE_TENSOR = 1, TTENSOR_ELEM_TYPE = 1, TTENSOR_SHAPE = 2,
    SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2
};
#define ONNX_FLOAT 1
#define ONNX_INT64 7
#define ONNX_ATTR_INT 2
#define ONNX_IR_VERSION 8
#define ONNX_OPSET 13

/* An initializer of f32 values. raw_data holds the little-endian floats,
 * which is byte for byte what a packed float field holds. */
static void add_tensor_f32(es_pb *g, const char *name, const int64_t *dims,
                           int ndims, const float *v, size_t n)
{
    es_pb t = {0};
    for (int i = 0; i < ndims; i++)
        es_pb_int64(&t, TENSOR_DIMS, dims[i]);
    es_pb_int64(&t, TENSOR_DATA_TYPE, ONNX_FLOAT);
    es_pb_string(&t, TENSOR_NAME, name);
    es_pb_packed_floats(&t, TENSOR_RAW, v, n);
    es_pb_message(g, GRAPH_INITIALIZER, &t);
    es_pb_free(&t);
}

/* A 1-d int64 initializer holding one value. */
static void add_tensor_i64_scalar1(es_pb *g, const char *name, int64_t v)
{
    uint8_t raw[8];
    for (int i = 0; i < 8; i++)
        raw[i] = (uint8_t)((uint64_t)v >> (8 * i));
    es_pb t = {0};
    es_pb_int64(&t, TENSOR_DIMS, 1);
    es_pb_int64(&t, TENSOR_DATA_TYPE, ONNX_INT64);
    es_pb_string(&t, TENSOR_NAME, name);
    es_pb_bytes(&t, TENSOR_RAW, raw, sizeof raw);
    es_pb_message(g, GRAPH_INITIALIZER, &t);
    es_pb_free(&t);
}

/* A node with up to three inputs, one output and at most one int
 * attribute (attr NULL for none). */
static void add_node(es_pb *g, const char *op, const char *name,
                     const char *in0, const char *in1, const char *in2,
                     const char *out, const char *attr, int64_t attr_value)
{
    es_pb n = {0};
    const char *ins[3] = {in0, in1, in2};
    for (int i = 0; i < 3; i++)
        if (ins[i])
            es_pb_string(&n, NODE_INPUT, ins[i]);
    es_pb_string(&n, NODE_OUTPUT, out);
    es_pb_string(&n, NODE_NAME, name);
    es_pb_string(&n, NODE_OP_TYPE, op);
    if (attr) {
        es_pb a = {0};
        es_pb_string(&a, ATTR_NAME, attr);
        es_pb_int64(&a, ATTR_I, attr_value);
        es_pb_int64(&a, ATTR_TYPE, ONNX_ATTR_INT);
        es_pb_message(&n, NODE_ATTRIBUTE, &a);
        es_pb_free(&a);
    }
    es_pb_message(g, GRAPH_NODE, &n);
    es_pb_free(&n);
}

/* A graph input or output: float tensor [N × width]. */
static void add_value(es_pb *g, int field, const char *name, int width)
{
    es_pb dn = {0}, dw = {0}, shape = {0}, tt = {0}, type = {0}, v = {0};
    es_pb_string(&dn, DIM_PARAM, "N");
    es_pb_int64(&dw, DIM_VALUE, width);
    es_pb_message(&shape, SHAPE_DIM, &dn);
    es_pb_message(&shape, SHAPE_DIM, &dw);
    es_pb_int64(&tt, TTENSOR_ELEM_TYPE, ONNX_FLOAT);
    es_pb_message(&tt, TTENSOR_SHAPE, &shape);
    es_pb_message(&type, TYPE_TENSOR, &tt);
    es_pb_string(&v, VALUE_NAME, name);
    es_pb_message(&v, VALUE_TYPE, &type);
    es_pb_message(g, field, &v);
    es_pb *all[] = {&dn, &dw, &shape, &tt, &type, &v};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        es_pb_free(all[i]);
}

static void add_meta(es_pb *m, const char *key, const char *value)
{
    es_pb e = {0};
    es_pb_string(&e, ENTRY_KEY, key);
    es_pb_string(&e, ENTRY_VALUE, value);
    es_pb_message(m, MODEL_METADATA_PROPS, &e);
    es_pb_free(&e);
}

static void build_graph(es_pb *g, const es_bridge_net *net)
{
    int L = net->n_layers, d0 = net->dims[0];
    es_pb_string(g, GRAPH_NAME, "earshot_bridge");
    es_pb_string(g, GRAPH_DOC, "earshot bridge: sound features -> text "
                               "embedding space");
    int64_t dim0 = d0;
    add_tensor_f32(g, "in_mean", &dim0, 1, net->in_mean, (size_t)d0);
    add_tensor_f32(g, "in_std", &dim0, 1, net->in_std, (size_t)d0);
    add_node(g, "Sub", "center", "features", "in_mean", NULL, "centered",
             NULL, 0);
    add_node(g, "Div", "standardise", "centered", "in_std", NULL,
             "standardised", NULL, 0);

    char prev[32] = "standardised";
    for (int l = 0; l < L; l++) {
        char w[16], b[16], z[16], gname[16];
        snprintf(w, sizeof w, "W%d", l);
        snprintf(b, sizeof b, "B%d", l);
        snprintf(z, sizeof z, "z%d", l);
        snprintf(gname, sizeof gname, "gemm%d", l);
        int64_t wd[2] = {net->dims[l + 1], net->dims[l]};
        size_t o = (size_t)net->dims[l + 1], in = (size_t)net->dims[l];
        add_tensor_f32(g, w, wd, 2, net->w[l], o * in);
        add_tensor_f32(g, b, &wd[0], 1, net->b[l], o);
        add_node(g, "Gemm", gname, prev, w, b, z, "transB", 1);
        if (l + 1 < L) {
            char h[16], rname[16];
            snprintf(h, sizeof h, "h%d", l);
            snprintf(rname, sizeof rname, "relu%d", l);
            add_node(g, "Relu", rname, z, NULL, NULL, h, NULL, 0);
            snprintf(prev, sizeof prev, "%s", h);
        } else {
            snprintf(prev, sizeof prev, "%s", z);
        }
    }
    if (net->head == ES_BRIDGE_HEAD_TANH) {
        add_node(g, "Tanh", "head_tanh", prev, NULL, NULL, "embedding", NULL, 0);
    } else {
        add_tensor_i64_scalar1(g, "l2_axes", 1);
        add_node(g, "Mul", "l2_square", prev, prev, NULL, "z_sq", NULL, 0);
        add_node(g, "ReduceSum", "l2_sum", "z_sq", "l2_axes", NULL, "z_sumsq",
                 "keepdims", 1);
        add_node(g, "Sqrt", "l2_norm", "z_sumsq", NULL, NULL, "z_norm", NULL, 0);
        add_node(g, "Div", "l2_divide", prev, "z_norm", NULL, "embedding",
                 NULL, 0);
    }
    add_value(g, GRAPH_INPUT, "features", d0);
    add_value(g, GRAPH_OUTPUT, "embedding", net->dims[L]);
}

es_status es_bridge_export_onnx(const es_bridge_net *net,
                                const es_bridge_meta *meta, const char *path,
                                es_error *err)
{
    if (!net || !path)
        return es_fail(err, ES_ERR_INVALID_ARG, "ONNX export: NULL argument");
    if (net->n_layers < 1 || net->n_layers > ES_BRIDGE_MAX_LAYERS)
        return es_fail(err, ES_ERR_INVALID_ARG, "ONNX export: %d layers",
                       net->n_layers);
    es_pb model = {0}, graph = {0}, opset = {0};
    es_pb_int64(&model, MODEL_IR_VERSION, ONNX_IR_VERSION);
    es_pb_string(&model, MODEL_PRODUCER_NAME, "earshot");
    es_pb_string(&model, MODEL_PRODUCER_VERSION, es_version());
    es_pb_string(&model, MODEL_DOC_STRING,
                 "earshot bridge (an MLP from sound features to a text "
                 "embedding space); made by `earshot train`");
    build_graph(&graph, net);
    es_pb_message(&model, MODEL_GRAPH, &graph);
    es_pb_string(&opset, OPSET_DOMAIN, "");
    es_pb_int64(&opset, OPSET_VERSION, ONNX_OPSET);
    es_pb_message(&model, MODEL_OPSET_IMPORT, &opset);
    add_meta(&model, "earshot.head",
             net->head == ES_BRIDGE_HEAD_L2 ? "l2" : "tanh");
    if (meta) {
        char layout[16];
        snprintf(layout, sizeof layout, "%d", meta->features_layout);
        add_meta(&model, "earshot.text_identity", meta->text_identity);
        add_meta(&model, "earshot.input", es_bridge_input_name(meta->input));
        add_meta(&model, "earshot.features_layout", layout);
        if (meta->whisper_identity[0])
            add_meta(&model, "earshot.whisper_identity",
                     meta->whisper_identity);
    }
    es_status st;
    if (model.oom)
        st = es_fail(err, ES_ERR_NOMEM, "%s: out of memory building the ONNX "
                     "model", path);
    else
        st = es_bridge_write_atomic(path, model.data, model.len, err);
    es_pb_free(&model);
    es_pb_free(&graph);
    es_pb_free(&opset);
    return st;
}
