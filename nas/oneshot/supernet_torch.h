// The supernet of a cell space: every edge of the cell holds all candidate operations and
// computes their weighted sum, the weights given with the input, so one network serves
// every one-shot strategy: DARTS passes softmax(alpha), GDAS a straight-through one-hot
// Gumbel sample, ENAS and SPOS the one-hot path of a sampled architecture. Operations
// whose weight is exactly zero are not computed (an edge whose row is all zeros adds
// nothing), so a one-hot path costs what the stand-alone network costs.
//
//   auto net = BuildSupernet(space, /*seed=*/0);
//   at::Tensor w = PathWeights(*net, arch);                       // rows x operations, one-hot
//   at::Tensor logits = net->module.forward({x, w}).toTensor();
//   auto standalone = ExtractArchitecture(*net, space, arch);     // the same function, alone
//
// Both styles build the network of arch_model.h with its module names (a cell's edge
// e<to>_<from> holds one module per operation, named after it), so that a path's weights
// copy into the stand-alone network:
//   nb201  stem, cells, residual reductions, bn-relu, pooling, classifier. One weight row
//          per edge of the cell (edge_<to>_<from> order); all cells share it.
//   darts  stem, normal cells and the reduction cells that start later stages, each
//          reading the two previous cells' outputs through the same preprocessing, the
//          concatenated nodes, pooling, classifier. Every intermediate node k (k >= 2)
//          sums a mixed edge from EVERY earlier node (the two cell inputs 0 and 1 and the
//          intermediate nodes before k); the rows are the normal cell's edges (node by
//          node, `from` ascending), then, with more than one stage, the reduction cell's.
//          A path's rows are one-hot on the two edges each node keeps, zero elsewhere.
#pragma once

#include <torch/script.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "compress/model/script_model.h"
#include "core/status.h"
#include "nas/space/architecture.h"
#include "nas/space/model_space.h"

namespace hone::nas {

struct Supernet {
  torch::jit::Module module;          // forward(x, weights) -> logits
  CellStyle style = CellStyle::kNb201;
  std::vector<CellEdge> edges;        // the weight rows' edges (op unset); darts: normal, then reduction
  size_t normal_edges = 0;            // rows of the normal cell (nb201: all)
  std::vector<Operation> operations;  // the weight columns
  std::vector<bool> reduction_cells;  // per cell of the network (cell0, cell1, ...): a reduction cell
};

// Errors: a space other than a cell space.
StatusOr<Supernet> BuildSupernet(const ModelSpace& space, uint64_t seed);

// The one-hot weights (rows x operations, float) of `arch`'s path.
at::Tensor PathWeights(const Supernet& net, const Architecture& arch);

// The architecture `weights` (rows x operations) pick. nb201: on every edge the operation
// of largest weight. darts (DARTS's rule): each node keeps the two incoming edges whose
// strongest operation weighs most, each with that operation (ties: the earlier edge).
// With `skip_none`, `none` is left out when another operation exists, as DARTS derives
// its cells; without it, a one-hot path gives back its architecture.
Architecture ArchitectureFromWeights(const Supernet& net, const at::Tensor& weights, bool skip_none);

// The stand-alone network of `arch` (BuildArchitectureModel) with the supernet's weights
// and batch-norm statistics of `arch`'s path: it computes what the supernet computes on
// that path.
StatusOr<compress::ScriptModel> ExtractArchitecture(const Supernet& net, const ModelSpace& space,
                                                    const Architecture& arch);

// Edges of the (normal) cell whose operation is skip_connect; a darts reduction cell's
// are not counted (the skip-collapse guard watches the normal cell).
int SkipCount(const Architecture& arch);

}  // namespace hone::nas
