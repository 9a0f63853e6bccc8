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
//
// A user fine-tuner (PruneData::finetuner, see model_command.h) runs after every step,
// after any in-process fine-tuning: the masked model goes to it as a TorchScript file,
// the parameters and buffers of the model it saves come back by name, and the masks are
// re-applied, so pruned weights stay exactly zero. A one-shot run with speedup leaves its
// fine-tuning to the caller, on the sped-up model (PruneRun::finetune_after_speedup).
// A user evaluator gives the accuracy after every step of a multi-step schedule when
// there is no test set.
#pragma once

#include <cstdio>
#include <vector>

#include "compress/data/image_set.h"
#include "compress/external/model_command.h"
#include "compress/graph/layer_graph.h"
#include "compress/prune/channel_groups.h"
#include "compress/prune/pruner.h"
#include "compress/train/trainer.h"

namespace hone::compress {

// The training options of a schedule's fine-tuning (its optimizer, lr, epochs and batch
// size), with the caller's threads, seed and progress stream.
TrainOptions FinetuneOptions(const PruneSchedule& schedule, int threads, uint64_t seed, std::FILE* progress);

struct PruneData {
  const ImageSet* train = nullptr;  // scoring and fine-tuning (needed by the data-driven
                                    // pruners and by finetune_epochs > 0)
  const ImageSet* test = nullptr;   // accuracy after every step, when given
  Normalization norm;
  int threads = 0;
  uint64_t seed = 0;
  std::FILE* progress = nullptr;    // a line per step, and fine-tuning progress
  ModelCommand finetuner = {};      // empty: none
  ModelCommand evaluator = {};      // empty: none
  // How the commands run: working_dir and python_path (progress is the one above).
  ModelCommandCall command_settings = {};
};

struct PruneStep {
  int step = 0;                      // 1-based
  std::vector<double> rule_ratios;   // per config_list entry, this step's sparse_ratio
  PruneResult result;
  std::vector<EpochStats> finetune;
  bool finetuned_by_command = false; // the user's fine-tuner ran after this step
  double test_accuracy = -1;         // after fine-tuning; -1 without a test set or evaluator
};

struct PruneRun {
  std::vector<PruneStep> steps;
  PruneResult result;                      // the last step's
  ChannelAnalysis groups;                  // speedup: the model's channel groups
  std::vector<std::vector<int64_t>> kept;  // speedup: per group, the channels kept (empty: all)
  // One-shot with speedup and a fine-tuner: the caller runs FinetuneWithCommand on the
  // sped-up model.
  bool finetune_after_speedup = false;
};

// Errors: those of the pruners and of training; a data-driven pruner or fine-tuning
// without training data.
StatusOr<PruneRun> RunPruning(ScriptModel& model, const LayerGraph& graph, const PruneConfig& config,
                              const PruneData& data);

// Saves `model` to a scratch file, runs `finetuner` on it (phase "finetune", this `step`)
// with `settings`' working_dir, python_path and progress, and copies the parameters and
// buffers of the model it saved into `model` by name. Masks are the caller's to re-apply.
// Errors: those of RunModelCommand; a saved model that does not load, or whose parameter
// or buffer names or shapes differ from `model`'s.
Status FinetuneWithCommand(ScriptModel& model, const ModelCommand& finetuner, int step,
                           const ModelCommandCall& settings);

// Saves `model` to a scratch file and returns `evaluator`'s score for it.
StatusOr<double> EvaluateWithCommand(const ScriptModel& model, const ModelCommand& evaluator, int step,
                                     const ModelCommandCall& settings);

// Copies every parameter and buffer of `from` into the one of `into` with the same name.
// Errors (nothing copied): a name missing on either side, or a shape that differs.
Status CopyStateByName(ScriptModel& into, const ScriptModel& from);

}  // namespace hone::compress
