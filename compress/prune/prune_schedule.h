// Pruning as a PruneConfig says, end to end: one-shot or scheduled (iterative, agp; see
// PruneSchedule in prune_config.h), with any pruner, masked or ready for speedup, and
// fine-tuning between steps. Torch-free.
//
//   PruneData data{.train = &train, .test = &test, .norm = norm};
//   auto run = RunPruning(model, graph, config, data);   // `model` ends masked
//   if (config.speedup) auto small = Speedup(model, graph, run->groups, run->kept);
//
// Each step t = 1..steps sets every rule's sparse_ratio to ScheduledRatio(schedule,
// target, t), scores the filters on the masked model (weight norms or data), keeps every
// filter removed by an earlier step removed, prunes, and fine-tunes finetune_epochs
// epochs with the masks re-applied after every optimizer step (the pruned weights, and
// with speedup the channels' biases, batch-norm scales and shifts and depthwise filters,
// stay zero). The
// last step reaches the targets exactly as a one-shot run would. A one-shot run of a
// weight-norm pruner is PruneWeights / PruneChannelGroups itself.
#pragma once

#include <cstdio>
#include <vector>

#include "compress/data/image_set.h"
#include "compress/graph/layer_graph.h"
#include "compress/prune/channel_groups.h"
#include "compress/prune/pruner.h"
#include "compress/train/trainer.h"

namespace hone::compress {

struct PruneData {
  const ImageSet* train = nullptr;  // scoring and fine-tuning (needed by the data-driven
                                    // pruners and by finetune_epochs > 0)
  const ImageSet* test = nullptr;   // accuracy after every step, when given
  Normalization norm;
  int threads = 0;
  uint64_t seed = 0;
  std::FILE* progress = nullptr;    // a line per step, and fine-tuning progress
};

struct PruneStep {
  int step = 0;                      // 1-based
  std::vector<double> rule_ratios;   // per config_list entry, this step's sparse_ratio
  PruneResult result;
  std::vector<EpochStats> finetune;
  double test_accuracy = -1;         // after fine-tuning; -1 without a test set
};

struct PruneRun {
  std::vector<PruneStep> steps;
  PruneResult result;                      // the last step's
  ChannelAnalysis groups;                  // speedup: the model's channel groups
  std::vector<std::vector<int64_t>> kept;  // speedup: per group, the channels kept (empty: all)
};

// Errors: those of the pruners and of training; a data-driven pruner or fine-tuning
// without training data.
StatusOr<PruneRun> RunPruning(ScriptModel& model, const LayerGraph& graph, const PruneConfig& config,
                              const PruneData& data);

}  // namespace hone::compress
