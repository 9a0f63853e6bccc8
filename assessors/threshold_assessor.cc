#include "assessors/threshold_assessor.h"

#include <cmath>
#include <limits>

#include "assessors/class_args.h"

namespace hone {

StatusOr<std::unique_ptr<Assessor>> ThresholdAssessor::Create(const AssessorContext& ctx) {
  auto mode = ModeArg(ctx, "threshold");
  if (!mode.ok()) return mode.status();
  constexpr double kBig = std::numeric_limits<double>::max();
  auto threshold = NumberArg(ctx.class_args, "threshold", "threshold", std::nullopt, -kBig, kBig);
  if (!threshold.ok()) return threshold.status();
  auto start = NumberArg(ctx.class_args, "threshold", "start_step", 0.0, 0, 1e9, true);
  if (!start.ok()) return start.status();
  return std::unique_ptr<Assessor>(new ThresholdAssessor(*mode, *threshold, static_cast<int64_t>(*start)));
}

Verdict ThresholdAssessor::Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) {
  int64_t steps = static_cast<int64_t>(trial.intermediate.size());
  if (steps == 0 || steps < start_step_) return Verdict::kContinue;
  double latest = trial.intermediate.back().value;
  if (std::isnan(latest)) return Verdict::kStop;
  bool worse = mode_ == OptimizeMode::kMaximize ? latest < threshold_ : latest > threshold_;
  return worse ? Verdict::kStop : Verdict::kContinue;
}

}  // namespace hone
