#include "core/experiment_manager.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "trials/protocol.h"

namespace hone {
namespace fs = std::filesystem;

namespace {

// Turn length: how long Poll may wait when nothing happens.
constexpr auto kPollTimeout = std::chrono::milliseconds(100);
constexpr double kCommandInterval = 0.2;   // seconds between command-queue checks
constexpr double kSnapshotInterval = 0.25; // seconds between progress snapshots
constexpr int kMaxMalformedWarnings = 20;  // per trial; later ones are only counted

std::string FormatValue(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

std::string JsonDump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

double SystemClock::Now() const {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

ExperimentManager::ExperimentManager(const ExperimentConfig& config, ManagerOptions options,
                                     Storage& storage, Platform& platform, Tuner& tuner,
                                     Assessor& assessor, const Clock& clock, ProgressSink* progress)
    : config_(config), options_(std::move(options)), storage_(storage), platform_(platform),
      tuner_(tuner), assessor_(assessor), clock_(clock), progress_(progress),
      concurrency_(config.trial_concurrency), max_trial_number_(config.max_trial_number),
      max_trial_duration_s_(config.max_trial_duration_s) {}

double ExperimentManager::Elapsed() const { return elapsed_before_ + (clock_.Now() - started_at_); }

std::string ExperimentManager::TrialDir(int64_t seq) const {
  return (fs::path(options_.experiment_dir) / "trials" / std::to_string(seq)).string();
}

void ExperimentManager::Say(const std::string& line) {
  if (progress_) progress_->OnLine(line);
}

std::vector<TrialRecord> ExperimentManager::ActiveRecords() const {
  std::vector<TrialRecord> out;
  out.reserve(live_.size() + reruns_.size());
  for (const auto& [seq, live] : live_) out.push_back(live.record);
  for (const auto& r : reruns_) out.push_back(r);
  return out;
}

Status ExperimentManager::ReclaimLost(const TrialRecord& trial) {
  auto events = storage_.LoadEvents(trial.seq);
  if (!events.ok()) return events.status();
  for (const auto& e : *events) {
    if (e.kind != "started" || e.detail.rfind("pid ", 0) != 0) continue;
    int64_t pid = std::atoll(e.detail.c_str() + 4);
    Status st = platform_.Reclaim(trial.seq, TrialDir(trial.seq), pid);
    if (!st.ok()) Say("trial " + trial.id + ": could not end its leftover processes: " + st.message());
  }
  return Status::Ok();
}

Status ExperimentManager::Recover() {
  auto trials = storage_.LoadTrials(/*with_intermediate=*/true);
  if (!trials.ok()) return trials.status();
  if (auto e = storage_.GetMeta("elapsed")) elapsed_before_ = std::atof(e->c_str());
  if (auto text = storage_.GetMeta("limits")) {
    // Budgets changed by commands in an earlier run stay in force.
    auto limits = nlohmann::json::parse(*text, nullptr, false);
    if (limits.is_object()) {
      if (limits.value("trial_concurrency", 0) >= 1) concurrency_ = limits["trial_concurrency"].get<int>();
      if (limits.contains("max_trial_number"))
        max_trial_number_ = limits["max_trial_number"].is_number_integer()
                                ? std::optional<int64_t>(limits["max_trial_number"].get<int64_t>()) : std::nullopt;
      if (limits.contains("max_trial_duration_s"))
        max_trial_duration_s_ = limits["max_trial_duration_s"].is_number()
                                    ? std::optional<double>(limits["max_trial_duration_s"].get<double>()) : std::nullopt;
    }
  }
  std::vector<TrialRecord> completed;
  std::map<int64_t, bool> config_finished;
  std::map<int64_t, TrialRecord> config_last;
  for (auto& t : *trials) {
    next_seq_ = std::max(next_seq_, t.seq + 1);
    configs_created_ = std::max(configs_created_, t.config_id + 1);
    if (t.status == TrialStatus::kWaiting || t.status == TrialStatus::kRunning) {
      HONE_RETURN_IF_ERROR(ReclaimLost(t));
      t.status = TrialStatus::kLost;
      t.ended_at = clock_.Now();
      t.reason = kReasonManagerLost;
      HONE_RETURN_IF_ERROR(storage_.UpdateTrial(t));
      HONE_RETURN_IF_ERROR(storage_.AddEvent({clock_.Now(), t.seq, "lost", t.reason}));
    }
    counts_[t.status]++;
    config_last[t.config_id] = t;
    if (IsFinished(t.status)) {
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
    bool rerun = last.status == TrialStatus::kLost ||
                 (last.status == TrialStatus::kCanceled && last.reason == kReasonExperimentStopped);
    if (!rerun) continue;
    TrialRecord again;
    again.config_id = config_id;
    again.params = last.params;
    reruns_.push_back(std::move(again));
  }
  if (!trials->empty()) {
    Say("resuming: " + std::to_string(completed.size()) + " finished trials replayed, " +
        std::to_string(reruns_.size()) + " configurations to run again");
    HONE_RETURN_IF_ERROR(storage_.AddEvent({clock_.Now(), -1, "resumed",
                                            std::to_string(completed.size()) + " finished, " +
                                                std::to_string(reruns_.size()) + " rerun"}));
  }
  std::vector<TrialRecord> active = reruns_;
  tuner_.Update(completed, active);
  return storage_.Flush();
}

bool ExperimentManager::BudgetAllowsNewConfigs() const {
  if (max_trial_number_ && configs_created_ >= *max_trial_number_) return false;
  if (config_.max_experiment_duration_s && Elapsed() >= *config_.max_experiment_duration_s) return false;
  return true;
}

bool ExperimentManager::Done() const {
  if (!live_.empty()) return false;
  if (stopping_) return true;
  bool duration_over = config_.max_experiment_duration_s && Elapsed() >= *config_.max_experiment_duration_s;
  if (duration_over) return true;
  if (!reruns_.empty()) return false;
  return !BudgetAllowsNewConfigs() || tuner_exhausted_;
}

std::map<std::string, std::string> ExperimentManager::TrialEnv(const TrialRecord& r) const {
  std::string dir = TrialDir(r.seq);
  std::string output = dir + "/output";
  std::string params = JsonDump(r.params);
  std::map<std::string, std::string> env = {
      {"HONE_PARAMS", params},
      {"HONE_TRIAL_DIR", dir},
      {"HONE_OUTPUT_DIR", output},
      {"HONE_TRIAL_ID", r.id},
      {"HONE_TRIAL_SEQ", std::to_string(r.seq)},
      {"HONE_EXPERIMENT_ID", options_.experiment_id},
      // What NNI trial code expects to find.
      {"NNI_PLATFORM", "hone"},
      {"NNI_EXP_ID", options_.experiment_id},
      {"NNI_TRIAL_JOB_ID", r.id},
      {"NNI_TRIAL_SEQ_ID", std::to_string(r.seq)},
      {"NNI_SYS_DIR", dir},
      {"NNI_OUTPUT_DIR", output},
  };
  if (!options_.sdk_python_dir.empty()) {
    const char* existing = std::getenv("PYTHONPATH");
    env["PYTHONPATH"] = options_.sdk_python_dir +
                        (existing && *existing ? std::string(":") + existing : std::string());
  }
  return env;
}

Status ExperimentManager::LaunchTrial(TrialRecord record) {
  std::string dir = TrialDir(record.seq);
  std::error_code ec;
  fs::create_directories(dir + "/output", ec);
  if (ec) return IoError("cannot create trial directory " + dir + ": " + ec.message());
  {
    std::ofstream out(dir + "/params.json", std::ios::binary | std::ios::trunc);
    out << JsonDump(record.params) << "\n";
    if (!out) return IoError("cannot write " + dir + "/params.json");
  }
  TrialLaunch launch;
  launch.seq = record.seq;
  launch.command = config_.trial_command;
  launch.working_dir = config_.trial_code_directory;
  launch.trial_dir = dir;
  launch.env = TrialEnv(record);
  Live& live = live_[record.seq];
  live.record = std::move(record);
  Status st = platform_.Launch(launch);
  if (!st.ok()) {
    // The trial could not start: it fails, the experiment goes on.
    PlatformEvent exited;
    exited.kind = PlatformEvent::Kind::kExited;
    exited.seq = launch.seq;
    exited.exit_code = -1;
    exited.stderr_tail = "launch failed: " + st.message();
    return FinishTrial(live, exited);
  }
  return Status::Ok();
}

Status ExperimentManager::FillSlots() {
  if (stopping_) return Status::Ok();
  bool duration_over = config_.max_experiment_duration_s && Elapsed() >= *config_.max_experiment_duration_s;
  if (duration_over) return Status::Ok();
  int free = concurrency_ - static_cast<int>(live_.size());
  free = std::min(free, platform_.Capacity());
  if (free <= 0) return Status::Ok();

  std::vector<TrialRecord> batch;
  while (free > 0 && !reruns_.empty()) {
    batch.push_back(std::move(reruns_.front()));
    reruns_.erase(reruns_.begin());
    --free;
  }
  if (free > 0 && !tuner_exhausted_ && BudgetAllowsNewConfigs()) {
    int want = free;
    if (max_trial_number_)
      want = static_cast<int>(std::min<int64_t>(want, *max_trial_number_ - configs_created_));
    auto suggested = tuner_.Suggest(want);
    if (!suggested.ok()) {
      if (suggested.status().code() != StatusCode::kExhausted)
        return suggested.status().WithContext("tuner '" + std::string(tuner_.Name()) + "'");
      tuner_exhausted_ = true;
      Say("tuner: " + suggested.status().message());
      HONE_RETURN_IF_ERROR(storage_.AddEvent({clock_.Now(), -1, "tuner_exhausted", suggested.status().message()}));
    } else {
      for (auto& params : *suggested) {
        std::string why;
        if (!config_.search_space.Contains(WithoutSchedulerParams(params, config_.search_space), &why))
          return Internal("tuner '" + std::string(tuner_.Name()) + "' suggested a configuration outside the search space: " + why);
        TrialRecord r;
        r.config_id = configs_created_++;
        r.params = std::move(params);
        batch.push_back(std::move(r));
      }
      if (suggested->empty() && live_.empty() && reruns_.empty() && batch.empty()) {
        // Nothing running and nothing offered: the tuner has nothing left.
        tuner_exhausted_ = true;
        Say("tuner: no more configurations");
      }
      if (tuner_.IsExhausted()) tuner_exhausted_ = true;
    }
  }
  if (batch.empty()) return Status::Ok();
  double now = clock_.Now();
  for (auto& r : batch) {
    r.seq = next_seq_++;
    r.id = std::to_string(r.seq);
    r.status = TrialStatus::kWaiting;
    r.created_at = now;
    HONE_RETURN_IF_ERROR(storage_.InsertTrial(r));
  }
  // Durable before any process starts: a crash now leaves waiting trials that resume reruns.
  HONE_RETURN_IF_ERROR(storage_.Flush());
  for (auto& r : batch) {
    counts_[TrialStatus::kWaiting]++;
    HONE_RETURN_IF_ERROR(LaunchTrial(std::move(r)));
  }
  dirty_ = true;
  return Status::Ok();
}

void ExperimentManager::RequestKill(Live& live, TrialStatus as, const std::string& reason) {
  if (live.kill_as) return;
  live.kill_as = as;
  live.kill_reason = reason;
  live.kill_sent_at = clock_.Now();
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
      int64_t step = report.step.value_or(r.intermediate.empty() ? 0 : r.intermediate.back().step + 1);
      r.intermediate.push_back({step, report.value});
      HONE_RETURN_IF_ERROR(storage_.AppendIntermediate(r.seq, step, report.value, JsonDump(report.metrics)));
      dirty_ = true;
      if (!live.kill_as && assessor_.Assess(r, finished_) == Verdict::kStop) {
        RequestKill(live, TrialStatus::kEarlyStopped,
                    "stopped by assessor '" + std::string(assessor_.Name()) + "' at step " + std::to_string(step));
      }
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
  r.exit_code = event.signal ? 128 + event.signal : event.exit_code;
  if (live.kill_as) {
    r.status = *live.kill_as;
    r.reason = live.kill_reason;
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
  counts_[r.status]++;
  live_.erase(r.seq);
  HONE_RETURN_IF_ERROR(storage_.UpdateTrial(r));

  std::string line = "trial " + r.id + " " + std::string(TrialStatusName(r.status));
  if (r.final_value) line += ": " + FormatValue(*r.final_value);
  if (r.started_at > 0) line += " (" + FormatValue(r.ended_at - r.started_at) + " s)";
  if (r.status != TrialStatus::kSucceeded && !r.reason.empty()) line += " - " + r.reason.substr(0, 200);
  if (r.HasRankableFinal() && IsFinished(r.status) &&
      (!best_ || Better(*r.final_value, *best_->final_value, config_.tuner.mode))) {
    best_ = r;
    line += "  [best so far]";
  }
  Say(line);

  if (r.status == TrialStatus::kCanceled && r.reason == kReasonExperimentStopped) {
    dirty_ = true;
    return Status::Ok();  // resume reruns it; the tuner has not learnt anything
  }
  if (IsFinished(r.status)) {
    finished_.push_back(r);
    std::vector<TrialRecord> completed = {r};
    std::vector<TrialRecord> active = ActiveRecords();
    tuner_.Update(completed, active);
  }
  dirty_ = true;
  return Status::Ok();
}

Status ExperimentManager::HandleEvent(const PlatformEvent& event) {
  auto it = live_.find(event.seq);
  if (it == live_.end()) return Status::Ok();  // stale event of a finished trial
  Live& live = it->second;
  switch (event.kind) {
    case PlatformEvent::Kind::kStarted:
      counts_[live.record.status]--;
      live.record.status = TrialStatus::kRunning;
      live.record.started_at = clock_.Now();
      counts_[TrialStatus::kRunning]++;
      HONE_RETURN_IF_ERROR(storage_.UpdateTrial(live.record));
      // Kept so that a resumed manager can end what a dead one left running.
      HONE_RETURN_IF_ERROR(storage_.AddEvent({clock_.Now(), live.record.seq, "started",
                                              "pid " + std::to_string(event.pid) +
                                                  (event.devices.empty() ? "" : " devices " + event.devices)}));
      dirty_ = true;
      return Status::Ok();
    case PlatformEvent::Kind::kStdoutLine:
      return HandleLine(live, event);
    case PlatformEvent::Kind::kExited:
      return FinishTrial(live, event);
  }
  return Status::Ok();
}

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
    return storage_.AddEvent({clock_.Now(), -1, "warning", "command '" + c.kind + "': " + what});
  };
  const nlohmann::json value = c.args.is_object() && c.args.contains("value") ? c.args["value"] : nlohmann::json();
  if (c.kind == "stop") {
    if (!stopping_) Say("stop requested");
    stopping_ = true;
  } else if (c.kind == "kill_trial") {
    int64_t seq = c.args.value("seq", int64_t{-1});
    auto it = live_.find(seq);
    if (it != live_.end()) RequestKill(it->second, TrialStatus::kCanceled, "killed by user");
  } else if (c.kind == "set_concurrency") {
    if (!value.is_number_integer() || value.get<int64_t>() < 1) return warn("value must be an integer >= 1");
    concurrency_ = static_cast<int>(std::min<int64_t>(value.get<int64_t>(), 100000));
    Say("trial concurrency set to " + std::to_string(concurrency_));
    return SaveLimits();
  } else if (c.kind == "set_max_trial_number") {
    if (!value.is_number_integer() || value.get<int64_t>() < 1) return warn("value must be an integer >= 1");
    max_trial_number_ = value.get<int64_t>();
    tuner_exhausted_ = tuner_exhausted_ && tuner_.IsExhausted();
    Say("max trial number set to " + std::to_string(*max_trial_number_));
    return SaveLimits();
  } else if (c.kind == "set_max_trial_duration") {
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
  } else if (c.kind == "add_trial") {
    // NNI's customized trial: runs next (before tuner suggestions) as a new configuration.
    nlohmann::json params = c.args.is_object() ? c.args.value("parameters", nlohmann::json()) : nlohmann::json();
    std::string why;
    if (!params.is_object() || !config_.search_space.Contains(params, &why))
      return warn("parameters outside the search space: " + why);
    TrialRecord added;
    added.config_id = configs_created_++;
    added.params = std::move(params);
    Say("trial added by user: " + JsonDump(added.params));
    HONE_RETURN_IF_ERROR(storage_.AddEvent({clock_.Now(), -1, "trial_added", JsonDump(added.params)}));
    reruns_.push_back(std::move(added));
  } else {
    return storage_.AddEvent({clock_.Now(), -1, "warning", "unknown command '" + c.kind + "'"});
  }
  return Status::Ok();
}

// Kept in meta "limits" so that readers (web UI) and a resumed manager see them.
Status ExperimentManager::SaveLimits() {
  nlohmann::json limits = {{"trial_concurrency", concurrency_}};
  limits["max_trial_number"] = max_trial_number_ ? nlohmann::json(*max_trial_number_) : nlohmann::json();
  limits["max_trial_duration_s"] = max_trial_duration_s_ ? nlohmann::json(*max_trial_duration_s_) : nlohmann::json();
  dirty_ = true;
  return storage_.PutMeta("limits", limits.dump());
}

void ExperimentManager::Snapshot(bool force) {
  double now = clock_.Now();
  if (!progress_ || (!force && (!dirty_ || now - last_snapshot_ < kSnapshotInterval))) return;
  last_snapshot_ = now;
  dirty_ = false;
  ProgressSnapshot s;
  for (const auto& [status, n] : counts_)
    if (n > 0) s.counts[status] = n;
  s.configs_created = configs_created_;
  s.max_trial_number = max_trial_number_;
  s.elapsed_s = Elapsed();
  s.max_duration_s = config_.max_experiment_duration_s;
  s.best = best_;
  s.mode = config_.tuner.mode;
  progress_->OnSnapshot(s);
}

StatusOr<std::string> ExperimentManager::Run() {
  started_at_ = clock_.Now();
  HONE_RETURN_IF_ERROR(Recover());
  HONE_RETURN_IF_ERROR(storage_.PutMeta("status", kExpRunning));
  HONE_RETURN_IF_ERROR(storage_.Flush());

  Status error;
  std::vector<PlatformEvent> events;
  while (true) {
    if (options_.stop_requested && options_.stop_requested->load() && !stopping_) {
      Say("stopping: canceling running trials");
      stopping_ = true;
    }
    double now = clock_.Now();
    if (now - last_command_check_ >= kCommandInterval) {
      last_command_check_ = now;
      error = HandleCommands();
      if (!error.ok()) break;
    }
    if (stopping_) {
      for (auto& [seq, live] : live_) RequestKill(live, TrialStatus::kCanceled, kReasonExperimentStopped);
    }
    error = FillSlots();
    if (!error.ok()) break;
    EnforceTrialDurations();
    if (Done()) break;

    events.clear();
    error = platform_.Poll(kPollTimeout, &events);
    if (!error.ok()) break;
    for (const auto& e : events) {
      error = HandleEvent(e);
      if (!error.ok()) break;
    }
    if (!error.ok()) break;
    error = storage_.PutMeta("elapsed", std::to_string(Elapsed()));
    if (!error.ok()) break;
    error = storage_.Flush();
    if (!error.ok()) break;
    Snapshot(false);
  }

  std::string status;
  if (!error.ok()) {
    status = kExpFailed;
    Say("error: " + error.message());
    for (auto& [seq, live] : live_) RequestKill(live, TrialStatus::kCanceled, kReasonExperimentStopped);
  } else if (stopping_) {
    status = kExpStopped;
  } else if (tuner_exhausted_ && BudgetAllowsNewConfigs()) {
    status = kExpNoMoreTrial;
  } else {
    status = kExpDone;
  }
  // Drain whatever still runs (after an error or stop) so no process outlives us.
  Status stop = platform_.Stop(std::chrono::milliseconds(3000));
  events.clear();
  (void)platform_.Poll(std::chrono::milliseconds(0), &events);
  for (const auto& e : events) (void)HandleEvent(e);
  for (auto it = live_.begin(); it != live_.end();) {
    PlatformEvent exited;
    exited.kind = PlatformEvent::Kind::kExited;
    exited.seq = it->first;
    exited.signal = 9;
    auto next = std::next(it);
    (void)FinishTrial(it->second, exited);
    it = next;
  }
  (void)storage_.PutMeta("elapsed", std::to_string(Elapsed()));
  (void)storage_.PutMeta("status", status);
  if (!error.ok()) (void)storage_.PutMeta("error", error.message());
  (void)storage_.AddEvent({clock_.Now(), -1, "experiment_" + status, error.ok() ? "" : error.message()});
  Status flushed = storage_.Flush();
  Snapshot(true);
  if (!error.ok()) return error;
  if (!flushed.ok()) return flushed;
  if (!stop.ok()) Say("platform stop: " + stop.message());
  return status;
}

}  // namespace hone
