// The supernet of a cell space: every edge of the cell holds all candidate operations and
// computes their weighted sum, the weights given with the input, so one network serves
// every one-shot strategy: DARTS passes softmax(alpha), GDAS a straight-through one-hot
// Gumbel sample, ENAS and SPOS the one-hot path of a sampled architecture. Operations
// whose weight is exactly zero are not computed, so a one-hot path costs what the
// stand-alone network costs.
//
//   auto net = BuildSupernet(space, /*seed=*/0);
//   at::Tensor w = PathWeights(*net, arch);                       // edges x operations, one-hot
//   at::Tensor logits = net->module.forward({x, w}).toTensor();
//   auto standalone = ExtractArchitecture(*net, space, arch);     // the same function, alone
//
// The cells of a network share one architecture (one weight row per edge of the cell).
// Supported: nb201-style cell spaces (the network of arch_model.h: stem, cells,
// residual reductions, bn-relu, pooling, classifier, with the same module names).
#pragma once

#include <torch/script.h>

#include <cstdint>
#include <vector>

#include "compress/model/script_model.h"
#include "core/status.h"
#include "nas/space/architecture.h"
#include "nas/space/model_space.h"

namespace hone::nas {

struct Supernet {
  torch::jit::Module module;          // forward(x, weights) -> logits
  std::vector<CellEdge> edges;        // the cell's edges in weight-row order (op unset)
  std::vector<Operation> operations;  // the weight columns
};

// Errors: a space other than an nb201-style cell space.
StatusOr<Supernet> BuildSupernet(const ModelSpace& space, uint64_t seed);

// The one-hot weights (edges x operations, float) of `arch`'s path.
at::Tensor PathWeights(const Supernet& net, const Architecture& arch);

// The architecture taking, on every edge, the operation of largest weight (`none` left out
// when `skip_none` and another operation exists, as DARTS derives its cells).
Architecture ArchitectureFromWeights(const Supernet& net, const at::Tensor& weights, bool skip_none);

// The stand-alone network of `arch` (BuildArchitectureModel) with the supernet's weights
// and batch-norm statistics of `arch`'s path: it computes what the supernet computes on
// that path.
StatusOr<compress::ScriptModel> ExtractArchitecture(const Supernet& net, const ModelSpace& space,
                                                    const Architecture& arch);

// Edges of a cell whose operation is skip_connect.
int SkipCount(const Architecture& arch);

}  // namespace hone::nas
