#include "tuners/ask_tell.h"

#include <algorithm>
#include <cmath>

namespace hone {

StatusOr<std::unique_ptr<AskTellStudy>> AskTellStudy::Create(const Registry& registry,
                                                             const std::string& tuner_name,
                                                             const nlohmann::json& search_space,
                                                             const nlohmann::json& class_args,
                                                             uint64_t seed, OptimizeMode mode) {
  const TunerInfo* info = registry.FindTuner(tuner_name);
  if (info == nullptr) {
    std::string names;
    for (const auto& n : registry.TunerNames()) names += (names.empty() ? "" : ", ") + n;
    return InvalidArgument("unknown tuner '" + tuner_name + "' (known: " + names + ")");
  }
  HONE_RETURN_IF_ERROR(CheckArgsJson(class_args, "classArgs", info->args).WithContext(info->name));
  if (class_args.is_object() && class_args.contains("optimize_mode") && class_args["optimize_mode"].is_string() &&
      class_args["optimize_mode"].get<std::string>() != OptimizeModeName(mode))
    return InvalidArgument(info->name + ": classArgs.optimize_mode '" + class_args["optimize_mode"].get<std::string>() +
                           "' contradicts the study's mode '" + std::string(OptimizeModeName(mode)) + "'");
  auto space = SearchSpace::FromJson(search_space);
  if (!space.ok()) return space.status().WithContext("search space");

  std::unique_ptr<AskTellStudy> study(new AskTellStudy());
  study->space_ = std::make_unique<SearchSpace>(std::move(*space));
  study->mode_ = mode;
  TunerContext ctx;
  ctx.space = study->space_.get();
  ctx.class_args = class_args.is_object() ? class_args : nlohmann::json::object();
  ctx.seed = seed;
  ctx.mode = mode;
  auto tuner = info->create(ctx);
  if (!tuner.ok()) return tuner.status();
  study->tuner_ = std::move(*tuner);
  return study;
}

StatusOr<std::vector<Suggestion>> AskTellStudy::Ask(int n) {
  std::vector<Suggestion> out;
  if (n <= 0) return out;
  auto batch = tuner_->Suggest(n);
  if (!batch.ok()) return batch.status();
  for (auto& params : *batch) {
    TrialRecord r;
    r.seq = next_trial_;
    r.config_id = next_trial_;
    r.id = std::to_string(next_trial_);
    r.status = TrialStatus::kRunning;
    r.params = params;
    active_.emplace(next_trial_, std::move(r));
    out.push_back(Suggestion{next_trial_, std::move(params)});
    ++next_trial_;
  }
  return out;
}

Status AskTellStudy::Finish(int64_t trial, TrialStatus status, std::optional<double> value) {
  auto it = active_.find(trial);
  if (it == active_.end()) {
    if (trial >= 0 && trial < next_trial_) return FailedPrecondition("trial " + std::to_string(trial) + " was already told");
    return NotFound("trial " + std::to_string(trial) + " was never asked");
  }
  TrialRecord done = std::move(it->second);
  active_.erase(it);
  done.status = status;
  done.final_value = value;
  if (value) done.final_metrics = {{"default", *value}};
  if (status == TrialStatus::kSucceeded && done.HasRankableFinal() &&
      (!best_ || Better(*value, best_->value, mode_)))
    best_ = BestTrial{trial, done.params, *value};
  std::vector<TrialRecord> still;
  still.reserve(active_.size());
  for (const auto& [_, r] : active_) still.push_back(r);
  tuner_->Update(std::span<const TrialRecord>(&done, 1), still);
  return Status::Ok();
}

Status AskTellStudy::Tell(int64_t trial, double value) {
  return Finish(trial, TrialStatus::kSucceeded, value);
}

Status AskTellStudy::TellFailed(int64_t trial) { return Finish(trial, TrialStatus::kFailed, std::nullopt); }

}  // namespace hone
