// Trials as they leave hone for people and other tools, shared by `hone experiment
// export` and the web UI: JSON without the numbers JSON cannot hold (NaN and +-Inf
// become the strings "NaN", "Infinity", "-Infinity"), one trial's export object, and
// CSV fields.
//
// Example:
//   TrialJson(trial).dump()  // {"config_id":0,"duration_s":1.5,"ended_at":...,"final":"NaN",...}
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/trial_record.h"

namespace hone {

// A double as JSON: NaN -> "NaN", +-Inf -> "Infinity"/"-Infinity", others as numbers.
nlohmann::json JsonNumber(double value);

// A copy of `value` with every non-finite number replaced as JsonNumber does, in objects
// and, when `inside_arrays`, in arrays too.
nlohmann::json NanSafe(const nlohmann::json& value, bool inside_arrays = true);

struct TrialJsonOptions {
  // Adds "intermediate": [{"step": 0, "value": 0.5}, ...].
  bool with_intermediate = false;
  // Non-finite numbers inside "parameters" and inside arrays of "metrics" as strings
  // (the web UI), or left as they dump, as null (`hone experiment export`).
  bool non_finite_everywhere = true;
};

// One trial: id, seq, config_id, status, parameters, final, metrics (the final report,
// with "default" from the final value when the report lacks it), started_at, ended_at,
// duration_s (null unless both times are set), exit_code, reason.
nlohmann::json TrialJson(const TrialRecord& trial, const TrialJsonOptions& options = {});

// `text` as one CSV field: quoted (with doubled quotes) when it holds a comma, a quote
// or a line break.
std::string CsvField(const std::string& text);

}  // namespace hone
