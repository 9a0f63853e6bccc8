// SlurmPlatform: one Slurm batch job per trial (`platform: slurm`).
//
//   SlurmPlatform slurm(SlurmOptionsFromConfig(config, getenv("PATH")));
//   slurm.Start();       // finds sbatch & co; a probe job checks the shared directory
//   slurm.Launch(trial); // writes <trial_dir>/job.sh, sbatch --parsable job.sh
//   slurm.Poll(1s, &ev); // one squeue call for every job per pollInterval
//
// Beyond the Platform contract:
// - Slurm's client commands run with this process's environment (SLURM_CONF included).
// - The trial directory must be visible at the same path on the compute nodes: the job
//   writes stdout.log, stderr.log and, when the command ends, exit_status there; Poll
//   reads new stdout bytes by offset (nothing is read twice) and turns lines into
//   kStdoutLine events.
// - kStarted comes when squeue first shows the job running; its pid is the Slurm job id
//   (also in <trial_dir>/slurm_job_id). A job cancelled while pending gets kStarted and
//   kExited together.
// - While a job waits, squeue's reason (Resources, Priority, QOSMaxJobsPerUserLimit...)
//   is written to <trial_dir>/slurm_state as "PENDING <reason>"; later "RUNNING" and the
//   final state.
// - kExited: from exit_status (128 + signal when a signal ended the command); when the
//   job ended without it (scancel, TIMEOUT, NODE_FAIL...), from `scontrol show job`
//   (ExitCode code:signal), the Slurm state named in stderr_tail.
// - Kill and Stop run scancel; Stop reports what Slurm did not end within its grace as
//   killed (SIGKILL).
// - Reclaim scancels the job recorded as `pid` when <trial_dir>/slurm_job_id names it.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/platform.h"
#include "platforms/slurm/slurm_commands.h"
#include "platforms/slurm/slurm_options.h"
#include "trials/line_splitter.h"
#include "trials/run_command.h"

namespace hone {

class SlurmPlatform : public Platform {
 public:
  explicit SlurmPlatform(SlurmOptions options);
  ~SlurmPlatform() override;  // scancels the jobs still queued or running

  Status Start() override;
  int Capacity() const override;
  Status Launch(const TrialLaunch& launch) override;
  Status Kill(int64_t seq) override;
  Status Poll(std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) override;
  Status Stop(std::chrono::milliseconds grace) override;
  Status Reclaim(int64_t seq, const std::string& trial_dir, int64_t pid) override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Job {
    int64_t seq = 0;
    std::string id;
    std::string trial_dir;
    bool started = false;
    bool kill_requested = false;
    std::string shown_state;  // what slurm_state holds
    int64_t stdout_offset = 0;
    std::unique_ptr<LineSplitter> lines;
    std::optional<Clock::time_point> ended_at;  // first seen ended without exit_status
  };

  // Runs Slurm's `tool` (sbatch, squeue, ...) with `args`.
  StatusOr<CommandOutput> RunTool(const std::string& tool, const std::vector<std::string>& args,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  Status Probe();
  // One squeue call, then each job's new output and end.
  Status Refresh(std::vector<PlatformEvent>* out);
  void Update(Job* job, const SlurmJobState* state, std::vector<PlatformEvent>* out);
  // Whether the job has ended; emits its kExited (and kStarted first when none was).
  bool FinishIfEnded(Job* job, const SlurmJobState* state, std::vector<PlatformEvent>* out);
  void Finish(Job* job, int exit_code, int signal, const std::string& why, std::vector<PlatformEvent>* out);
  void ReadStdout(Job* job, std::vector<PlatformEvent>* out);
  void EmitStarted(Job* job, std::vector<PlatformEvent>* out);
  std::string SlurmEndReason(const std::string& id) const;
  void ShowState(Job* job, const std::string& text);
  void Cancel(const std::vector<std::string>& ids);

  SlurmOptions options_;
  std::map<std::string, std::string> tools_;  // name -> path
  bool started_ = false;
  bool stopped_ = false;
  std::map<int64_t, std::unique_ptr<Job>> jobs_;
  std::set<int64_t> exited_;
  std::vector<PlatformEvent> pending_;
  Clock::time_point next_refresh_{};
};

}  // namespace hone
