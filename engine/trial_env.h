// What the engine hands a trial besides its command: the environment of the trial wire
// protocol (HONE_* and the NNI_* names NNI trial code reads), and small formatting
// helpers for the manager's messages.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/trial_record.h"

namespace hone {

struct TrialEnvOptions {
  std::string experiment_id;
  std::string trial_dir;       // <experiment_dir>/trials/<seq>
  std::string sdk_python_dir;  // prepended to PYTHONPATH ("" = none)
};

// HONE_PARAMS, HONE_TRIAL_DIR, HONE_OUTPUT_DIR, HONE_TRIAL_ID, HONE_TRIAL_SEQ,
// HONE_EXPERIMENT_ID, NNI_*, and PYTHONPATH when an SDK directory is given.
std::map<std::string, std::string> TrialEnvironment(const TrialRecord& record, const TrialEnvOptions& options);

// A number with 6 significant digits, for messages.
std::string FormatValue(double v);
// JSON as one line; invalid UTF-8 replaced rather than thrown on.
std::string JsonDump(const nlohmann::json& j);

}  // namespace hone
