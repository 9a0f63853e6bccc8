// Export formats for trials: JSON (a list of trials with id, seq, status, parameters,
// final, metrics) and CSV (one row per trial, one column per parameter and metric key).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/trial_record.h"

namespace hone {

// NaN and infinities become the strings "NaN", "Infinity", "-Infinity" (JSON has none):
// storage/trial_export.h.
nlohmann::json TrialsToJson(const std::vector<TrialRecord>& trials, bool with_intermediate);
std::string TrialsToCsv(const std::vector<TrialRecord>& trials);

// `hone experiment export`: the text in `format` ("json" or "csv"). With `reports_db`
// (the experiment's hone.db) each JSON trial also gets "intermediate": [{"step", "value",
// "metrics"}, ...], "metrics" being the whole intermediate report, extra keys included.
StatusOr<std::string> ExportTrials(const std::vector<TrialRecord>& trials, const std::string& format,
                                   const std::string& reports_db);

}  // namespace hone
