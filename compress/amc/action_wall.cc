#include "compress/amc/action_wall.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

namespace hone::compress {

Status ValidateWallOptions(const WallOptions& o) {
  if (!(o.flops_ratio > 0 && o.flops_ratio <= 1)) {
    return InvalidArgument("amc: the FLOPs ratio must be in (0, 1], but got " + std::to_string(o.flops_ratio));
  }
  if (!(o.lower_keep > 0 && o.lower_keep <= o.upper_keep && o.upper_keep <= 1)) {
    return InvalidArgument("amc: keep bounds must satisfy 0 < lower <= upper <= 1, but got lower " +
                           std::to_string(o.lower_keep) + " and upper " + std::to_string(o.upper_keep));
  }
  if (o.round_to < 1) {
    return InvalidArgument("amc: round_to must be at least 1, but got " + std::to_string(o.round_to));
  }
  return Status::Ok();
}

std::vector<int64_t> AllowedWidths(int64_t channels, int64_t round_to) {
  std::vector<int64_t> out;
  for (int64_t w = round_to; w < channels; w += round_to) out.push_back(w);
  if (channels > 0) out.push_back(channels);
  return out;
}

// The allowed widths within [lower x channels, upper x channels]; the lowest allowed
// width >= the lower bound when none is inside.
std::vector<int64_t> WidthRange(int64_t channels, const WallOptions& o) {
  const std::vector<int64_t> all = AllowedWidths(channels, o.round_to);
  const double lo = std::max(1.0, std::ceil(o.lower_keep * static_cast<double>(channels) - 1e-9));
  const double hi = o.upper_keep * static_cast<double>(channels) + 1e-9;
  std::vector<int64_t> out;
  for (int64_t w : all) {
    if (static_cast<double>(w) >= lo && (static_cast<double>(w) <= hi || out.empty())) out.push_back(w);
  }
  return out;
}

StatusOr<ActionWall> ActionWall::Create(const GroupFlopsModel& flops, std::vector<int> decisions,
                                        const WallOptions& options) {
  return Create(std::make_shared<FlopsCostModel>(flops), std::move(decisions), options);
}

StatusOr<ActionWall> ActionWall::Create(std::shared_ptr<const AmcCostModel> cost, std::vector<int> decisions,
                                        const WallOptions& options) {
  HONE_RETURN_IF_ERROR(ValidateWallOptions(options));
  const bool flops = dynamic_cast<const FlopsCostModel*>(cost.get()) != nullptr;
  ActionWall wall(std::move(cost), std::move(decisions), options);
  const AmcCostModel& c = *wall.cost_;
  for (int g : wall.decisions_) wall.widths_.push_back(WidthRange(c.DenseWidths()[static_cast<size_t>(g)], options));
  wall.target_ = options.flops_ratio * c.Dense();
  if (flops) wall.target_ = std::floor(wall.target_);
  std::vector<int64_t> cheapest = c.DenseWidths();
  for (size_t t = 0; t < wall.decisions_.size(); ++t) {
    wall.cheapest_.push_back(c.CheapestWidth(wall.decisions_[t], wall.widths_[t]));
    cheapest[static_cast<size_t>(wall.decisions_[t])] = wall.cheapest_.back();
  }
  const double min_cost = c.Cost(cheapest);
  if (min_cost > wall.target_) {
    const std::string unit = c.Unit();
    return InvalidArgument("amc: the target of " + c.Amount(wall.target_) + " " + unit + " (" +
                           std::to_string(options.flops_ratio) + " of " + c.Amount(c.Dense()) + ") is below " +
                           c.Amount(min_cost) + ", the " +
                           (flops ? unit + " with every layer at its lowest width"
                                  : "estimated " + unit + " with every layer at its fastest allowed width") +
                           "; raise the ratio or lower the per-layer lower bound");
  }
  return wall;
}

int64_t ActionWall::Channels(int t) const {
  return cost_->DenseWidths()[static_cast<size_t>(decisions_[static_cast<size_t>(t)])];
}

// The cost with decision t at `width` and every later one at its cheapest width.
double ActionWall::CostWithRestCheapest(std::vector<int64_t> kept, int t, int64_t width) const {
  kept[static_cast<size_t>(decisions_[static_cast<size_t>(t)])] = width;
  for (size_t u = static_cast<size_t>(t) + 1; u < decisions_.size(); ++u) {
    kept[static_cast<size_t>(decisions_[u])] = cheapest_[u];
  }
  return cost_->Cost(kept);
}

int64_t ActionWall::Clip(const std::vector<int64_t>& kept, int t, double action) const {
  const std::vector<int64_t>& widths = Widths(t);
  double a = std::isnan(action) ? options_.lower_keep : std::clamp(action, options_.lower_keep, options_.upper_keep);
  const double want = a * static_cast<double>(Channels(t));
  // The nearest width (ties to the larger one).
  size_t i = 0;
  for (size_t j = 1; j < widths.size(); ++j) {
    if (std::abs(static_cast<double>(widths[j]) - want) <= std::abs(static_cast<double>(widths[i]) - want)) i = j;
  }
  while (CostWithRestCheapest(kept, t, widths[i]) > target_) {
    // A measured cost can rise as the width falls: then the cheapest width keeps the
    // budget reachable (it did when decision t began).
    if (i == 0) return cheapest_[static_cast<size_t>(t)];
    --i;
  }
  return widths[i];
}

}  // namespace hone::compress
