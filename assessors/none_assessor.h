// NoneAssessor ("none"): the null assessor. It never stops a trial, so the manager
// always has an assessor to call and never tests for "no assessor".
#pragma once

#include <memory>

#include "core/assessor.h"
#include "core/status.h"

namespace hone {

class NoneAssessor : public Assessor {
 public:
  static StatusOr<std::unique_ptr<Assessor>> Create(const AssessorContext& ctx);

  std::string_view Name() const override { return "none"; }
  Verdict Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) override {
    return Verdict::kContinue;
  }
};

}  // namespace hone
