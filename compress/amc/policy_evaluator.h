// The reward side of an AMC episode: the accuracy, without fine-tuning, of a trained
// model pruned to a policy's widths, on held-out images. Within each channel group the
// base pruner's ranking (l1 by default; l2, fpgm) picks the channels kept: the group's
// producers' per-weight filter scores summed, as PruneChannelGroups ranks them. The
// removed channels are masked (filters, biases and what follows them zeroed, see
// speedup.h), which computes what the sped-up model computes, without rebuilding it each
// episode. Torch-free.
//
//   auto eval = PolicyEvaluator::Create(model, graph, groups, held_out, norm);
//   double acc = *eval->Accuracy(env.Widths());               // one episode's reward
//   auto small = Speedup(model, graph, groups, eval->KeptChannels(best_widths));
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "compress/data/image_set.h"
#include "compress/graph/layer_graph.h"
#include "compress/model/script_model.h"
#include "compress/prune/channel_groups.h"
#include "compress/prune/pruner_kind.h"
#include "core/status.h"

namespace hone::compress {

struct PolicyEvalOptions {
  PrunerKind ranking = PrunerKind::kL1;  // l1 | l2 | fpgm
  int64_t batch_size = 500;
  int threads = 0;  // libtorch intra-op threads for Create and Accuracy; <= 0: left as they are
  // Batch-norm statistics re-estimated on each masked model before it is scored
  // (batchnorm_calibration.h, the same seeded batches every time): this many batches of
  // `calibration` images; 0: off (the dense model's statistics).
  int64_t calibrate_bn = 0;
  const ImageSet* calibration = nullptr;  // required with calibrate_bn > 0; outlives the evaluator
};

class PolicyEvaluator {
 public:
  // Works on a copy of `model` (the caller's is not changed); ranks every prunable group's
  // channels once. Errors: a ranking that is not l1, l2 or fpgm; no images; images the
  // model does not accept.
  static StatusOr<PolicyEvaluator> Create(const ScriptModel& model, const LayerGraph& graph,
                                          const ChannelAnalysis& groups, const ImageSet& images,
                                          const Normalization& norm, const PolicyEvalOptions& options = {});
  ~PolicyEvaluator();
  PolicyEvaluator(PolicyEvaluator&&) noexcept;
  PolicyEvaluator& operator=(PolicyEvaluator&&) noexcept;

  // Top-1 accuracy in [0, 1] with group g keeping its widths[g] best-ranked channels
  // (one entry per group; a non-prunable group must stay at its full width), after the
  // batch-norm calibration when the options ask for it.
  StatusOr<double> Accuracy(const std::vector<int64_t>& widths);

  // Per group, the channels `widths` keeps, ascending (empty: all), as Speedup takes them.
  std::vector<std::vector<int64_t>> KeptChannels(const std::vector<int64_t>& widths) const;

 private:
  struct State;
  explicit PolicyEvaluator(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace hone::compress
