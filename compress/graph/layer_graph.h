// LayerGraph: the forward graph of a TorchScript model reduced to the layers compression
// reasons about (convolutions incl. grouped and depthwise, linear, batch norm,
// activations, pooling, residual add, concat, flatten/view/reshape, dropout), with
// the shape of every layer's output on a given input, parameters and FLOPs.
// Torch-free: the graph is read by compress/graph/layer_graph.cc.
//
//   auto g = BuildLayerGraph(model, {1, 1, 28, 28});
//   for (const LayerNode& n : g->nodes) std::cout << n.name << " " << n.flops << "\n";
//   HONE_RETURN_IF_ERROR(RequireStructuredSupport(*g));   // before channel pruning
//
// FLOPs are multiply-accumulates for the given input (the convention of NNI's
// count_flops_params and of the pruning literature): convolution out_elements x
// (in_channels / groups x kernel area), plus out_elements with a bias; linear
// out_elements x in_features (+ out_elements); batch norm 2 x elements; other ops 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compress/model/script_model.h"
#include "core/status.h"

namespace hone::compress {

enum class OpKind {
  kConv2d,
  kLinear,
  kBatchNorm,
  kActivation,    // relu, relu6/hardtanh, hardswish, silu, sigmoid, tanh, gelu
  kPool,          // max_pool2d, avg_pool2d
  kAdaptivePool,  // adaptive_avg_pool2d, adaptive_max_pool2d
  kAdd,
  kConcat,
  kFlatten,       // flatten, view, reshape
  kDropout,
  kOther,         // anything else: fine for unstructured pruning, an error for structured
};

const char* OpKindName(OpKind kind);

struct LayerNode {
  int id = 0;
  OpKind kind = OpKind::kOther;
  std::string op;      // the TorchScript op, "aten::conv2d"
  std::string name;    // the module path ("layer1.b0.conv1"); functional ops: "<module>/<op>#<n>"
  std::string value;   // the TorchScript value it defines ("%input.5"), for error messages
  std::vector<int> inputs;  // producers of its tensor inputs (ids); -1 is the model's input
  std::vector<int64_t> output_shape;
  std::vector<std::vector<int64_t>> input_shapes;
  // Convolution and linear layers (in/out features for linear).
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t groups = 1;
  std::vector<int64_t> kernel, stride, padding, dilation;
  bool has_bias = false;
  int64_t concat_dim = 0;  // concat: the dimension
  int64_t params = 0;      // parameters the node's layer owns (conv, linear, batch norm)
  int64_t flops = 0;
};

struct LayerGraph {
  std::vector<int64_t> input_shape;
  std::vector<LayerNode> nodes;  // in execution order
  int output = -1;               // the node whose output the model returns
  int64_t total_params = 0;      // every parameter of the model
  int64_t total_flops = 0;
};

// Reads `model`'s forward graph (submodule calls inlined, training-mode branches
// resolved for eval) and runs it once on zeros of `input_shape` to record shapes.
// Errors: a forward that does not take one tensor, or fails on that shape.
StatusOr<LayerGraph> BuildLayerGraph(const ScriptModel& model, const std::vector<int64_t>& input_shape);

// OK when every node is of a kind channel pruning understands; otherwise an error naming
// each unsupported op and its node.
Status RequireStructuredSupport(const LayerGraph& graph);

}  // namespace hone::compress
