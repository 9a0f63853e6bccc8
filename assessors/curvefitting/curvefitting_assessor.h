// CurvefittingAssessor ("curvefitting", NNI's Curvefitting): extrapolates a trial's
// learning curve to epoch_num with an ensemble of twelve curve families (Domhan et al.
// 2015; curve_ensemble.h) and stops it when the extrapolation falls short of the best
// final value of the succeeded trials.
//
// Judged after start_step values and then every `gap` values (S = start_step,
// start_step + gap, ...), never once the trial has reached epoch_num, never before a
// trial has succeeded. With best the best succeeded final value and predicted the
// extrapolation (fitted on the finite values of the trial's curve):
//   maximize: stop when predicted < best - (1 - threshold) |best|   (= threshold * best
//             for positive values, NNI's rule);
//   minimize: stop when predicted > best + (1 - threshold) |best|   (NNI supports only
//             maximize).
//   maximize, epoch_num 20, threshold 0.95, best final 0.90: a curve extrapolated to
//   0.80 at epoch 20 stops (0.80 < 0.855); one extrapolated to 0.87 continues.
// No prediction (no family fits) -> continue.
#pragma once

#include <memory>

#include "core/assessor.h"
#include "core/status.h"

namespace hone {

class CurvefittingAssessor : public Assessor {
 public:
  // classArgs: epoch_num (int >= 1, default 20: the epochs a full trial reports),
  // start_step (int >= 1, default 6), threshold (0..1, default 0.95), gap (int >= 1,
  // default 1), optimize_mode (default ctx.mode).
  static StatusOr<std::unique_ptr<Assessor>> Create(const AssessorContext& ctx);

  CurvefittingAssessor(OptimizeMode mode, int64_t epoch_num, int64_t start_step, double threshold, int64_t gap)
      : mode_(mode), epoch_num_(epoch_num), start_step_(start_step), threshold_(threshold), gap_(gap) {}

  std::string_view Name() const override { return "curvefitting"; }
  Verdict Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) override;

 private:
  OptimizeMode mode_;
  int64_t epoch_num_;
  int64_t start_step_;
  double threshold_;
  int64_t gap_;
};

}  // namespace hone
