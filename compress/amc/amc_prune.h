// `pruner: amc` in `hone compress prune`, end to end: an AMC search (amc_search.h) over the
// model's channel groups under the config's FLOPs budget (or, with amc.target latency, a
// budget in the milliseconds of a latency table measured first: latency_table.h), each
// episode rewarded by the
// masked model's accuracy on held-out TRAINING images (never the test set); the best
// policy's widths, through the base pruner's ranking (PolicyEvaluator::KeptChannels), go
// to Speedup; the small model is then fine-tuned in process when
// schedule.finetune_epochs > 0, on the training images that were not held out (which
// also re-estimate batch-norm statistics with amc.calibrate_bn, per episode and once on
// the exported model). Progress
// (amc_progress.h) and a summary go to `progress`. Torch-free.
//
//   AmcPruneData data{.train = &train, .norm = norm, .threads = 2, .seed = 1, .progress = stdout};
//   nlohmann::json report;
//   auto small = RunAmcPruning(model, graph, config, data, report);   // config.amc set
//   // report["amc"]: episodes, best reward and episode, keep ratios and widths per
//   // decision, FLOPs before and after, held-out size, fine-tuning epochs; with target
//   // latency, report["amc"]["latency"]: batch, dense, budget, the best policy's
//   // estimated ms and the sped-up model's measured ms at that batch.
//
// The held-out images are the LAST amc.held_out images of `train` (Fashion-MNIST's and
// CIFAR's training files are in no class order); fine-tuning uses the ones before them.
#pragma once

#include <cstdint>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "compress/data/image_set.h"
#include "compress/graph/layer_graph.h"
#include "compress/model/script_model.h"
#include "compress/prune/prune_config.h"
#include "core/status.h"

namespace hone::compress {

struct AmcPruneData {
  const ImageSet* train = nullptr;  // required
  Normalization norm;
  int threads = 0;                  // libtorch threads (<= 0: left as they are)
  uint64_t seed = 0;                // used when amc.seed is not given; fine-tuning's seed
  std::FILE* progress = nullptr;
};

// Errors: config.amc unset; no training data, or not more than amc.held_out images when
// fine-tuning; a budget the model cannot meet (AmcEnvironment::Create); the evaluator's,
// Speedup's and training's errors.
StatusOr<ScriptModel> RunAmcPruning(const ScriptModel& model, const LayerGraph& graph, const PruneConfig& config,
                                    const AmcPruneData& data, nlohmann::json& report);

// Splits `train` into its first count - n images (`rest`) and its last n (`held_out`).
// REQUIRES: 0 < n <= train.count.
void SplitHeldOut(const ImageSet& train, int64_t n, ImageSet& rest, ImageSet& held_out);

}  // namespace hone::compress
