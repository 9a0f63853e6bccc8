#include "assessors/median_stop_assessor.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

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
  OptimizeMode mode = ctx.mode;
  int64_t start_step = 0;
  const auto& args = ctx.class_args;
  if (args.is_object() && args.contains("optimize_mode")) {
    const auto& m = args["optimize_mode"];
    if (m == "maximize") {
      mode = OptimizeMode::kMaximize;
    } else if (m == "minimize") {
      mode = OptimizeMode::kMinimize;
    } else {
      return InvalidArgument("medianstop: classArgs.optimize_mode: expected one of {maximize, minimize}, but got " + m.dump());
    }
  }
  if (args.is_object() && args.contains("start_step")) {
    const auto& s = args["start_step"];
    bool integral = s.is_number_integer() ||
                    (s.is_number_float() && std::trunc(s.get<double>()) == s.get<double>());
    if (!integral || s.get<double>() < 0) {
      return InvalidArgument("medianstop: classArgs.start_step: expected an integer >= 0, but got " + s.dump());
    }
    start_step = static_cast<int64_t>(s.get<double>());
  }
  return std::unique_ptr<Assessor>(new MedianStopAssessor(mode, start_step));
}

Verdict MedianStopAssessor::Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) {
  size_t steps = trial.intermediate.size();
  if (steps == 0 || static_cast<int64_t>(steps) < start_step_) return Verdict::kContinue;

  std::optional<double> best;
  for (const auto& m : trial.intermediate) {
    if (!std::isfinite(m.value)) continue;
    if (!best || Better(m.value, *best, mode_)) best = m.value;
  }
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
