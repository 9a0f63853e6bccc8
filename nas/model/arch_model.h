// The stand-alone network of one architecture of a model space, as a TorchScript model
// (compress::ScriptModel), ready to train with `hone compress train --init`, to evaluate,
// prune or quantize, and to load in Python with torch.jit.load. Torch-free.
//
//   auto space = LoadModelSpace("nb201-small");
//   auto arch = ArchitectureOf(*space, config);
//   auto model = BuildArchitectureModel(*space, *arch, /*seed=*/0);
//
// Cell spaces: a 3x3 conv-bn stem, the stages of cells (nb201: a residual stride-2 block
// starts each later stage; darts: a reduction cell does, each cell reads the two previous
// cells' outputs through 1x1 relu-conv-bn preprocessing, or a factorized reduce after a
// reduction), then (nb201) bn-relu, global average pooling and a linear classifier.
// Edges whose operation is `none` are left out of their node's sum (a node with only
// `none` inputs is zeros). Chain spaces: a 3x3 conv-bn-relu6 stem, the inverted residual
// blocks, an optional 1x1 conv-bn-relu6 head, pooling and the classifier.
#pragma once

#include <cstdint>

#include "compress/model/script_model.h"
#include "core/status.h"
#include "nas/space/architecture.h"
#include "nas/space/model_space.h"

namespace hone::nas {

// Weights are initialised from `seed` (libtorch's global generator is reseeded). Errors:
// an architecture that does not fit the space (a cell of another size), an input too
// small for the space's reductions.
StatusOr<compress::ScriptModel> BuildArchitectureModel(const ModelSpace& space, const Architecture& arch,
                                                       uint64_t seed);

// The same network for weights that will be overwritten (a supernet's path copied in):
// libtorch's global generator is left as it was, so a caller's random stream goes on.
StatusOr<compress::ScriptModel> BuildArchitectureShell(const ModelSpace& space, const Architecture& arch);

}  // namespace hone::nas
