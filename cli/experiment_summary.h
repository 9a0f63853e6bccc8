// What `hone experiment list` and `show` tell about one experiment beyond its registry
// entry: the status to show, trial counts and the best trial, and the web UI address.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli_context.h"
#include "core/trial_record.h"
#include "storage/experiment_registry.h"

namespace hone {

struct TrialSummary {
  std::map<TrialStatus, int> counts;
  size_t total = 0;
  std::optional<TrialRecord> best;  // the best finished trial with a rankable final value
  OptimizeMode mode = OptimizeMode::kMaximize;
};

TrialSummary SummarizeTrials(const std::vector<TrialRecord>& trials, OptimizeMode mode);

// Reads the experiment's hone.db (read-only, nothing written) for its trial summary.
// Unlike the other commands it does not check the stored config (a list shows damaged
// experiments too): the optimize mode of an unreadable config is maximize.
StatusOr<TrialSummary> LoadTrialSummary(const CliContext& ctx, const std::string& id);

// The status to show: a registry entry that says running while nobody holds the
// manager lock belongs to a manager that died.
std::string LiveStatus(const CliContext& ctx, const ExperimentEntry& entry);

// http://127.0.0.1:PORT/experiments/ID (with #token=... when `with_token`) while a
// manager serves the experiment's web UI; "" otherwise.
std::string LiveUiAddress(const CliContext& ctx, const ExperimentEntry& entry, bool with_token);

// One experiment for `experiment list --json`: id, name, status, created, dir, config,
// web_ui, trials {total, succeeded, failed, ...} and best {trial, value, parameters}
// (null when unknown or none), full precision.
nlohmann::json ExperimentListJson(const CliContext& ctx, const ExperimentEntry& entry,
                                  const StatusOr<TrialSummary>& summary);

// `hone experiment list`: a table for people, or with `as_json` a JSON array of
// ExperimentListJson objects. Damaged experiments stay listed.
Status ListExperiments(const CliContext& ctx, bool as_json);

}  // namespace hone
