// Guarded plugin calls: every call the engine makes into a tuner or an assessor goes
// through these wrappers. A plugin that throws, reports a fault (Tuner::Fault,
// Assessor::Fault: a crashed or misbehaving out-of-process plugin), or answers outside
// its contract turns into an error Status that names it, and the engine fails the
// experiment with that message instead of crashing or carrying on blind.
//
//   GuardedTuner tuner(raw_tuner);
//   auto batch = tuner.Suggest(2);     // "tuner 'tpe': ..." on any failure
//   HONE_RETURN_IF_ERROR(tuner.Update(completed, active));
#pragma once

#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/assessor.h"
#include "core/status.h"
#include "core/tuner.h"

namespace hone {

class GuardedTuner {
 public:
  explicit GuardedTuner(Tuner& tuner) : tuner_(tuner) {}
  std::string Label() const;  // "tuner 'tpe'"
  // kExhausted passes through unchanged (it is an answer, not a failure). More than
  // `count` configurations, or one that is not a JSON object, is an error.
  StatusOr<std::vector<nlohmann::json>> Suggest(int count);
  Status Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active);
  StatusOr<bool> IsExhausted();

 private:
  Tuner& tuner_;
};

class GuardedAssessor {
 public:
  explicit GuardedAssessor(Assessor& assessor) : assessor_(assessor) {}
  std::string Label() const;  // "assessor 'medianstop'"
  StatusOr<Verdict> Assess(const TrialRecord& trial, std::span<const TrialRecord> finished);

 private:
  Assessor& assessor_;
};

}  // namespace hone
