// Export formats for trials: JSON (a list of trials with id, seq, status, parameters,
// final, metrics) and CSV (one row per trial, one column per parameter and metric key).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/trial_record.h"

namespace hone {

// NaN and infinities become the strings "NaN", "Infinity", "-Infinity" (JSON has none):
// storage/trial_export.h.
nlohmann::json TrialsToJson(const std::vector<TrialRecord>& trials, bool with_intermediate);
std::string TrialsToCsv(const std::vector<TrialRecord>& trials);

}  // namespace hone
