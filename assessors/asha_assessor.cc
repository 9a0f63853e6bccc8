#include "assessors/asha_assessor.h"

#include <algorithm>
#include <cmath>

#include "assessors/class_args.h"
#include "assessors/percentile_assessor.h"

namespace hone {

StatusOr<std::unique_ptr<Assessor>> AshaAssessor::Create(const AssessorContext& ctx) {
  auto mode = ModeArg(ctx, "asha");
  if (!mode.ok()) return mode.status();
  auto max_resource = NumberArg(ctx.class_args, "asha", "max_resource", 100.0, 1, 1e9, true);
  if (!max_resource.ok()) return max_resource.status();
  auto rf = NumberArg(ctx.class_args, "asha", "reduction_factor", 4.0, 1.0001, 1e6);
  if (!rf.ok()) return rf.status();
  auto grace = NumberArg(ctx.class_args, "asha", "grace_period", 1.0, 1, 1e9, true);
  if (!grace.ok()) return grace.status();
  return std::unique_ptr<Assessor>(new AshaAssessor(*mode, static_cast<int64_t>(*max_resource), *rf,
                                                    static_cast<int64_t>(*grace)));
}

AshaAssessor::AshaAssessor(OptimizeMode mode, int64_t max_resource, double reduction_factor,
                           int64_t grace_period)
    : mode_(mode), reduction_factor_(reduction_factor) {
  for (double r = static_cast<double>(grace_period); r < static_cast<double>(max_resource); r *= reduction_factor) {
    int64_t rung = static_cast<int64_t>(std::ceil(r - 1e-9));
    if (rung >= max_resource) break;
    if (rungs_.empty() || rungs_.back() != rung) rungs_.push_back(rung);
  }
}

Verdict AshaAssessor::Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) {
  int64_t steps = static_cast<int64_t>(trial.intermediate.size());
  if (!std::binary_search(rungs_.begin(), rungs_.end(), steps)) return Verdict::kContinue;
  std::vector<double> recorded;
  for (const auto& other : finished) {
    if (static_cast<int64_t>(other.intermediate.size()) < steps) continue;
    double v = other.intermediate[steps - 1].value;
    if (std::isnan(v)) continue;
    recorded.push_back(mode_ == OptimizeMode::kMaximize ? v : -v);
  }
  if (recorded.empty()) return Verdict::kContinue;
  std::sort(recorded.begin(), recorded.end());
  double cutoff = SortedPercentile(recorded, (1.0 - 1.0 / reduction_factor_) * 100.0);
  double value = trial.intermediate.back().value;
  if (std::isnan(value)) return Verdict::kStop;
  if (mode_ == OptimizeMode::kMinimize) value = -value;
  return value < cutoff ? Verdict::kStop : Verdict::kContinue;
}

}  // namespace hone
