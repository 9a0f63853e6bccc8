// ExperimentManager: the loop. One thread owns all experiment state: it asks the tuner
// for configurations, records them, launches them on the platform, turns platform
// events into metrics and verdicts, enforces budgets and timeouts, and records
// everything. Resume = mark unfinished trials lost, replay finished ones into a fresh
// tuner, rerun the lost configurations, continue.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/assessor.h"
#include "core/clock.h"
#include "core/experiment_config.h"
#include "core/experiment_status.h"
#include "core/progress.h"
#include "core/platform.h"
#include "core/storage.h"
#include "core/tuner.h"
#include "engine/plugin_guard.h"

namespace hone {

struct ManagerOptions {
  std::string experiment_id;
  std::string experiment_dir;  // trials go to <experiment_dir>/trials/<seq>/
  std::string sdk_python_dir;  // prepended to the trials' PYTHONPATH ("" = none)
  // Set from a signal handler or another thread: finish running trials as canceled and stop.
  const std::atomic<bool>* stop_requested = nullptr;
};

class ExperimentManager {
 public:
  ExperimentManager(const ExperimentConfig& config, ManagerOptions options, Storage& storage,
                    Platform& platform, Tuner& tuner, Assessor& assessor, const Clock& clock,
                    ProgressSink* progress);
  ExperimentManager(const ExperimentManager&) = delete;
  ExperimentManager& operator=(const ExperimentManager&) = delete;

  // The platform must have been started (Platform::Start) by the caller.
  // Runs until the budget is spent, the tuner is exhausted, or a stop is requested.
  // On a fresh database it starts from scratch; on one with trials it resumes.
  // Returns the final experiment status (kExpDone, ...) or an error.
  StatusOr<std::string> Run();

 private:
  struct Live {
    TrialRecord record;
    std::optional<TrialStatus> kill_as;  // set when the manager asked for a kill
    std::string kill_reason;
    int malformed_lines = 0;
    // Attached on resume: its stdout comes again from the start, so the first
    // `replay_skip` intermediate reports are the ones storage already holds.
    bool attached = false;
    size_t replay_skip = 0;
  };

  // manager_recovery.cc: resume from what storage holds.
  Status Recover();
  void RestoreLimits();
  Status ReclaimLost(const TrialRecord& trial);
  StatusOr<int64_t> RecordedPid(const TrialRecord& trial);
  // Hands a trial the dead manager left waiting or running back to the platform; false
  // when the platform cannot take it (then it is reclaimed and run again).
  StatusOr<bool> AttachLost(const TrialRecord& trial);
  // experiment_manager.cc: the loop.
  Status Loop();
  std::string FinalStatus(const Status& error) const;
  void Drain();
  Status FillSlots();
  Status SuggestInto(int want, std::vector<TrialRecord>* batch);
  Status LaunchTrial(TrialRecord record);
  TrialLaunch MakeLaunch(const TrialRecord& record) const;
  // A trial the platform lost: runs its configuration again when retries are left.
  Status Requeue(const TrialRecord& lost);
  bool BudgetAllowsNewConfigs() const;
  bool Done() const;
  double Elapsed() const;
  std::vector<TrialRecord> ActiveRecords() const;
  void Snapshot(bool force);
  void Say(const std::string& line);
  std::string TrialDir(int64_t seq) const;
  // trial_events.cc: platform events of one trial.
  Status HandleEvent(const PlatformEvent& event);
  Status HandleLine(Live& live, const PlatformEvent& event);
  Status FinishTrial(Live& live, const PlatformEvent& event);
  void SetOutcome(const Live& live, const PlatformEvent& event, TrialRecord& r) const;
  std::string OutcomeLine(const TrialRecord& r);
  Status CheckFailFast() const;
  void RequestKill(Live& live, TrialStatus as, const std::string& reason);
  void EnforceTrialDurations();
  // manager_commands.cc: commands from the CLI and the web UI.
  Status HandleCommands();
  Status HandleCommand(const Command& command);
  Status AddTrialCommand(const Command& command);
  Status SaveLimits();

  const ExperimentConfig& config_;
  ManagerOptions options_;
  Storage& storage_;
  Platform& platform_;
  GuardedTuner tuner_;
  GuardedAssessor assessor_;
  const Clock& clock_;
  ProgressSink* progress_;

  std::unordered_map<int64_t, Live> live_;        // waiting or running, by seq
  std::vector<TrialRecord> finished_;             // for the assessor
  std::vector<TrialRecord> reruns_;               // lost configurations to run again
  std::map<int64_t, int> retries_;                // config_id -> runs after platform losses
  std::map<TrialStatus, int> counts_;
  std::optional<TrialRecord> best_;
  int64_t next_seq_ = 0;
  int64_t configs_created_ = 0;
  int concurrency_ = 1;
  // Budgets in force: the config's, or what a command changed (stored in meta "limits").
  std::optional<int64_t> max_trial_number_;
  std::optional<double> max_trial_duration_s_;
  std::optional<double> max_experiment_duration_s_;
  bool tuner_exhausted_ = false;
  bool stopping_ = false;
  std::string stop_status_;
  double started_at_ = 0;
  double elapsed_before_ = 0;  // active time of earlier runs (resume)
  double last_snapshot_ = 0;
  double last_command_check_ = 0;
  bool dirty_ = false;
};

}  // namespace hone
