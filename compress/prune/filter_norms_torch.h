// The per-filter weight-norm scores of the l1, l2 and fpgm pruners, shared by masking
// (pruner.cc) and channel-group pruning (speedup.cc). Lower scores are removed first.
#pragma once

#include <ATen/ATen.h>

#include "compress/prune/pruner_kind.h"

namespace hone::compress {

// One score per output filter (dimension 0) of `weight`: l1 the sum of |w|, l2 the L2
// norm, fpgm the sum of L2 distances to the layer's other filters (He et al. 2019).
// `per_weight` divides by the filter's size (mean |w|, RMS, mean distance per weight and
// other filter), so that layers of different fan-in compare fairly.
// REQUIRES: PrunerTraitsOf(pruner).scoring == PrunerScoring::kWeightNorm.
at::Tensor WeightNormScores(PrunerKind pruner, const at::Tensor& weight, bool per_weight);

}  // namespace hone::compress
