// PercentileAssessor ("percentile"): Optuna's PercentilePruner. After S values, a trial
// is stopped when its best value so far is worse than the given percentile of the S-th
// values of succeeded trials (the bottom `percentile` per cent stop). percentile 50 is a
// median rule on step values (medianstop uses running means instead).
//
//   maximize, percentile 25, min_trials 3; succeeded trials' 2nd values: 0.4, 0.6, 0.8
//   -> the 75th percentile from below (linear interpolation, as numpy) is 0.7;
//   a trial with values [0.5, 0.65] (best 0.65 < 0.7) stops; [0.5, 0.75] continues.
// Minimize compares with the `percentile`-th percentile and stops when best > it.
// Non-finite values never count: this trial's are skipped when taking its best (none
// finite -> continue), a succeeded trial whose S-th value is not finite is left out.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "core/assessor.h"
#include "core/status.h"

namespace hone {

// numpy.percentile with linear interpolation. REQUIRES: `values` sorted, non-empty,
// 0 <= q <= 100.
double SortedPercentile(const std::vector<double>& values, double q);

class PercentileAssessor : public Assessor {
 public:
  // classArgs: optimize_mode (default ctx.mode), percentile (0..100, default 25),
  // start_step (int >= 0, default 0), min_trials (int >= 1, default 5: how many succeeded
  // trials with a value at that step it takes before anything is stopped).
  static StatusOr<std::unique_ptr<Assessor>> Create(const AssessorContext& ctx);

  PercentileAssessor(OptimizeMode mode, double percentile, int64_t start_step, int64_t min_trials)
      : mode_(mode), percentile_(percentile), start_step_(start_step), min_trials_(min_trials) {}

  std::string_view Name() const override { return "percentile"; }
  Verdict Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) override;

 private:
  OptimizeMode mode_;
  double percentile_;
  int64_t start_step_;
  int64_t min_trials_;
};

}  // namespace hone
