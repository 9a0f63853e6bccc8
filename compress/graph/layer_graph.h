// LayerGraph: the forward graph of a TorchScript model reduced to the layers compression
// reasons about (convolutions incl. grouped and depthwise, linear, batch norm,
// activations, pooling, spatial means, residual add, element-wise mul (squeeze-excitation
// gates), concat, flatten/view/reshape, dropout), with the shape of every layer's output
// on a given input, parameters and FLOPs. Ops it does not know are kOther nodes: channel
// pruning keeps the channels they touch and prunes the rest.
// Torch-free: the graph is read by compress/graph/layer_graph.cc.
//
//   auto g = BuildLayerGraph(model, {1, 1, 28, 28});
//   for (const LayerNode& n : g->nodes) std::cout << n.name << " " << n.flops << "\n";
//   if (!RequireStructuredSupport(*g).ok()) ...   // some channels will stay as they are
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
  kActivation,    // relu, relu6/hardtanh, hardswish, hardsigmoid, silu, sigmoid, tanh, gelu, ...
  kPool,          // max_pool2d, avg_pool2d
  kAdaptivePool,  // adaptive_avg_pool2d, adaptive_max_pool2d
  kMean,          // mean over `dims` (x.mean((2, 3), keepdim=True) of a squeeze-excitation block)
  kAdd,           // add, sub
  kMul,           // element-wise mul, div (x * gate)
  kConcat,
  kFlatten,       // flatten, view, reshape
  kDropout,
  kOther,         // anything else: fine for unstructured pruning; structured pruning keeps
                  // the channels it reads
};

const char* OpKindName(OpKind kind);

struct LayerNode {
  int id = 0;
  OpKind kind = OpKind::kOther;
  std::string op;      // the TorchScript op, "aten::conv2d"
  std::string name;    // the module path ("layer1.b0.conv1"); functional ops: "<module>/<op>#<n>"
  std::string value;   // the TorchScript value it defines ("%input.5"), for error messages
  std::vector<int> inputs;  // producers of its tensor inputs (ids); -1 is the model's input
  int tensor_operands = 0;  // tensor inputs incl. parameters and constants (add, mul)
  std::vector<int64_t> output_shape;  // empty for an op whose result is not one tensor (chunk)
  std::vector<std::vector<int64_t>> input_shapes;
  // Convolution and linear layers (in/out features for linear).
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t groups = 1;
  std::vector<int64_t> kernel, stride, padding, dilation;
  bool has_bias = false;
  int64_t concat_dim = 0;  // concat: the dimension
  std::vector<int64_t> dims;  // mean: the dimensions reduced (empty: all)
  bool fixed_shape = false;   // view/reshape to a channel size written in the code (view(-1, 16))
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
// each op whose channels structured pruning keeps as they are, and its node (channel
// pruning itself does not refuse such a model: it prunes the channels those ops do not
// touch).
Status RequireStructuredSupport(const LayerGraph& graph);

}  // namespace hone::compress
