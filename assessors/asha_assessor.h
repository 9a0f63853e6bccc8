// AshaAssessor ("asha"): asynchronous successive halving (Li et al. 2020; Ray Tune's
// ASHAScheduler, one bracket) as an assessor, so it works with any tuner. Rungs sit on
// the number of intermediate values a trial has reported: grace_period *
// reduction_factor^k, below max_resource. When a trial reports its value at a rung, it
// is stopped unless that value is in the top 1 / reduction_factor of the values other
// trials had at the same rung (the cutoff is their (1 - 1/rf) quantile, linear
// interpolation, as Ray). No other trial at the rung yet: it continues.
//
//   maximize, grace_period 1, reduction_factor 3, max_resource 27: rungs 1, 3, 9.
//   finished trials' 3rd values: 0.5, 0.6, 0.9 -> cutoff = 66.7th percentile = 0.7.
//   a trial reporting its 3rd value 0.65 stops; 0.75 continues; its 4th value is no rung.
//
// Stateless, as every assessor: "other trials at the rung" are the finished ones
// (succeeded, early stopped, failed or timed out) that reported that many values, while
// Ray also counts running trials that passed the rung. A NaN value at a rung stops the
// trial when there is a cutoff (it diverged); Ray lets it go on.
#pragma once

#include <memory>
#include <vector>

#include "core/assessor.h"
#include "core/status.h"

namespace hone {

class AshaAssessor : public Assessor {
 public:
  // classArgs: optimize_mode (default ctx.mode), max_resource (int >= 1, default 100:
  // the epochs a full trial reports), reduction_factor (number > 1, default 4, as Ray),
  // grace_period (int >= 1, default 1: the first rung).
  static StatusOr<std::unique_ptr<Assessor>> Create(const AssessorContext& ctx);

  AshaAssessor(OptimizeMode mode, int64_t max_resource, double reduction_factor, int64_t grace_period);

  std::string_view Name() const override { return "asha"; }
  Verdict Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) override;
  const std::vector<int64_t>& rungs() const { return rungs_; }

 private:
  OptimizeMode mode_;
  double reduction_factor_;
  std::vector<int64_t> rungs_;  // ascending step counts
};

}  // namespace hone
