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
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

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
};

}  // namespace hone
