// The inputs of convolution and linear layers on calibration images, as the layer-wise
// solvers read them (the obs pruner, OBQ weight quantization): a function returning
// chosen layers' inputs from the model's forward graph (GraphProbe), and a layer's input
// as columns X (d x n), whose Gram matrix X X^T gives the layer's Hessian H = 2 X X^T / n.
//
//   auto fn = LayerInputsProbe(module, graph, {node_id}, "obq");
//   at::Tensor x = ProbedLayerInput(**fn, module, images, 0);
//   for (const at::Tensor& cols : InputColumns(graph.nodes[node_id], x)) gram += cols.matmul(cols.t());
#pragma once

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "compress/graph/layer_graph.h"
#include "core/status.h"

namespace hone::compress {

// A layer's input `x` as d x columns, one tensor per group: a convolution's unfolded
// patches (d = in_channels / groups x kernel area, columns = batch x output positions),
// a linear layer's rows (d = in_features). REQUIRES: `n` is a convolution or linear layer.
std::vector<at::Tensor> InputColumns(const LayerNode& n, const at::Tensor& x);

// A function of (module, images) returning the input of each of `nodes` (ids in `graph`)
// as a tuple, in that order; it runs on `module` and on modules of the same type (clones).
// Errors ("<who> cannot observe the input of layer ..."): a layer whose input is not in
// the forward graph's top block (inside a branch or loop).
StatusOr<std::unique_ptr<torch::jit::GraphFunction>> LayerInputsProbe(const torch::jit::Module& module,
                                                                      const LayerGraph& graph,
                                                                      const std::vector<int>& nodes,
                                                                      const std::string& who);

// Input `index` of such a function on `images`, as float32.
at::Tensor ProbedLayerInput(torch::jit::GraphFunction& fn, torch::jit::Module& module, const at::Tensor& images,
                            size_t index);

}  // namespace hone::compress
