// MedianStopAssessor ("medianstop"): NNI's median stopping rule (from Google Vizier).
// A running trial that has reported S intermediate values is stopped when the best of
// them is strictly worse than the median, over succeeded trials with at least S
// values, of the mean of their first S values.
//
//   maximize, start_step 0; succeeded trials' first two values: [1, 3], [2, 4], [5, 7]
//   -> means at S=2: 2, 3, 6; median (lower, as NNI) 3.
//   trial reports [1, 2.5]: best 2.5 < 3 -> stop.  [1, 3]: 3 < 3 is false -> continue.
// Minimize takes the upper median, avgs[n / 2], and stops when best > median.
//
// Non-finite values: this trial's NaN/Inf values are ignored when taking its best (no
// finite value -> continue); a succeeded trial whose first S values are not all finite
// gives no mean and does not count. NaN/Inf are never ranked, as elsewhere in hone.
#pragma once

#include <memory>

#include "core/assessor.h"
#include "core/status.h"

namespace hone {

class MedianStopAssessor : public Assessor {
 public:
  // classArgs: optimize_mode (maximize|minimize; default ctx.mode, itself maximize by
  // default) and start_step (int >= 0, default 0: no assessment before that many values).
  static StatusOr<std::unique_ptr<Assessor>> Create(const AssessorContext& ctx);

  MedianStopAssessor(OptimizeMode mode, int64_t start_step) : mode_(mode), start_step_(start_step) {}

  std::string_view Name() const override { return "medianstop"; }
  Verdict Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) override;

 private:
  OptimizeMode mode_;
  int64_t start_step_;
};

}  // namespace hone
