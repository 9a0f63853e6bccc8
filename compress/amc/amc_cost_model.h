// The cost AMC's budget is measured in, as a function of how many channels each channel
// group keeps: FLOPs (FlopsCostModel, exact) or measured milliseconds (latency_table.h).
// ActionWall and AmcEnvironment see only this interface. Torch-free.
//
//   auto cost = std::make_shared<FlopsCostModel>(GroupFlopsModel(graph, groups));
//   std::vector<int64_t> kept = cost->DenseWidths();   // one entry per channel group
//   kept[g] = 8;
//   double c = cost->Cost(kept);                       // <= cost->Dense() for FLOPs
//   std::string s = cost->Amount(c) + " " + cost->Unit();   // "123456 FLOPs", "1.234 ms"
//
// Costs are doubles; FLOPs counts stay exact in them (below 2^53), so a FLOPs budget
// compares exactly as the integer counts do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compress/amc/group_flops.h"

namespace hone::compress {

class AmcCostModel {
 public:
  virtual ~AmcCostModel() = default;
  // Every group at its full width.
  virtual const std::vector<int64_t>& DenseWidths() const = 0;
  // The cost at DenseWidths().
  virtual double Dense() const = 0;
  // The cost with group g keeping kept[g] channels (0 < kept[g] <= its channels).
  virtual double Cost(const std::vector<int64_t>& kept) const = 0;
  // "FLOPs" or "ms".
  virtual std::string Unit() const = 0;
  // A cost as text in its unit ("123456", "1.234").
  virtual std::string Amount(double cost) const = 0;
  // Of `allowed` (ascending, not empty), the width that costs group g the least, the
  // others fixed: the lowest for FLOPs, which fall with every channel removed. A
  // measured cost need not (a narrower convolution can be slower).
  virtual int64_t CheapestWidth(int /*g*/, const std::vector<int64_t>& allowed) const { return allowed.front(); }
};

// GroupFlopsModel behind the interface: Cost(kept) == flops.Flops(kept).
class FlopsCostModel final : public AmcCostModel {
 public:
  explicit FlopsCostModel(GroupFlopsModel flops) : flops_(std::move(flops)) {}
  const std::vector<int64_t>& DenseWidths() const override { return flops_.DenseWidths(); }
  double Dense() const override { return static_cast<double>(flops_.DenseFlops()); }
  double Cost(const std::vector<int64_t>& kept) const override { return static_cast<double>(flops_.Flops(kept)); }
  std::string Unit() const override { return "FLOPs"; }
  std::string Amount(double cost) const override { return std::to_string(static_cast<int64_t>(cost)); }
  const GroupFlopsModel& flops() const { return flops_; }

 private:
  GroupFlopsModel flops_;
};

}  // namespace hone::compress
