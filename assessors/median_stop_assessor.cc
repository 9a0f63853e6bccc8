#include "assessors/median_stop_assessor.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "assessors/best_value.h"
#include "assessors/class_args.h"

namespace hone {
namespace {

// Mean of the first `steps` values, or nullopt when the history is shorter or one of
// them is not finite.
std::optional<double> RunningMean(const std::vector<IntermediateMetric>& history, size_t steps) {
  if (history.size() < steps) return std::nullopt;
  double sum = 0;
  for (size_t i = 0; i < steps; ++i) {
    if (!std::isfinite(history[i].value)) return std::nullopt;
    sum += history[i].value;
  }
  double mean = sum / static_cast<double>(steps);
  if (!std::isfinite(mean)) return std::nullopt;
  return mean;
}

}  // namespace

StatusOr<std::unique_ptr<Assessor>> MedianStopAssessor::Create(const AssessorContext& ctx) {
  auto mode = ModeArg(ctx, "medianstop");
  if (!mode.ok()) return mode.status();
  // The ArgSpec guarantees an integer >= 0.
  const auto& args = ctx.class_args;
  int64_t start_step = 0;
  if (args.is_object() && args.contains("start_step") && !args["start_step"].is_null())
    start_step = static_cast<int64_t>(args["start_step"].get<double>());
  return std::unique_ptr<Assessor>(new MedianStopAssessor(*mode, start_step));
}

Verdict MedianStopAssessor::Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) {
  size_t steps = trial.intermediate.size();
  if (steps == 0 || static_cast<int64_t>(steps) < start_step_) return Verdict::kContinue;

  std::optional<double> best = BestFiniteValue(trial.intermediate, mode_);
  if (!best) return Verdict::kContinue;

  std::vector<double> means;
  for (const auto& other : finished) {
    if (other.status != TrialStatus::kSucceeded) continue;
    if (auto mean = RunningMean(other.intermediate, steps)) means.push_back(*mean);
  }
  if (means.empty()) return Verdict::kContinue;
  std::sort(means.begin(), means.end());
  size_t n = means.size();
  if (mode_ == OptimizeMode::kMaximize) {
    double median = means[(n - 1) / 2];
    return *best < median ? Verdict::kStop : Verdict::kContinue;
  }
  double median = means[n / 2];
  return *best > median ? Verdict::kStop : Verdict::kContinue;
}

}  // namespace hone
