// ExperimentManager: the platform events of one trial (see experiment_manager.h).
#include "engine/experiment_manager.h"
#include "engine/trial_env.h"
#include "trials/protocol.h"

namespace hone {
namespace {
constexpr int kMaxMalformedWarnings = 20;  // per trial; later ones are only counted
}  // namespace

void ExperimentManager::RequestKill(Live& live, TrialStatus as, const std::string& reason) {
  if (live.kill_as) return;
  live.kill_as = as;
  live.kill_reason = reason;
  Status st = platform_.Kill(live.record.seq);
  if (!st.ok()) Say("trial " + live.record.id + ": kill failed: " + st.message());
}

void ExperimentManager::EnforceTrialDurations() {
  if (!max_trial_duration_s_) return;
  double now = clock_.Now();
  for (auto& [seq, live] : live_) {
    if (live.kill_as || live.record.status != TrialStatus::kRunning) continue;
    if (now - live.record.started_at >= *max_trial_duration_s_)
      RequestKill(live, TrialStatus::kTimeout,
                  "ran longer than maxTrialDuration (" + FormatValue(*max_trial_duration_s_) + " s)");
  }
}

Status ExperimentManager::HandleLine(Live& live, const PlatformEvent& event) {
  if (event.truncated) return Status::Ok();  // an over-long line is log, never a report
  Report report = ParseReportLine(event.line);
  TrialRecord& r = live.record;
  switch (report.kind) {
    case Report::Kind::kNone: return Status::Ok();
    case Report::Kind::kMalformed: {
      if (++live.malformed_lines <= kMaxMalformedWarnings)
        HONE_RETURN_IF_ERROR(storage_.AddEvent({clock_.Now(), r.seq, "warning", "malformed report line: " + report.error}));
      return Status::Ok();
    }
    case Report::Kind::kIntermediate: {
      if (live.replay_skip > 0) {  // an attached trial's stdout again: already stored
        --live.replay_skip;
        return Status::Ok();
      }
      int64_t step = report.step.value_or(r.intermediate.empty() ? 0 : r.intermediate.back().step + 1);
      r.intermediate.push_back({step, report.value});
      HONE_RETURN_IF_ERROR(storage_.AppendIntermediate(r.seq, step, report.value, JsonDump(report.metrics)));
      dirty_ = true;
      if (live.kill_as) return Status::Ok();
      StatusOr<Verdict> verdict = assessor_.Assess(r, finished_);
      if (!verdict.ok()) return verdict.status();
      if (*verdict == Verdict::kStop)
        RequestKill(live, TrialStatus::kEarlyStopped, "stopped by " + assessor_.Label() + " at step " + std::to_string(step));
      return Status::Ok();
    }
    case Report::Kind::kFinal:
      r.final_value = report.value;
      r.final_metrics = report.metrics;
      dirty_ = true;
      return Status::Ok();
  }
  return Status::Ok();
}

Status ExperimentManager::FinishTrial(Live& live, const PlatformEvent& event) {
  TrialRecord r = std::move(live.record);
  counts_[r.status]--;
  r.ended_at = clock_.Now();
  SetOutcome(live, event, r);
  counts_[r.status]++;
  bool requeue = event.platform_failure && !live.kill_as && !stopping_ &&
                 retries_[r.config_id] < config_.max_trial_retries;
  if (requeue) r.reason = kReasonRequeued + r.reason;
  live_.erase(r.seq);
  HONE_RETURN_IF_ERROR(storage_.UpdateTrial(r));
  Say(OutcomeLine(r));
  if (requeue) return Requeue(r);

  if (r.status == TrialStatus::kCanceled && r.reason == kReasonExperimentStopped) {
    dirty_ = true;
    return Status::Ok();  // resume reruns it; the tuner has not learnt anything
  }
  dirty_ = true;
  if (!IsFinished(r.status)) return Status::Ok();
  finished_.push_back(r);
  HONE_RETURN_IF_ERROR(CheckFailFast());
  std::vector<TrialRecord> completed = {r};
  std::vector<TrialRecord> active = ActiveRecords();
  return tuner_.Update(completed, active);
}

// How the trial ended: the kill the manager asked for, a signal, an exit code, a missing
// final metric, or success; a failure carries the end of its stderr.
void ExperimentManager::SetOutcome(const Live& live, const PlatformEvent& event, TrialRecord& r) const {
  r.exit_code = event.signal ? 128 + event.signal : event.exit_code;
  if (live.kill_as) {
    r.status = *live.kill_as;
    r.reason = live.kill_reason;
  } else if (event.platform_failure) {
    r.status = TrialStatus::kFailed;
    r.reason = event.stderr_tail.empty() ? "the platform lost the trial" : event.stderr_tail;
    return;
  } else if (event.signal) {
    r.status = TrialStatus::kFailed;
    r.reason = "killed by signal " + std::to_string(event.signal);
  } else if (event.exit_code != 0) {
    r.status = TrialStatus::kFailed;
    r.reason = "exit code " + std::to_string(event.exit_code);
  } else if (!r.final_value) {
    r.status = TrialStatus::kFailed;
    r.reason = "exited 0 without reporting a final metric";
  } else {
    r.status = TrialStatus::kSucceeded;
  }
  if (r.status == TrialStatus::kFailed && !event.stderr_tail.empty()) {
    std::string tail = event.stderr_tail;
    if (tail.size() > 2000) {
      size_t cut = tail.size() - 2000;
      while (cut < tail.size() && (static_cast<unsigned char>(tail[cut]) & 0xC0) == 0x80) ++cut;  // UTF-8 boundary
      tail = tail.substr(cut);
    }
    r.reason += "; stderr: " + tail;
  }
}

Status ExperimentManager::Requeue(const TrialRecord& lost) {
  int retry = ++retries_[lost.config_id];
  TrialRecord again;
  again.config_id = lost.config_id;
  again.params = lost.params;
  reruns_.push_back(std::move(again));
  dirty_ = true;
  return storage_.AddEvent({clock_.Now(), lost.seq, "requeued",
                            "configuration " + std::to_string(lost.config_id) + " runs again (retry " +
                                std::to_string(retry) + " of maxTrialRetries " +
                                std::to_string(config_.max_trial_retries) + ")"});
}

// "trial 3 succeeded: 0.91 (1.2 s)  [best so far]"; updates the best trial.
std::string ExperimentManager::OutcomeLine(const TrialRecord& r) {
  std::string line = "trial " + r.id + " " + std::string(TrialStatusName(r.status));
  if (r.final_value) line += ": " + FormatValue(*r.final_value);
  if (r.started_at > 0) line += " (" + FormatValue(r.ended_at - r.started_at) + " s)";
  if (r.status != TrialStatus::kSucceeded && !r.reason.empty()) line += " - " + r.reason.substr(0, 200);
  if (r.HasRankableFinal() && IsFinished(r.status) &&
      (!best_ || Better(*r.final_value, *best_->final_value, config_.tuner.mode))) {
    best_ = r;
    line += "  [best so far]";
  }
  return line;
}

// failFast: when the first N trials to finish all failed the same way (the same exit code,
// signal or missing metric) and none succeeded, the trial command is broken: stop rather than
// run the whole budget into the same failure, and show the first failure's stderr.
Status ExperimentManager::CheckFailFast() const {
  int n = config_.fail_fast;
  if (n <= 0 || finished_.size() < static_cast<size_t>(n)) return Status::Ok();
  if (counts_.count(TrialStatus::kSucceeded) && counts_.at(TrialStatus::kSucceeded) > 0) return Status::Ok();
  auto how = [](const TrialRecord& t) { return t.reason.substr(0, t.reason.find("; stderr: ")); };
  const TrialRecord& first = finished_.front();
  for (int i = 0; i < n; ++i) {
    const TrialRecord& t = finished_[i];
    if (t.status != TrialStatus::kFailed || how(t) != how(first)) return Status::Ok();
  }
  std::string message = n == 1 ? "the first trial failed (" + how(first) + ")"
                               : "the first " + std::to_string(n) + " trials all failed the same way (" + how(first) + ")";
  message += "; stopping the experiment (failFast: " + std::to_string(n) + "; 0 turns this off)";
  size_t tail = first.reason.find("; stderr: ");
  if (tail != std::string::npos) message += "\ntrial " + first.id + " stderr:\n" + first.reason.substr(tail + 10);
  return FailedPrecondition(message);
}

Status ExperimentManager::HandleEvent(const PlatformEvent& event) {
  auto it = live_.find(event.seq);
  if (it == live_.end()) return Status::Ok();  // stale event of a finished trial
  Live& live = it->second;
  switch (event.kind) {
    case PlatformEvent::Kind::kStarted: {
      counts_[live.record.status]--;
      bool reattached = live.attached && live.record.status == TrialStatus::kRunning;
      live.record.status = TrialStatus::kRunning;
      if (!reattached) live.record.started_at = clock_.Now();
      live.record.pid = event.pid;  // so that a resumed manager can end what a dead one left running
      live.record.reason.clear();   // a pending reason no longer holds
      counts_[TrialStatus::kRunning]++;
      HONE_RETURN_IF_ERROR(storage_.UpdateTrial(live.record));
      // The log users read.
      HONE_RETURN_IF_ERROR(storage_.AddEvent({clock_.Now(), live.record.seq, reattached ? "reattached" : "started",
                                              "pid " + std::to_string(event.pid) +
                                                  (event.devices.empty() ? "" : " devices " + event.devices)}));
      dirty_ = true;
      return Status::Ok();
    }
    case PlatformEvent::Kind::kStdoutLine:
      return HandleLine(live, event);
    case PlatformEvent::Kind::kWaiting:
      // Shown on the waiting trial (trial ls, the web UI) and kept in the event log.
      if (live.record.status != TrialStatus::kWaiting || live.record.reason == event.line) return Status::Ok();
      live.record.reason = event.line;
      HONE_RETURN_IF_ERROR(storage_.UpdateTrial(live.record));
      HONE_RETURN_IF_ERROR(storage_.AddEvent({clock_.Now(), live.record.seq, "pending", event.line}));
      dirty_ = true;
      return Status::Ok();
    case PlatformEvent::Kind::kExited:
      return FinishTrial(live, event);
  }
  return Status::Ok();
}

}  // namespace hone
