// Assessor: decides whether a running trial should stop early. Stateless: every call
// gets the trial's history and the finished trials, so resuming needs nothing.
//
// Contract:
//   Verdict v = a->Assess(trial, finished);
// - called on the manager's thread after each new intermediate metric of `trial`
//   (trial.intermediate is ordered by step and holds the new value last);
// - `finished` holds every finished trial (any terminal status except lost/canceled);
//   assessors pick what they trust (medianstop uses succeeded trials only);
// - kStop makes the manager kill the trial; it is recorded as early_stopped.
//
// Early stopping works with any tuner. The built-ins (assessors/builtin_assessors.h):
//   medianstop    NNI's median rule on running averages
//   curvefitting  extrapolates the curve (twelve families, Domhan et al.) to epoch_num
//   percentile    Optuna's percentile rule on the values at the same step
//   threshold     a fixed bound on the latest value
//   patience      stops a stalled trial, asking a wrapped assessor first
//   asha          asynchronous successive halving:
//                   assessor: {name: asha, classArgs: {optimize_mode: maximize,
//                              max_resource: 20, reduction_factor: 3, grace_period: 1}}
//                 rungs sit on the number of intermediate values a trial has reported
//                 (1, 3, 9 here); at a rung only the top 1/reduction_factor continue.
// Budgets chosen before a trial starts (hyperband, bohb, pbt) are tuners' business:
// see tuners/tuner.h. An assessor may run beside them; it sees their trials' shorter
// curves like any other.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/trial_record.h"

namespace hone {

enum class Verdict { kContinue, kStop };

struct AssessorContext {
  nlohmann::json class_args = nlohmann::json::object();  // already validated
  OptimizeMode mode = OptimizeMode::kMaximize;
};

class Assessor {
 public:
  virtual ~Assessor() = default;
  virtual std::string_view Name() const = 0;
  virtual Verdict Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) = 0;
  // Why the assessor can no longer work (a plugin that crashed or answered nonsense),
  // or Ok. The engine checks it after every call and fails the experiment on an error.
  virtual Status Fault() const { return Status::Ok(); }
};

}  // namespace hone
