// SlurmPlatform: one Slurm batch job per trial (`platform: slurm`).
//
//   SlurmPlatform slurm(SlurmOptionsFromConfig(config, getenv("PATH")));
//   slurm.Start();       // finds sbatch & co, checks the options (the first job probes)
//   slurm.Launch(trial); // writes <trial_dir>/job.sh; submitted at the next Poll
//   slurm.Poll(1s, &ev); // sbatch for what was launched; one squeue call per pollInterval
//
// Beyond the Platform contract:
// - Submission: the trials launched since the last Poll go to Slurm together, as one job
//   array (sbatch --array=0-N, task i runs the i-th trial's job.sh) when there are several,
//   as a plain job when there is one (and one job per trial where sbatch refuses arrays).
//   A trial addresses its job as "<array>_<task>" then; Kill cancels that task only. When
//   sbatch refuses a job, its trials end with exit code 1 and sbatch's message. Slurm's
//   own messages about a job go to slurm.out in the trial directory (array tasks:
//   slurm-array-<task>.out in the first trial's directory).
// - Start probe: Start fails at once when a Slurm client command is missing, an option is
//   wrong or sbatch refuses the job options (sbatch --test-only, which submits nothing). It
//   submits no job and waits for none: the first trial job submitted carries the probe
//   (its job.sh first writes a token into the probe directory, the trial code directory),
//   so the probe costs no job and no CPU of its own. Poll watches it beside the trials.
//   When the token has not reached this machine exit_file_grace after the carrier was seen
//   running or ended, or the carrier is not running probe_timeout after its submission,
//   Poll returns that error (naming the job, its trial and its state) from then on and
//   Capacity is 0: the manager ends the experiment and Stop scancels its jobs. A carrier
//   cancelled or lost (NODE_FAIL...) passes the probe to the next job submitted. A Start then Stop(0) (how `hone run`
//   checks a config before creating the experiment) thus checks only the tools and the
//   options. A successful probe is remembered for 10 minutes in
//   <probe dir>/.hone-slurm-probe-ok (with the sbatch options it ran with); jobs submitted
//   by a platform started within that time carry none.
// - Slurm's client commands run with this process's environment (SLURM_CONF included).
// - The trial directory must be visible at the same path on the compute nodes: the job
//   writes stdout.log, stderr.log and, when the command ends, exit_status there; Poll
//   reads new stdout bytes by offset (nothing is read twice) and turns lines into
//   kStdoutLine events.
// - kStarted comes when squeue first shows the job running; its pid is the Slurm job id
//   (a task's own job id for an array task; also in <trial_dir>/slurm_job_id). A job
//   cancelled while pending gets kStarted and kExited together.
// - While a job waits, squeue's reason (Resources, Priority, QOSMaxJobsPerUserLimit...)
//   is written to <trial_dir>/slurm_state as "PENDING <reason>"; later "RUNNING" and the
//   final state.
// - kExited: from exit_status (128 + signal when a signal ended the command); when the
//   job ended without it (scancel, TIMEOUT, NODE_FAIL...), from `scontrol show job`
//   (ExitCode code:signal), the Slurm state named in stderr_tail. NODE_FAIL, BOOT_FAIL and
//   a job that left squeue and scontrol without an exit status (past exit_file_grace) end
//   with platform_failure. Jobs are submitted with --no-requeue so that Slurm does not
//   restart them over their own logs: the manager runs the configuration again instead.
// - Kill and Stop run scancel; Stop reports what Slurm did not end within its grace as
//   killed (SIGKILL).
// - Reclaim scancels the job recorded as `pid` when <trial_dir>/slurm_job_id names it.
// - Attach takes back the job named in <trial_dir>/slurm_job_id while Slurm still knows it
//   (pending, running or ended) or it left an exit status; its stdout is read again from
//   the first byte. AbandonJobs lets the jobs run on unwatched, as a manager that dies does.
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
  StatusOr<bool> Attach(const TrialLaunch& launch, int64_t pid) override;

  // Forgets every trial without cancelling its job and without events: the jobs run on
  // for a later manager to Attach. The platform is stopped afterwards.
  void AbandonJobs();
 private:
  using Clock = std::chrono::steady_clock;
  struct Job {
    int64_t seq = 0;
    std::string id;      // how hone addresses the job: "123", "123_4"; "" until submitted
    std::string job_id;  // the job's own numeric id (kStarted's pid) once known
    std::string trial_dir;
    bool started = false;
    bool kill_requested = false;
    std::string shown_state;  // what slurm_state holds
    int64_t stdout_offset = 0;
    std::unique_ptr<LineSplitter> lines;
    std::optional<Clock::time_point> ended_at;  // first seen ended without exit_status
    bool platform_failure = false;              // for its kExited
  };

  // Runs Slurm's `tool` (sbatch, squeue, ...) with `args`.
  StatusOr<CommandOutput> RunTool(const std::string& tool, const std::vector<std::string>& args,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  Status FindTools();
  // The start probe (slurm_probe.cc). ArmProbe: sbatch --test-only, then a token to carry
  // unless a recent probe succeeded; CarryProbe: `job`'s job.sh writes the token first;
  // ProbeSubmitted: its carrier got a job id; CheckProbe: at most every
  // min(poll_interval, 250 ms), whether it failed (sticky); RearmProbe: the carrier was
  // cancelled or lost, the next job carries it; DropProbe (Stop): remembers a success
  // not seen yet, forgets the rest.
  Status ArmProbe();
  Status CarryProbe(Job* job);
  void ProbeSubmitted(Job* job);
  Status CheckProbe();
  void RearmProbe();
  bool ProbeSeen();  // the token arrived: forgets the probe, writes the cache marker
  void DropProbe();
  // The probe's cache key: where and how it ran; "" when it cannot be cached.
  std::string ProbeKey() const;
  // Submits the trials launched since the last call: one job, or one job array.
  void SubmitLaunched(std::vector<PlatformEvent>* out);
  // One sbatch call for `batch` (a job array when it holds several); "" or why it failed.
  std::string Submit(const std::vector<Job*>& batch);
  void FailSubmission(const std::vector<Job*>& batch, const std::string& why, std::vector<PlatformEvent>* out);
  void RecordJobId(Job* job);
  // One squeue call, then each job's new output and end.
  Status Refresh(std::vector<PlatformEvent>* out);
  void Update(Job* job, const SlurmJobState* state, std::vector<PlatformEvent>* out);
  // Whether the job has ended; emits its kExited (and kStarted first when none was).
  bool FinishIfEnded(Job* job, const SlurmJobState* state, std::vector<PlatformEvent>* out);
  void Finish(Job* job, int exit_code, int signal, const std::string& why, std::vector<PlatformEvent>* out);
  void ReadStdout(Job* job, std::vector<PlatformEvent>* out);
  void EmitStarted(Job* job, std::vector<PlatformEvent>* out);
  // Also marks a node failure as the platform's (job->platform_failure).
  std::string SlurmEndReason(Job* job) const;
  void ShowState(Job* job, const std::string& text);
  void Cancel(const std::vector<std::string>& ids);

  struct ProbeJob {
    std::string id;               // the carrier's job id once submitted ("123", "123_0")
    int64_t carrier = -1;         // the trial whose job.sh writes the token
    std::string token, file;      // what it writes into `file`
    std::string marker, key;      // the cache marker and what it holds
    std::string state = "PENDING", reason;
    Clock::time_point deadline;                 // probe_timeout after its carrier's submission
    std::optional<Clock::time_point> ran_at;    // first seen running or ended, no token
    Clock::time_point next_check{};
  };

  SlurmOptions options_;
  std::map<std::string, std::string> tools_;  // name -> path
  std::optional<ProbeJob> probe_;             // the start probe until its token is seen
  Status probe_error_ = Status::Ok();         // why the start probe failed
  bool started_ = false;
  bool stopped_ = false;
  std::map<int64_t, std::unique_ptr<Job>> jobs_;
  std::vector<int64_t> launched_;  // launched, not submitted yet
  std::set<int64_t> exited_;
  std::vector<PlatformEvent> pending_;
  Clock::time_point next_refresh_{};
};

}  // namespace hone
