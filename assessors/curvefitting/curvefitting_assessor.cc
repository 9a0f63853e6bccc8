#include "assessors/curvefitting/curvefitting_assessor.h"

#include <cmath>
#include <optional>
#include <vector>

#include "assessors/class_args.h"
#include "assessors/curvefitting/curve_ensemble.h"

namespace hone {

StatusOr<std::unique_ptr<Assessor>> CurvefittingAssessor::Create(const AssessorContext& ctx) {
  const char* name = "curvefitting";
  auto mode = ModeArg(ctx, name);
  if (!mode.ok()) return mode.status();
  auto epochs = NumberArg(ctx.class_args, name, "epoch_num", 20.0, 1, 1e9, true);
  if (!epochs.ok()) return epochs.status();
  auto start = NumberArg(ctx.class_args, name, "start_step", 6.0, 1, 1e9, true);
  if (!start.ok()) return start.status();
  auto threshold = NumberArg(ctx.class_args, name, "threshold", 0.95, 0, 1);
  if (!threshold.ok()) return threshold.status();
  auto gap = NumberArg(ctx.class_args, name, "gap", 1.0, 1, 1e9, true);
  if (!gap.ok()) return gap.status();
  return std::unique_ptr<Assessor>(new CurvefittingAssessor(*mode, static_cast<int64_t>(*epochs),
                                                            static_cast<int64_t>(*start), *threshold,
                                                            static_cast<int64_t>(*gap)));
}

Verdict CurvefittingAssessor::Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) {
  int64_t steps = static_cast<int64_t>(trial.intermediate.size());
  if (steps < start_step_ || steps >= epoch_num_ || (steps - start_step_) % gap_ != 0) return Verdict::kContinue;
  std::optional<double> best;
  for (const auto& other : finished) {
    if (other.status != TrialStatus::kSucceeded || !other.HasRankableFinal()) continue;
    if (!best || Better(*other.final_value, *best, mode_)) best = *other.final_value;
  }
  if (!best) return Verdict::kContinue;
  // The curve as a function of the epoch: the i-th reported value is epoch i + 1; a
  // non-finite value leaves a hole, and then the fit uses the values before it only.
  std::vector<double> ys;
  for (const auto& m : trial.intermediate) {
    if (!std::isfinite(m.value)) break;
    ys.push_back(m.value);
  }
  if (static_cast<int64_t>(ys.size()) < std::min<int64_t>(start_step_, 2)) return Verdict::kContinue;
  auto prediction = PredictCurve(ys, static_cast<double>(epoch_num_));
  if (!prediction) return Verdict::kContinue;
  double margin = (1 - threshold_) * std::fabs(*best);
  if (mode_ == OptimizeMode::kMaximize)
    return prediction->value < *best - margin ? Verdict::kStop : Verdict::kContinue;
  return prediction->value > *best + margin ? Verdict::kStop : Verdict::kContinue;
}

}  // namespace hone
