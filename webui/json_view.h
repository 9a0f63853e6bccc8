// JSON shapes of webui/API.md built from storage values: numbers with NaN/Inf as
// strings, trial summaries, the experiment overview, and the search space flattened
// to dotted parameter paths.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/trial_record.h"
#include "storage/experiment_registry.h"
#include "storage/trial_export.h"
#include "storage/trial_query.h"
#include "webui/experiment_catalog.h"

namespace hone::webui {

// Numbers as JsonNumber and NanSafe (storage/trial_export.h) write them.
// Seconds or null when 0 (not yet).
nlohmann::json Time(double t);

nlohmann::json SummaryJson(const TrialSummary& s, double now);

// The experiment's optimize mode: the tuner's classArgs, else the assessor's, else maximize.
OptimizeMode ModeOf(const nlohmann::json& config);

// One leaf of the search space: a dotted path, its _type, and its _value (for a
// nested choice's "_name" path: the option names).
struct ParamColumn {
  std::string path;
  std::string type;
  nlohmann::json values;
};
std::vector<ParamColumn> ParamColumns(const nlohmann::json& search_space);
// `params` flattened to dotted paths (nested objects recurse; "_name" kept).
void FlattenParams(const nlohmann::json& params, const std::string& prefix, nlohmann::json* out);

// The overview of /experiments/{id} (and of live updates when !full: no config, keys).
// The parts computed from trials (counts, best, keys) come from `cache` while no trial
// changed.
StatusOr<nlohmann::json> OverviewJson(const ExperimentEntry& entry, bool running, TrialQuery& query,
                                      bool full, double now, ExperimentCatalog& cache);

}  // namespace hone::webui
