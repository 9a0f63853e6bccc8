// AMC (He et al., ECCV 2018): the environment an agent walks through, one channel group
// per step, choosing each group's keep ratio under a FLOPs budget, or under any cost
// model's budget (amc_cost_model.h: a measured latency table). Torch-free.
//
//   auto env = AmcEnvironment::Create(graph, AnalyzeChannels(graph), {.flops_ratio = 0.5});
//   env->Reset();
//   while (!env->Done()) {
//     std::vector<float> s = env->State();     // kStateSize features in [0, 1]
//     double keep = env->Step(agent.Act(s));   // the wall's clipped, rounded keep ratio
//   }
//   env->Widths();   // channels kept per group: masked (amc_episode.h) or sped up (speedup.h)
//
//   // A latency budget: 60% of the table's dense milliseconds.
//   auto table = std::make_shared<LatencyTable>(*MeasureLatencyTable(model, graph, groups, wall, {}));
//   auto fast = AmcEnvironment::Create(graph, groups, {.flops_ratio = 0.6}, table);
//
// State (kStateSize = 11): the 8 static features of amc_layers.h (min-max normalised),
// then FLOPs removed by the decisions so far / dense FLOPs, dense output-side FLOPs of
// the later decisions / dense FLOPs, and the previous decision's keep ratio (1 at the
// first) -- the dynamic features as AMC's reference code scales them. The state speaks
// FLOPs whatever the cost model: the budget is the cost model's, the features are not.
//
// Design, and how the rest of AMC plugs in:
//   - group_flops.h is the cost model, action_wall.h the budget, amc_layers.h the state,
//     this class the episode; ddpg_agent_torch.h the agent; policy_evaluator.h the reward
//     (masking a model by a policy, accuracy on held-out images); amc_search.h the loop
//     of episodes. None of them reads a config or prints.
//   - `pruner: amc` in prune configs: prune_command builds this environment from the
//     config's target (flops_ratio = 1 - total_sparsity, lower_keep = 1 -
//     max_sparsity_per_layer), calls RunAmcSearch with PolicyEvaluator::Accuracy as the
//     reward, and hands the best episode's widths, through PolicyEvaluator::KeptChannels
//     (the base pruner's ranking), to Speedup and the optional fine-tuning, as `prune`
//     does with PruneChannelGroups' kept channels.
//   - latency target: latency_table.h's table of measured per-layer milliseconds at each
//     allowed width replaces the FLOPs model behind AmcCostModel; ActionWall only needs
//     the cost of widths.
//   - `tuner: amc`: a hone tuner proposes a whole policy as one configuration (one keep
//     ratio per AmcLayer, the search space written by a `hone compress` command); it
//     replays RunPolicy on this environment to get the states and clipped actions of
//     each finished trial and feeds them to DdpgAgent::EndEpisode; resuming replays the
//     stored trials in order (the agent is deterministic given its seed and history).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "compress/amc/action_wall.h"
#include "compress/amc/amc_cost_model.h"
#include "compress/amc/amc_layers.h"
#include "compress/amc/group_flops.h"
#include "compress/graph/layer_graph.h"
#include "compress/prune/channel_groups.h"
#include "core/status.h"

namespace hone::compress {

using AmcOptions = WallOptions;

class AmcEnvironment {
 public:
  static constexpr int kStateSize = kStaticFeatures + 3;

  // Decisions are the AmcLayers with more than one allowed width in their keep range.
  // Errors: invalid options; a model with no decision; a budget the network cannot meet
  // with every decision at its cheapest width (for FLOPs the lowest).
  static StatusOr<AmcEnvironment> Create(const LayerGraph& graph, const ChannelAnalysis& groups,
                                         const AmcOptions& options);
  // The budget is options.flops_ratio x cost->Dense() in the cost's unit (null: FLOPs, as
  // above).
  static StatusOr<AmcEnvironment> Create(const LayerGraph& graph, const ChannelAnalysis& groups,
                                         const AmcOptions& options, std::shared_ptr<const AmcCostModel> cost);

  const std::vector<AmcLayer>& layers() const { return layers_; }
  int64_t DenseFlops() const { return flops_.DenseFlops(); }
  // The FLOPs budget; with another cost model, the dense FLOPs (no FLOPs limit).
  int64_t TargetFlops() const { return flops_budget_ ? wall_.TargetFlops() : flops_.DenseFlops(); }
  // The budget's cost model, its dense cost, the budget and the current widths' cost.
  const AmcCostModel& cost_model() const { return wall_.cost(); }
  bool flops_budget() const { return flops_budget_; }
  double DenseCost() const { return wall_.cost().Dense(); }
  double Budget() const { return wall_.Target(); }
  double Cost() const { return wall_.cost().Cost(widths_); }
  const GroupFlopsModel& flops_model() const { return flops_; }
  const ActionWall& wall() const { return wall_; }

  // Starts an episode: every group at full width, at decision 0.
  void Reset();
  bool Done() const { return step_ == static_cast<int>(layers_.size()); }
  int step() const { return step_; }

  // The current decision's state. REQUIRES: !Done().
  std::vector<float> State() const;

  // Decides the current layer from `action` (a keep ratio) through the wall, moves to the
  // next, and returns the keep ratio applied (kept channels / channels). REQUIRES: !Done().
  double Step(double action);

  // A fresh episode with one action per decision; returns the keep ratios applied.
  std::vector<double> RunPolicy(const std::vector<double>& actions);

  // Channels kept per group (undecided and non-decision groups at full width).
  const std::vector<int64_t>& Widths() const { return widths_; }
  // Keep ratios applied so far, one per decision taken.
  const std::vector<double>& KeepRatios() const { return keeps_; }
  int64_t Flops() const { return flops_.Flops(widths_); }

 private:
  AmcEnvironment(GroupFlopsModel flops, ActionWall wall, bool flops_budget)
      : flops_(std::move(flops)), wall_(std::move(wall)), flops_budget_(flops_budget) {}

  GroupFlopsModel flops_;
  ActionWall wall_;
  bool flops_budget_ = true;
  std::vector<AmcLayer> layers_;
  std::vector<std::array<double, kStaticFeatures>> features_;
  std::vector<int64_t> widths_;
  std::vector<double> keeps_;
  int step_ = 0;
};

}  // namespace hone::compress
