// The budgets in force for an experiment: its config's (trialConcurrency, maxTrialNumber,
// maxExperimentDuration, maxTrialDuration) with what `hone experiment update` or the web
// UI changed since on top. Changes live in the experiment's meta "limits" (a JSON object
// with any of the keys below), which the manager writes when it applies a command and
// reads again on resume.
//
// Example:
//   config {"trialConcurrency": 2, "maxTrialNumber": 10}, limits {"max_trial_number": 30}
//   -> {trial_concurrency 2, max_trial_number 30, no duration limits}
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace hone {

// The meta "limits" keys.
inline constexpr const char* kLimitConcurrency = "trial_concurrency";
inline constexpr const char* kLimitMaxTrials = "max_trial_number";
inline constexpr const char* kLimitMaxDuration = "max_experiment_duration_s";
inline constexpr const char* kLimitMaxTrialDuration = "max_trial_duration_s";

struct ExperimentLimits {
  int64_t trial_concurrency = 1;
  std::optional<int64_t> max_trial_number;
  std::optional<double> max_experiment_duration_s;
  std::optional<double> max_trial_duration_s;
};

// The limits of a stored config (as ExperimentConfig::ToJson writes it) with the meta
// "limits" text on top; keys of either that are missing or hold another type are skipped.
ExperimentLimits EffectiveLimits(const nlohmann::json& config, const std::optional<std::string>& limits_meta);

// The meta "limits" text with every key of `changes` set to its value (an unreadable
// old text counts as {}).
std::string MergeLimits(const std::optional<std::string>& limits_meta, const nlohmann::json& changes);

// "--name: must be an integer in [lo, hi], but got 'text'" unless `text` is one.
StatusOr<int64_t> ParseLimitInt(const std::string& name, const std::string& text, int64_t lo, int64_t hi);
// A positive duration in the config's maxExperimentDuration format ("30s", "10m",
// "1.5h", "2d", or seconds), else InvalidArgument naming `name`.
StatusOr<double> ParseLimitDuration(const std::string& name, const std::string& text);

// "4", "none", "1h30m"-style text of a limit for people: FormatDuration for durations.
std::string DescribeLimits(const ExperimentLimits& limits);

}  // namespace hone
