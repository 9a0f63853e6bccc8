// The obs pruner: unstructured pruning that compensates for what it removes, from a few
// batches of calibration images and without gradient training (post-training pruning).
// Each selected layer loses as many weights as level's magnitude ranking would take from
// it (per layer, or over a global_group_id, within max_sparse_ratio); which ones, and how
// the others move to make up for them, is decided by the layer-wise Optimal Brain
// Surgeon on that layer's inputs (compress/prune/obs_solver_torch.h). Torch-free.
//
//   pruner: obs
//   config_list: [{op_types: [Conv2d, Linear], sparse_ratio: 0.7, global_group_id: all}]
//   pruner_options: {batches: 16, batch_size: 64, damp: 0.01, solver: auto}
//
// Layers are pruned one after another in execution order, on pruner_options.batches x
// batch_size seeded training images (eval mode). For each, its inputs are recorded twice:
// X in the model as it was and X~ in the model being pruned (earlier layers already
// pruned). The weights first absorb what the earlier layers changed (least squares:
// W' = W X X~^T (X~ X~^T + damp)^-1), then OBS removes the layer's count on X~. Grouped
// convolutions are pruned group by group, each its share of the count. solver: auto
// uses the exact greedy solver (ObsPruneRowsExact) where a group's rows x d^3 <= 3e10 and
// its inverses fit in 1 GiB (every layer of the zoo's resnet20), else the blocked one;
// blocked always uses the blocked one (faster, worse masks). Batch-norm statistics are
// left as they are (--calibrate-bn re-estimates them).
#pragma once

#include "compress/prune/data_pruners.h"
#include "compress/prune/pruner.h"

namespace hone::compress {

// Errors: no data, a config that selects no layer, a selected layer whose input cannot be
// observed (inside a branch or loop of the forward graph), images the model does not
// accept, a layer Hessian that stays singular after dampening.
StatusOr<PruneResult> PruneWeightsObs(ScriptModel& model, const LayerGraph& graph, const PruneConfig& config,
                                      const ScoringData& data);

}  // namespace hone::compress
