// ExperimentManager: commands from the CLI and the web UI (see experiment_manager.h).
#include <cmath>

#include "engine/experiment_manager.h"
#include "engine/trial_env.h"

namespace hone {

Status ExperimentManager::HandleCommands() {
  auto commands = storage_.TakeCommands();
  if (!commands.ok()) return commands.status();
  for (const auto& c : *commands) HONE_RETURN_IF_ERROR(HandleCommand(c));
  return Status::Ok();
}

// Commands come from other processes (CLI, web UI) and are checked there; a value that
// still does not fit is recorded as a warning, never fatal.
Status ExperimentManager::HandleCommand(const Command& c) {
  auto warn = [&](const std::string& what) {
    return storage_.AddEvent({clock_.Now(), -1, "warning", "command '" + c.name + "': " + what});
  };
  // A name this hone does not know (a newer or foreign writer) is reported, never fatal.
  if (!c.kind) return storage_.AddEvent({clock_.Now(), -1, "warning", "unknown command '" + c.name + "'"});
  const nlohmann::json value = c.args.is_object() && c.args.contains("value") ? c.args["value"] : nlohmann::json();
  switch (*c.kind) {
    case CommandKind::kStop:
      if (!stopping_) Say("stop requested");
      stopping_ = true;
      return Status::Ok();
    case CommandKind::kKillTrial: {
      int64_t seq = c.args.value("seq", int64_t{-1});
      auto it = live_.find(seq);
      if (it != live_.end()) RequestKill(it->second, TrialStatus::kCanceled, "killed by user");
      return Status::Ok();
    }
    case CommandKind::kSetConcurrency:
      if (!value.is_number_integer() || value.get<int64_t>() < 1) return warn("value must be an integer >= 1");
      concurrency_ = static_cast<int>(std::min<int64_t>(value.get<int64_t>(), 100000));
      Say("trial concurrency set to " + std::to_string(concurrency_));
      return SaveLimits();
    case CommandKind::kSetMaxTrialNumber: {
      if (!value.is_number_integer() || value.get<int64_t>() < 1) return warn("value must be an integer >= 1");
      max_trial_number_ = value.get<int64_t>();
      StatusOr<bool> exhausted = tuner_.IsExhausted();
      if (!exhausted.ok()) return exhausted.status();
      tuner_exhausted_ = tuner_exhausted_ && *exhausted;
      Say("max trial number set to " + std::to_string(*max_trial_number_));
      return SaveLimits();
    }
    case CommandKind::kSetMaxTrialDuration:
      if (value.is_null()) {
        max_trial_duration_s_.reset();
        Say("max trial duration removed");
      } else if (value.is_number() && value.get<double>() > 0 && std::isfinite(value.get<double>())) {
        max_trial_duration_s_ = value.get<double>();
        Say("max trial duration set to " + FormatValue(*max_trial_duration_s_) + " s");
      } else {
        return warn("value must be a number of seconds > 0, or null");
      }
      return SaveLimits();
    case CommandKind::kSetMaxExperimentDuration:
      if (!value.is_number() || !(value.get<double>() > 0) || !std::isfinite(value.get<double>()))
        return warn("value must be a number of seconds > 0");
      max_experiment_duration_s_ = value.get<double>();
      Say("max experiment duration set to " + FormatValue(*max_experiment_duration_s_) + " s");
      return SaveLimits();
    case CommandKind::kAddTrial:
      return AddTrialCommand(c);
  }
  return Status::Ok();
}

// Kept in meta "limits" so that readers (web UI) and a resumed manager see them.
Status ExperimentManager::SaveLimits() {
  nlohmann::json limits = {{"trial_concurrency", concurrency_}};
  limits["max_trial_number"] = max_trial_number_ ? nlohmann::json(*max_trial_number_) : nlohmann::json();
  limits["max_trial_duration_s"] = max_trial_duration_s_ ? nlohmann::json(*max_trial_duration_s_) : nlohmann::json();
  limits["max_experiment_duration_s"] =
      max_experiment_duration_s_ ? nlohmann::json(*max_experiment_duration_s_) : nlohmann::json();
  dirty_ = true;
  return storage_.PutMeta("limits", limits.dump());
}

// NNI's customized trial: runs next (before tuner suggestions) as a new configuration.
Status ExperimentManager::AddTrialCommand(const Command& c) {
  nlohmann::json params = c.args.is_object() ? c.args.value("parameters", nlohmann::json()) : nlohmann::json();
  std::string why;
  if (!params.is_object() ||
      (!config_.search_space_as_written && !config_.search_space.Contains(params, &why)))
    return storage_.AddEvent({clock_.Now(), -1, "warning", "command '" + c.name + "': " + "parameters outside the search space: " + why});
  TrialRecord added;
  added.config_id = configs_created_++;
  added.params = std::move(params);
  Say("trial added by user: " + JsonDump(added.params));
  HONE_RETURN_IF_ERROR(storage_.AddEvent({clock_.Now(), -1, "trial_added", JsonDump(added.params)}));
  reruns_.push_back(std::move(added));
  return Status::Ok();
}

}  // namespace hone
