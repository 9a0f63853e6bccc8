// The pieces int8 conversion (int8_model.h) and dynamic quantization (dynamic_quant.h)
// share: the convolution and linear layers of an eval-mode forward graph, their weights
// packed for ATen's quantized kernels (quantized::conv2d_prepack, linear_prepack, called
// through the dispatcher), packed weights stored on the module, and the pass that keeps
// tensors quantized between layers.
#pragma once

#include <torch/script.h>

#include <memory>
#include <string>
#include <vector>

#include "compress/quant/int8_model.h"
#include "compress/quant/quant_params.h"
#include "core/status.h"

namespace hone::compress {

// A convolution or linear node of the graph whose weight is a module attribute.
struct LayerOp {
  torch::jit::Node* node = nullptr;
  std::string layer;  // module path ("layer1.b0.conv1")
  std::string op;     // "conv2d", "linear", "conv1d", "conv3d", "conv_transpose2d", ...
  std::string why_float;  // the graph-level reason it cannot be quantized ("" when it can)
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups = 1;
};

// Every convolution and linear node of `graph` (an EvalGraph of `module`), in graph order.
std::vector<LayerOp> FindLayerOps(torch::jit::Module& module, torch::jit::Graph& graph);

// The layer's weight and bias (undefined when it has none), read from the module.
at::Tensor LayerWeight(torch::jit::Module& module, const LayerOp& op);
at::Tensor LayerBias(torch::jit::Module& module, const LayerOp& op);

// `w` as a per-channel qint8 tensor on `grid` (axis 0).
at::Tensor QuantizeWeight(const at::Tensor& w, const ChannelParams& grid);

// Packed weights (a Conv2dPackedParamsBase or LinearPackedParamsBase object) for `op` on
// the current quantized engine. Errors: the engine refuses the layer (the message says why).
StatusOr<c10::IValue> PackWeights(const LayerOp& op, const at::Tensor& w_q, const at::Tensor& bias);

// Registers `packed` on `module` as attribute `name` and returns prim::GetAttr of it in
// `graph` (inserted at the graph's insertion point).
torch::jit::Value* AddPackedAttr(torch::jit::Module& module, torch::jit::Graph& graph, const std::string& name,
                                 const c10::IValue& packed);

// Replaces the weight and bias of each of `layers` by empty tensors when `graph` (the new
// forward) no longer reads them, so the saved model stores only the packed int8 weights.
void DropFloatWeights(torch::jit::Module& module, torch::jit::Graph& graph, const std::vector<std::string>& layers);

// Moves aten::dequantize past ops that run on quantized tensors (relu, hardtanh, pooling,
// flatten and reshapes, adds that a later quantize point fixes the scale of) and drops
// dequantize -> quantize_per_tensor pairs with the same parameters.
void PropagateQuantized(const std::shared_ptr<torch::jit::Graph>& graph);


}  // namespace hone::compress
