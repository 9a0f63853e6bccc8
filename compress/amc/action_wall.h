// AMC's action wall: turns the agent's keep ratio for one decision into a channel count
// that keeps the budget reachable. The budget is in the units of an AmcCostModel
// (amc_cost_model.h): FLOPs, or the milliseconds of a measured latency table; "FLOPs"
// below reads as that cost. Torch-free.
//
// Widths a group may keep are the multiples of `round_to` up to its channels, plus its
// full width (a group narrower than round_to has only its full width, and is no
// decision). A decision's lowest width is the smallest allowed width >= lower_keep x
// channels (so never 0 channels); its highest the largest allowed <= upper_keep x
// channels (at least the lowest). Clip(kept, t, a):
//   1. clamps a to [lower_keep, upper_keep] (NaN -> lower_keep),
//   2. rounds a x channels to the nearest allowed width in the decision's range (ties up),
//   3. lowers it, one allowed width at a time, while the network with decisions before t
//      at `kept`, decision t at the width and every later decision at its cheapest width
//      would exceed the target FLOPs; if even the lowest width would, it takes decision
//      t's cheapest width.
// The cheapest width is the cost model's (AmcCostModel::CheapestWidth): for FLOPs the
// lowest; for a measured latency table the fastest, which need not be the narrowest.
// Create refuses a budget the network cannot meet with every decision at its cheapest
// width; from then on step 3 always finds a width (by induction: the cheapest width of
// decision t met the budget when decision t-1 was clipped), so a finished policy never
// misses the budget, and rounding never pushes it over (the rounded width is checked).
//
//   auto wall = ActionWall::Create(flops, {g0, g1, g2}, {.flops_ratio = 0.5});  // or a cost model
//   std::vector<int64_t> kept = flops.DenseWidths();
//   for (int t = 0; t < 3; ++t) kept[decision_group[t]] = wall->Clip(kept, t, agent_action[t]);
//   assert(flops.Flops(kept) <= wall->TargetFlops());   // wall->cost().Cost(kept) <= wall->Target()
#pragma once

#include <cstdint>
#include <vector>

#include <memory>

#include "compress/amc/amc_cost_model.h"
#include "compress/amc/group_flops.h"
#include "core/status.h"

namespace hone::compress {

struct WallOptions {
  double flops_ratio = 0.5;  // the target: at most this fraction of the dense FLOPs (dense cost)
  double lower_keep = 0.2;   // every decision keeps at least this fraction of its channels
  double upper_keep = 1.0;
  int64_t round_to = 8;      // widths are multiples of this (or the full width); >= 1
};

// Checks the ranges: 0 < flops_ratio <= 1, 0 < lower_keep <= upper_keep <= 1, round_to >= 1.
Status ValidateWallOptions(const WallOptions& options);

// The widths a group of `channels` may keep, ascending.
std::vector<int64_t> AllowedWidths(int64_t channels, int64_t round_to);

// The allowed widths between a decision's lowest and highest width (see above), ascending.
std::vector<int64_t> WidthRange(int64_t channels, const WallOptions& options);

class ActionWall {
 public:
  // `decisions`: the groups decided, in decision order (each at most once).
  // Errors: invalid options; a target below the FLOPs with every decision at its lowest
  // width (the message gives both).
  static StatusOr<ActionWall> Create(const GroupFlopsModel& flops, std::vector<int> decisions,
                                     const WallOptions& options);
  // The same with any cost model (REQUIRES: cost not null); the target is
  // floor(flops_ratio x cost->Dense()) for FLOPs, flops_ratio x cost->Dense() otherwise.
  static StatusOr<ActionWall> Create(std::shared_ptr<const AmcCostModel> cost, std::vector<int> decisions,
                                     const WallOptions& options);

  // The budget in the cost model's unit, and as an integer (the FLOPs budget).
  double Target() const { return target_; }
  int64_t TargetFlops() const { return static_cast<int64_t>(target_); }
  const AmcCostModel& cost() const { return *cost_; }
  const WallOptions& options() const { return options_; }
  // Decision t's widths between its lowest and highest, ascending.
  const std::vector<int64_t>& Widths(int t) const { return widths_[static_cast<size_t>(t)]; }
  int64_t Channels(int t) const;

  // Decision t's width for `action` (a keep ratio) given `kept` (per group; decisions
  // before t as decided, the others ignored). REQUIRES: kept as produced by Clip for
  // decisions 0..t-1, in order.
  int64_t Clip(const std::vector<int64_t>& kept, int t, double action) const;

  // The cost with decisions before t at `kept`, decision t at `width` and every later
  // decision at its cheapest width.
  double CostWithRestCheapest(std::vector<int64_t> kept, int t, int64_t width) const;

 private:
  ActionWall(std::shared_ptr<const AmcCostModel> cost, std::vector<int> decisions, const WallOptions& options)
      : cost_(std::move(cost)), decisions_(std::move(decisions)), options_(options) {}

  std::shared_ptr<const AmcCostModel> cost_;
  std::vector<int> decisions_;
  WallOptions options_;
  std::vector<std::vector<int64_t>> widths_;  // per decision
  std::vector<int64_t> cheapest_;              // per decision: the cost model's cheapest of widths_
  double target_ = 0;
};

}  // namespace hone::compress
