#include "assessors/percentile_assessor.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "assessors/best_value.h"
#include "assessors/class_args.h"

namespace hone {

double SortedPercentile(const std::vector<double>& values, double q) {
  double pos = q / 100.0 * static_cast<double>(values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, values.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

StatusOr<std::unique_ptr<Assessor>> PercentileAssessor::Create(const AssessorContext& ctx) {
  auto mode = ModeArg(ctx, "percentile");
  if (!mode.ok()) return mode.status();
  auto pct = NumberArg(ctx.class_args, "percentile", "percentile", 25.0, 0, 100);
  if (!pct.ok()) return pct.status();
  auto start = NumberArg(ctx.class_args, "percentile", "start_step", 0.0, 0, 1e9, true);
  if (!start.ok()) return start.status();
  auto min_trials = NumberArg(ctx.class_args, "percentile", "min_trials", 5.0, 1, 1e9, true);
  if (!min_trials.ok()) return min_trials.status();
  return std::unique_ptr<Assessor>(new PercentileAssessor(*mode, *pct, static_cast<int64_t>(*start),
                                                          static_cast<int64_t>(*min_trials)));
}

Verdict PercentileAssessor::Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) {
  size_t steps = trial.intermediate.size();
  if (steps == 0 || static_cast<int64_t>(steps) < start_step_) return Verdict::kContinue;
  std::optional<double> best = BestFiniteValue(trial.intermediate, mode_);
  if (!best) return Verdict::kContinue;
  std::vector<double> at_step;
  for (const auto& other : finished) {
    if (other.status != TrialStatus::kSucceeded || other.intermediate.size() < steps) continue;
    double v = other.intermediate[steps - 1].value;
    if (std::isfinite(v)) at_step.push_back(v);
  }
  if (static_cast<int64_t>(at_step.size()) < min_trials_) return Verdict::kContinue;
  std::sort(at_step.begin(), at_step.end());
  if (mode_ == OptimizeMode::kMaximize)
    return *best < SortedPercentile(at_step, 100.0 - percentile_) ? Verdict::kStop : Verdict::kContinue;
  return *best > SortedPercentile(at_step, percentile_) ? Verdict::kStop : Verdict::kContinue;
}

}  // namespace hone
