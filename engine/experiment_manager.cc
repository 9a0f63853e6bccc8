#include "engine/experiment_manager.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "engine/trial_env.h"

namespace hone {
namespace fs = std::filesystem;

namespace {

// Turn length: how long Poll may wait when nothing happens.
constexpr auto kPollTimeout = std::chrono::milliseconds(100);
constexpr double kCommandInterval = 0.2;   // seconds between command-queue checks
constexpr double kSnapshotInterval = 0.25; // seconds between progress snapshots

}  // namespace

ExperimentManager::ExperimentManager(const ExperimentConfig& config, ManagerOptions options,
                                     Storage& storage, Platform& platform, Tuner& tuner,
                                     Assessor& assessor, const Clock& clock, ProgressSink* progress)
    : config_(config), options_(std::move(options)), storage_(storage), platform_(platform),
      tuner_(tuner), assessor_(assessor), clock_(clock), progress_(progress),
      concurrency_(config.trial_concurrency), max_trial_number_(config.max_trial_number),
      max_trial_duration_s_(config.max_trial_duration_s),
      max_experiment_duration_s_(config.max_experiment_duration_s) {}

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

StatusOr<std::string> ExperimentManager::Run() {
  started_at_ = clock_.Now();
  // An error while resuming (a tuner failing on the replay) ends the run like any other.
  Status error = Recover();
  if (error.ok()) error = storage_.PutMeta("status", kExpRunning);
  if (error.ok()) error = storage_.Flush();
  if (error.ok()) error = Loop();
  std::string status = FinalStatus(error);
  if (!error.ok()) {
    // The caller reports the error (the CLI prints it once, the web UI reads meta "error").
    for (auto& [seq, live] : live_) RequestKill(live, TrialStatus::kCanceled, kReasonExperimentStopped);
  }
  // Drain whatever still runs (after an error or stop) so no process outlives us.
  Status stop = platform_.Stop(std::chrono::milliseconds(3000));
  Drain();
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

// One turn: commands, new trials, timeouts, platform events, one flush. Returns when the
// experiment is done or on the first error.
Status ExperimentManager::Loop() {
  std::vector<PlatformEvent> events;
  while (true) {
    if (options_.stop_requested && options_.stop_requested->load() && !stopping_) {
      Say("stopping: canceling running trials");
      stopping_ = true;
    }
    double now = clock_.Now();
    if (now - last_command_check_ >= kCommandInterval) {
      last_command_check_ = now;
      HONE_RETURN_IF_ERROR(HandleCommands());
    }
    if (stopping_) {
      for (auto& [seq, live] : live_) RequestKill(live, TrialStatus::kCanceled, kReasonExperimentStopped);
    }
    HONE_RETURN_IF_ERROR(FillSlots());
    EnforceTrialDurations();
    if (Done()) return Status::Ok();

    events.clear();
    HONE_RETURN_IF_ERROR(platform_.Poll(kPollTimeout, &events));
    for (const auto& e : events) HONE_RETURN_IF_ERROR(HandleEvent(e));
    HONE_RETURN_IF_ERROR(storage_.PutMeta("elapsed", std::to_string(Elapsed())));
    HONE_RETURN_IF_ERROR(storage_.Flush());
    Snapshot(false);
  }
}

std::string ExperimentManager::FinalStatus(const Status& error) const {
  if (!error.ok()) return kExpFailed;
  if (stopping_) return kExpStopped;
  if (tuner_exhausted_ && BudgetAllowsNewConfigs()) return kExpNoMoreTrial;
  return kExpDone;
}

// After Platform::Stop: the last events, then every trial still live ends as killed.
void ExperimentManager::Drain() {
  std::vector<PlatformEvent> events;
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
}

bool ExperimentManager::BudgetAllowsNewConfigs() const {
  if (max_trial_number_ && configs_created_ >= *max_trial_number_) return false;
  if (max_experiment_duration_s_ && Elapsed() >= *max_experiment_duration_s_) return false;
  return true;
}

bool ExperimentManager::Done() const {
  if (!live_.empty()) return false;
  if (stopping_) return true;
  bool duration_over = max_experiment_duration_s_ && Elapsed() >= *max_experiment_duration_s_;
  if (duration_over) return true;
  if (!reruns_.empty()) return false;
  return !BudgetAllowsNewConfigs() || tuner_exhausted_;
}

Status ExperimentManager::FillSlots() {
  if (stopping_) return Status::Ok();
  bool duration_over = max_experiment_duration_s_ && Elapsed() >= *max_experiment_duration_s_;
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
    HONE_RETURN_IF_ERROR(SuggestInto(want, &batch));
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

// Asks the tuner for up to `want` new configurations and appends them to `batch`.
Status ExperimentManager::SuggestInto(int want, std::vector<TrialRecord>* batch) {
  auto suggested = tuner_.Suggest(want);
  if (!suggested.ok()) {
    if (suggested.status().code() != StatusCode::kExhausted) return suggested.status();
    tuner_exhausted_ = true;
    Say("tuner: " + suggested.status().message());
    return storage_.AddEvent({clock_.Now(), -1, "tuner_exhausted", suggested.status().message()});
  }
  for (auto& params : *suggested) {
    std::string why;
    // A plugin tuner with its own space format answers for its suggestions itself.
    if (!config_.search_space_as_written &&
        !config_.search_space.Contains(WithoutSchedulerParams(params, config_.search_space), &why))
      return Internal(tuner_.Label() + " suggested a configuration outside the search space: " + why);
    TrialRecord r;
    r.config_id = configs_created_++;
    r.params = std::move(params);
    batch->push_back(std::move(r));
  }
  if (suggested->empty() && live_.empty() && reruns_.empty() && batch->empty()) {
    // Nothing running and nothing offered: the tuner has nothing left.
    tuner_exhausted_ = true;
    Say("tuner: no more configurations");
  }
  StatusOr<bool> exhausted = tuner_.IsExhausted();
  if (!exhausted.ok()) return exhausted.status();
  if (*exhausted) tuner_exhausted_ = true;
  return Status::Ok();
}

TrialLaunch ExperimentManager::MakeLaunch(const TrialRecord& record) const {
  TrialLaunch launch;
  launch.seq = record.seq;
  launch.command = config_.trial_command;
  launch.working_dir = config_.trial_code_directory;
  launch.trial_dir = TrialDir(record.seq);
  launch.env = TrialEnvironment(record, {options_.experiment_id, launch.trial_dir, options_.sdk_python_dir});
  return launch;
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
  TrialLaunch launch = MakeLaunch(record);
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
  s.max_duration_s = max_experiment_duration_s_;
  s.best = best_;
  s.mode = config_.tuner.mode;
  int64_t first_waiting = -1;
  for (const auto& [seq, live] : live_)
    if (live.record.status == TrialStatus::kWaiting && !live.record.reason.empty() &&
        (first_waiting < 0 || seq < first_waiting)) {
      first_waiting = seq;
      s.waiting_reason = "trial " + live.record.id + " " + live.record.reason;
    }
  progress_->OnSnapshot(s);
}

}  // namespace hone
