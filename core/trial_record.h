// TrialRecord: the plain value every component shares about one trial (one run of one
// configuration). Records are copied freely; the manager owns the live ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace hone {

enum class TrialStatus {
  kWaiting,       // created, not yet launched
  kRunning,
  kSucceeded,     // exit 0 with a final metric
  kFailed,        // non-zero exit, signal, or no final metric
  kEarlyStopped,  // killed by an assessor
  kCanceled,      // killed by a user or by stopping the experiment
  kTimeout,       // ran past maxTrialDuration
  kLost,          // the manager died while it ran; its configuration runs again
};

std::string_view TrialStatusName(TrialStatus status);  // "succeeded", "early_stopped", ...
std::optional<TrialStatus> ParseTrialStatus(std::string_view name);
bool IsTerminal(TrialStatus status);  // everything except waiting and running
// Finished in a way a tuner learns from (succeeded, failed, early stopped, timed out);
// canceled and lost runs tell nothing about the configuration.
bool IsFinished(TrialStatus status);

enum class OptimizeMode { kMaximize, kMinimize };
std::string_view OptimizeModeName(OptimizeMode mode);

struct IntermediateMetric {
  int64_t step = 0;
  double value = 0;  // the default metric (a scalar report, or the "default" key)
};

struct TrialRecord {
  int64_t seq = 0;        // launch number, unique in the experiment, from 0
  int64_t config_id = 0;  // the configuration; a lost trial's re-run keeps it
  std::string id;         // "<seq>" rendered for people and env vars
  TrialStatus status = TrialStatus::kWaiting;
  nlohmann::json params = nlohmann::json::object();
  std::vector<IntermediateMetric> intermediate;
  std::optional<double> final_value;  // the default final metric; may be NaN/Inf
  nlohmann::json final_metrics;       // the whole final report (object with "default")
  double created_at = 0, started_at = 0, ended_at = 0;  // unix seconds; 0 = not yet
  int64_t pid = 0;  // the process (group) id the platform reported at start; 0 = none
  int exit_code = 0;
  std::string reason;  // why it failed or stopped: "exit code 3", "signal 9", ...

  // A final value that can be ranked (present and finite).
  bool HasRankableFinal() const;
};

// True when `a` is strictly better than `b` under `mode` (both finite).
bool Better(double a, double b, OptimizeMode mode);

}  // namespace hone
