// PatienceAssessor ("patience"): Optuna's PatientPruner. A trial whose best value of its
// last patience + 1 values is worse than its best before them by more than min_delta (a
// tolerance) has stalled and may be stopped; whether it is, the wrapped assessor decides
// (with no wrapped assessor: it is). An improving trial is never stopped, whatever the wrapped one says,
// so patience makes another assessor tolerate plateaus.
//
//   maximize, patience 2, min_delta 0, no wrapped assessor:
//   [0.5, 0.6, 0.6, 0.55] -> best before the last 3 is 0.5, best of the last 3 is 0.6 ->
//   continue; [0.5, 0.6, 0.55, 0.55, 0.58] -> 0.6 before, 0.58 after -> stop.
//   A plateau at exactly the old best is not stopped (Optuna's strict comparison).
// It needs at least patience + 2 values. NaN values are ignored (all NaN -> continue).
//
// classArgs: patience (int >= 0, default 3), min_delta (number >= 0, default 0),
// optimize_mode, wrapped: {name: <assessor>, classArgs: {...}} (any registered assessor;
// it inherits optimize_mode unless its own classArgs set it).
#pragma once

#include <memory>

#include "core/assessor.h"
#include "core/status.h"

namespace hone {

class Registry;

class PatienceAssessor : public Assessor {
 public:
  // `registry` builds the wrapped assessor; it need not outlive the result.
  static StatusOr<std::unique_ptr<Assessor>> Create(const AssessorContext& ctx, const Registry& registry);

  PatienceAssessor(OptimizeMode mode, int64_t patience, double min_delta, std::unique_ptr<Assessor> wrapped)
      : mode_(mode), patience_(patience), min_delta_(min_delta), wrapped_(std::move(wrapped)) {}

  std::string_view Name() const override { return "patience"; }
  Verdict Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) override;

 private:
  OptimizeMode mode_;
  int64_t patience_;
  double min_delta_;
  std::unique_ptr<Assessor> wrapped_;  // null: stop whenever there is no improvement
};

}  // namespace hone
