// ExperimentManager: the loop. One thread owns all experiment state: it asks the tuner
// for configurations, records them, launches them on the platform, turns platform
// events into metrics and verdicts, enforces budgets and timeouts, and records
// everything. Resume = mark unfinished trials lost, replay finished ones into a fresh
// tuner, rerun the lost configurations, continue.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "assessors/assessor.h"
#include "core/experiment_config.h"
#include "core/progress.h"
#include "platforms/platform.h"
#include "storage/storage.h"
#include "tuners/tuner.h"

namespace hone {

// Experiment outcomes as stored in meta "status" and the registry.
inline constexpr const char* kExpRunning = "running";
inline constexpr const char* kExpDone = "done";              // budget reached
inline constexpr const char* kExpNoMoreTrial = "no_more_trial";  // tuner exhausted the space
inline constexpr const char* kExpStopped = "stopped";        // stopped by a user
inline constexpr const char* kExpFailed = "failed";          // runtime error

// Reason recorded on trials canceled because the experiment stopped; resume reruns them.
inline constexpr const char* kReasonExperimentStopped = "experiment stopped";
inline constexpr const char* kReasonManagerLost = "manager exited while the trial ran";

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double Now() const = 0;  // seconds (unix time)
};

class SystemClock : public Clock {
 public:
  double Now() const override;
};

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
    double kill_sent_at = 0;
    int malformed_lines = 0;
  };

  Status Recover();
  Status ReclaimLost(const TrialRecord& trial);
  Status FillSlots();
  Status LaunchTrial(TrialRecord record);
  Status HandleEvent(const PlatformEvent& event);
  Status HandleLine(Live& live, const PlatformEvent& event);
  Status FinishTrial(Live& live, const PlatformEvent& event);
  Status HandleCommands();
  Status HandleCommand(const Command& command);
  Status SaveLimits();
  void RequestKill(Live& live, TrialStatus as, const std::string& reason);
  void EnforceTrialDurations();
  bool BudgetAllowsNewConfigs() const;
  bool Done() const;
  double Elapsed() const;
  std::vector<TrialRecord> ActiveRecords() const;
  void Snapshot(bool force);
  void Say(const std::string& line);
  std::map<std::string, std::string> TrialEnv(const TrialRecord& record) const;
  std::string TrialDir(int64_t seq) const;

  const ExperimentConfig& config_;
  ManagerOptions options_;
  Storage& storage_;
  Platform& platform_;
  Tuner& tuner_;
  Assessor& assessor_;
  const Clock& clock_;
  ProgressSink* progress_;

  std::unordered_map<int64_t, Live> live_;        // waiting or running, by seq
  std::vector<TrialRecord> finished_;             // for the assessor
  std::vector<TrialRecord> reruns_;               // lost configurations to run again
  std::map<TrialStatus, int> counts_;
  std::optional<TrialRecord> best_;
  int64_t next_seq_ = 0;
  int64_t configs_created_ = 0;
  int concurrency_ = 1;
  // Budgets in force: the config's, or what a command changed (stored in meta "limits").
  std::optional<int64_t> max_trial_number_;
  std::optional<double> max_trial_duration_s_;
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
