// The weight-sharing supernet of a chain space, once-for-all style: each stage holds its
// largest depth of inverted-residual blocks at the largest width, expansion and kernel,
// and a path (an architecture of the space) uses a part of it: the first `width` output
// channels, the first `input channels x expansion` hidden channels, the centre k x k of
// each depthwise kernel, the first `depth` blocks of each stage, and slices of the
// largest batch norms. On a path the supernet computes what the stand-alone chain
// network of arch_model.h computes with the sliced weights (same module names).
//
//   auto net = BuildChainSupernet(space, /*seed=*/0);
//   std::vector<int64_t> path = ChainPath(space, arch);
//   at::Tensor logits = ChainForward(*net, x, path);
//   CalibrateChainBatchNorm(*net, path, batches);              // the path's statistics
//   auto standalone = ExtractChainArchitecture(*net, space, arch);
//
// The path argument of forward is a List[int]: per block of the largest network (stage
// by stage, each stage's largest depth), four ints: used (0 or 1), width, kernel and
// expansion.
#pragma once

#include <torch/script.h>

#include <cstdint>
#include <vector>

#include "compress/model/script_model.h"
#include "core/status.h"
#include "nas/space/architecture.h"
#include "nas/space/model_space.h"

namespace hone::nas {

struct ChainSupernet {
  torch::jit::Module module;  // forward(x, path: List[int]) -> logits
};

// Weights from `seed` (libtorch's global generator is reseeded). Errors: a space other
// than a chain space, or one whose input is too small for its strides.
StatusOr<ChainSupernet> BuildChainSupernet(const ModelSpace& space, uint64_t seed);

// The path argument of `arch` (4 ints per block of the largest network).
// REQUIRES: arch is an architecture of `space` (ArchitectureOf).
std::vector<int64_t> ChainPath(const ModelSpace& space, const Architecture& arch);

at::Tensor ChainForward(const ChainSupernet& net, const at::Tensor& x, const std::vector<int64_t>& path);

// The running statistics of `path`: every batch norm is reset, then `batches` go through
// the path in training mode, each batch norm keeping the cumulative average of their
// statistics (as SPOS re-estimates them per candidate). Leaves the module in eval mode.
void CalibrateChainBatchNorm(ChainSupernet& net, const std::vector<int64_t>& path,
                             const std::vector<at::Tensor>& batches);

// The stand-alone network of `arch` (BuildArchitectureModel) with the supernet's sliced
// weights and batch-norm statistics: it computes what the supernet computes on `arch`'s
// path, in training and in eval mode.
StatusOr<compress::ScriptModel> ExtractChainArchitecture(const ChainSupernet& net, const ModelSpace& space,
                                                         const Architecture& arch);

}  // namespace hone::nas
