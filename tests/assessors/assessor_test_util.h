// Small builders shared by the assessor unit tests.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "core/assessor.h"

namespace hone::testing_util {

inline TrialRecord History(std::vector<double> values, TrialStatus status = TrialStatus::kSucceeded) {
  TrialRecord r;
  r.status = status;
  for (size_t i = 0; i < values.size(); ++i) r.intermediate.push_back({static_cast<int64_t>(i + 1), values[i]});
  if (status == TrialStatus::kSucceeded && !values.empty()) r.final_value = values.back();
  return r;
}

inline TrialRecord Running(std::vector<double> values) { return History(std::move(values), TrialStatus::kRunning); }

}  // namespace hone::testing_util
