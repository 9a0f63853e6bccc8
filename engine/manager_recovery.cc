// ExperimentManager: resuming from what storage holds (see experiment_manager.h).
#include <cstdlib>
#include <map>

#include "engine/experiment_manager.h"

namespace hone {
namespace {

// A failed trial whose configuration was to run again (the platform lost it).
bool WasRequeued(const TrialRecord& t) {
  return t.status == TrialStatus::kFailed && t.reason.rfind(kReasonRequeued, 0) == 0;
}

}  // namespace

// The pid the dead manager's kStarted reported (0: none). Recorded before trials had a
// pid column, the text of the "started" event ("pid 123 devices 0") holds it.
StatusOr<int64_t> ExperimentManager::RecordedPid(const TrialRecord& trial) {
  if (trial.pid != 0) return trial.pid;
  auto events = storage_.LoadEvents(trial.seq);
  if (!events.ok()) return events.status();
  int64_t pid = 0;
  for (const auto& e : *events)
    if (e.kind == "started" && e.detail.rfind("pid ", 0) == 0) pid = std::atoll(e.detail.c_str() + 4);
  return pid;
}

Status ExperimentManager::ReclaimLost(const TrialRecord& trial) {
  StatusOr<int64_t> pid = RecordedPid(trial);
  if (!pid.ok()) return pid.status();
  if (*pid == 0) return Status::Ok();  // it never started: nothing of it runs
  Status st = platform_.Reclaim(trial.seq, TrialDir(trial.seq), *pid);
  if (!st.ok()) Say("trial " + trial.id + ": could not end its leftover processes: " + st.message());
  return Status::Ok();
}

StatusOr<bool> ExperimentManager::AttachLost(const TrialRecord& trial) {
  StatusOr<int64_t> pid = RecordedPid(trial);
  if (!pid.ok()) return pid.status();
  StatusOr<bool> attached = platform_.Attach(MakeLaunch(trial), *pid);
  if (!attached.ok()) {
    Say("trial " + trial.id + ": could not re-attach: " + attached.status().message());
    return false;
  }
  if (!*attached) return false;
  Live& live = live_[trial.seq];
  live.record = trial;
  live.attached = true;
  live.replay_skip = trial.intermediate.size();
  HONE_RETURN_IF_ERROR(storage_.AddEvent({clock_.Now(), trial.seq, "attached",
                                          "taken back by the resumed manager (pid " + std::to_string(*pid) + ")"}));
  return true;
}

// Budgets changed by commands in an earlier run stay in force.
void ExperimentManager::RestoreLimits() {
  auto text = storage_.GetMeta("limits");
  if (!text) return;
  auto limits = nlohmann::json::parse(*text, nullptr, false);
  if (!limits.is_object()) return;
  if (limits.value("trial_concurrency", 0) >= 1) concurrency_ = limits["trial_concurrency"].get<int>();
  if (limits.contains("max_trial_number"))
    max_trial_number_ = limits["max_trial_number"].is_number_integer()
                            ? std::optional<int64_t>(limits["max_trial_number"].get<int64_t>()) : std::nullopt;
  if (limits.contains("max_trial_duration_s"))
    max_trial_duration_s_ = limits["max_trial_duration_s"].is_number()
                                ? std::optional<double>(limits["max_trial_duration_s"].get<double>()) : std::nullopt;
  if (limits.contains("max_experiment_duration_s") && limits["max_experiment_duration_s"].is_number())
    max_experiment_duration_s_ = limits["max_experiment_duration_s"].get<double>();
}

Status ExperimentManager::Recover() {
  auto trials = storage_.LoadTrials(/*with_intermediate=*/true);
  if (!trials.ok()) return trials.status();
  if (auto e = storage_.GetMeta("elapsed")) elapsed_before_ = std::atof(e->c_str());
  RestoreLimits();
  std::vector<TrialRecord> completed;
  std::map<int64_t, bool> config_finished;
  std::map<int64_t, TrialRecord> config_last;
  int reattached = 0;
  for (auto& t : *trials) {
    next_seq_ = std::max(next_seq_, t.seq + 1);
    configs_created_ = std::max(configs_created_, t.config_id + 1);
    if (t.status == TrialStatus::kWaiting || t.status == TrialStatus::kRunning) {
      StatusOr<bool> attached = AttachLost(t);
      if (!attached.ok()) return attached.status();
      if (*attached) {
        counts_[t.status]++;
        config_last[t.config_id] = t;
        ++reattached;
        continue;
      }
      HONE_RETURN_IF_ERROR(ReclaimLost(t));
      t.status = TrialStatus::kLost;
      t.ended_at = clock_.Now();
      t.reason = kReasonManagerLost;
      HONE_RETURN_IF_ERROR(storage_.UpdateTrial(t));
      HONE_RETURN_IF_ERROR(storage_.AddEvent({clock_.Now(), t.seq, "lost", t.reason}));
    }
    counts_[t.status]++;
    config_last[t.config_id] = t;
    bool requeued = WasRequeued(t);
    if (requeued) retries_[t.config_id]++;
    if (IsFinished(t.status) && !requeued) {
      config_finished[t.config_id] = true;
      finished_.push_back(t);
      completed.push_back(t);
      if (t.HasRankableFinal() && (!best_ || Better(*t.final_value, *best_->final_value, config_.tuner.mode)))
        best_ = t;
    }
  }
  // Configurations that never finished (their last run was lost, or canceled because
  // the experiment stopped) run again; a trial a user killed stays canceled.
  for (auto& [config_id, last] : config_last) {
    if (config_finished.count(config_id)) continue;
    if (live_.count(last.seq)) continue;  // re-attached
    bool rerun = WasRequeued(last) || last.status == TrialStatus::kLost ||
                 (last.status == TrialStatus::kCanceled && last.reason == kReasonExperimentStopped);
    if (!rerun) continue;
    TrialRecord again;
    again.config_id = config_id;
    again.params = last.params;
    reruns_.push_back(std::move(again));
  }
  if (!trials->empty()) {
    std::string attached_text = reattached ? std::to_string(reattached) + " re-attached, " : "";
    Say("resuming: " + std::to_string(completed.size()) + " finished trials replayed, " + attached_text +
        std::to_string(reruns_.size()) + " configurations to run again");
    HONE_RETURN_IF_ERROR(storage_.AddEvent({clock_.Now(), -1, "resumed",
                                            std::to_string(completed.size()) + " finished, " + attached_text +
                                                std::to_string(reruns_.size()) + " rerun"}));
  }
  HONE_RETURN_IF_ERROR(tuner_.Update(completed, ActiveRecords()));
  return storage_.Flush();
}

}  // namespace hone
