// The data-driven pruners' filter scores: each ranks the output filters of the layers a
// PruneConfig selects from a few batches of training data (lower scores are removed
// first, by PruneWeights or PruneChannelGroupsByScore). Torch-free.
//
//   taylor           first-order Taylor importance (Molchanov et al. 2019): per batch,
//                    (sum over the filter of weight x gradient of the loss)^2, summed
//                    over `batches` batches; the filters whose removal changes the loss least
//   apoz             average percentage of zeros (Hu et al. 2016) of the activation after
//                    the layer (its batch norm and activation function; relu of the
//                    layer's output when no activation follows): score 1 - APoZ, so the
//                    filters most often zero go first
//   mean_activation  the mean of that activation: the weakest filters go first
//   slim             network slimming (Liu et al. 2017): `sparsity_epochs` epochs of SGD
//                    with an L1 penalty (sparsity_lambda x sum |gamma|) on the scales of
//                    the batch norms right after the selected layers, then |gamma|; the
//                    model is trained in place. Every selected layer needs such a batch norm.
//
// taylor, apoz and mean_activation leave the model's weights as they were (eval mode: no
// batch-norm statistics move).
#pragma once

#include <cstdint>
#include <cstdio>

#include "compress/data/image_set.h"
#include "compress/prune/pruner.h"

namespace hone::compress {

struct ScoringData {
  const ImageSet* train = nullptr;  // the images scored (and slim's sparsity training set)
  Normalization norm;
  int threads = 0;
  uint64_t seed = 0;                // which images, in which order
  std::FILE* progress = nullptr;    // slim's training progress; obs's, a line per layer
};

// Errors: a pruner that is not data-driven, no data, a selected layer whose activation
// or batch norm cannot be found, images the model does not accept.
StatusOr<FilterScoreMap> DataFilterScores(ScriptModel& model, const LayerGraph& graph, const PruneConfig& config,
                                          const ScoringData& data);

}  // namespace hone::compress
