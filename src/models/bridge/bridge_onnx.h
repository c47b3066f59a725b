/* bridge_onnx.h — export of a bridge to ONNX (opset 13), so other tools can
 * run it: Sub/Div (standardisation) → Gemm (transB=1) → Relu … → Gemm →
 * Tanh, or for the L2 head ReduceL2-free form: z / sqrt(sum(z²)) with
 * Mul/ReduceSum/Sqrt/Div. Input "features" [N × in], output "embedding"
 * [N × out] = the head output (not renormalised for TANH).
 * Written with a small hand-made protobuf encoder (no protobuf library). */
#ifndef ES_MODELS_BRIDGE_ONNX_H
#define ES_MODELS_BRIDGE_ONNX_H

#include "earshot.h"
#include "models/bridge/bridge_model.h"

es_status es_bridge_export_onnx(const es_bridge_net *net,
                                const es_bridge_meta *meta, const char *path,
                                es_error *err);

#endif
