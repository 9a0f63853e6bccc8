// ExperimentConfig: one experiment's YAML, validated. NNI v2 key names are accepted
// unchanged (searchSpace/searchSpaceFile, trialCommand, trialConcurrency, tuner, assessor,
// trainingService, ...) in any case and with or without underscores, as NNI reads them
// (trial_command; core/config_keys.h), plus hone's own (`seed`). Durations are seconds here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/diagnostics.h"
#include "core/search_space.h"
#include "core/status.h"
#include "core/trial_record.h"

namespace hone {

class Registry;

struct AlgorithmConfig {
  std::string name;  // canonical registry name ("random", "medianstop", "none")
  nlohmann::json class_args = nlohmann::json::object();
  OptimizeMode mode = OptimizeMode::kMaximize;
  bool mode_explicit = false;  // optimize_mode given in classArgs
  bool mode_written = false;   // optimize_mode in classArgs at all, even with a bad value
};

struct ExperimentConfig {
  std::string source_file;   // absolute path of the YAML, "" when built in code
  std::string base_dir;      // directory relative paths resolve against
  std::string experiment_name;
  SearchSpace search_space;
  nlohmann::json search_space_json = nlohmann::json::object();
  // The tuner is a plugin (TunerInfo::space_as_written): search_space_json is the space
  // as written, search_space only the parameters hone can read, and the tuner's
  // suggestions are not checked against it.
  bool search_space_as_written = false;
  std::string trial_command;
  std::string trial_code_directory;  // absolute
  int trial_concurrency = 1;
  std::optional<int> trial_gpu_number;  // unset: CPU trial that sees every GPU
  std::optional<int64_t> max_trial_number;
  std::optional<double> max_experiment_duration_s;
  std::optional<double> max_trial_duration_s;
  // Stop when the first fail_fast trials to finish all failed the same way (0 = never).
  int fail_fast = 3;
  // How often a configuration runs again after the platform lost its trial (a host became
  // unreachable, a node failed); a trial's own failures never run again.
  int max_trial_retries = 2;
  AlgorithmConfig tuner{"random"};
  AlgorithmConfig assessor{"none"};
  std::string platform = "local";
  nlohmann::json platform_args = nlohmann::json::object();  // trainingService minus platform (the platform reads them)
  // trainingService as a list (NNI's hybrid mode): each platform with its own keys, in the
  // order written; then `platform` is "hybrid" and platform_args is empty. Empty otherwise.
  struct PlatformChoice {
    std::string name;
    nlohmann::json args = nlohmann::json::object();
  };
  std::vector<PlatformChoice> hybrid;
  uint64_t seed = 0;
  bool seed_given = false;
  // Notes for the user (ignored NNI keys, assumed optimize mode): "file:line:col: note: ..."
  std::vector<std::string> notes;

  // The config as JSON, as stored in the experiment database (paths absolute).
  nlohmann::json ToJson() const;
  static StatusOr<ExperimentConfig> FromJson(const nlohmann::json& json, const Registry& registry);
};

// Parses "30s", "10m", "1.5h", "2d" or a plain number of seconds.
std::optional<double> ParseDuration(const std::string& text);

}  // namespace hone
