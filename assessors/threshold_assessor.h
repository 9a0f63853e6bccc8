// ThresholdAssessor ("threshold"): stops a trial whose latest value is worse than a fixed
// bound (Optuna's ThresholdPruner with one bound): a diverging loss or an accuracy stuck
// at chance level ends at once instead of running to the end.
//
//   maximize, threshold 0.2, start_step 2: values [0.1] -> continue (only one value);
//   [0.1, 0.15] -> 0.15 < 0.2 -> stop; [0.1, 0.3] -> continue.
// A NaN latest value stops the trial (it diverged); +-Inf compare as numbers.
#pragma once

#include <memory>

#include "core/assessor.h"
#include "core/status.h"

namespace hone {

class ThresholdAssessor : public Assessor {
 public:
  // classArgs: threshold (number, required), optimize_mode (default ctx.mode),
  // start_step (int >= 0, default 0: no verdict before that many values).
  static StatusOr<std::unique_ptr<Assessor>> Create(const AssessorContext& ctx);

  ThresholdAssessor(OptimizeMode mode, double threshold, int64_t start_step)
      : mode_(mode), threshold_(threshold), start_step_(start_step) {}

  std::string_view Name() const override { return "threshold"; }
  Verdict Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) override;

 private:
  OptimizeMode mode_;
  double threshold_;
  int64_t start_step_;
};

}  // namespace hone
