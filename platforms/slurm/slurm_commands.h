// What the slurm platform writes for and reads from Slurm's commands: the batch script of
// a trial, sbatch's arguments, and squeue / scontrol output.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/platform.h"
#include "platforms/slurm/slurm_options.h"

namespace hone {

// Files the batch script writes into the trial directory.
inline constexpr const char* kSlurmExitFile = "exit_status";    // the command's status, at its end
inline constexpr const char* kSlurmJobIdFile = "slurm_job_id";  // written by the manager
inline constexpr const char* kSlurmStateFile = "slurm_state";   // "PENDING Resources", ...

// `s` as one single-quoted /bin/sh word.
std::string ShellQuote(std::string_view s);

// A bash script that enters launch.working_dir, exports launch.env, runs launch.command
// under /bin/sh with stdout/stderr to <trial_dir>/stdout.log and stderr.log, and at the
// end writes its exit status (128 + signal when a signal ended it) to <trial_dir>/exit_status.
std::string SlurmBatchScript(const TrialLaunch& launch);

// sbatch's arguments (without sbatch itself) for a job named `job_name` running `script`,
// with the resource options and the extra arguments of `options`.
std::vector<std::string> SbatchArguments(const SlurmOptions& options, const std::string& job_name,
                                         const std::string& chdir, const std::string& output,
                                         const std::string& script);

struct SlurmJobState {
  std::string state;   // PENDING, RUNNING, COMPLETED, CANCELLED, TIMEOUT, ...
  std::string reason;  // squeue's %r: Resources, Priority, None, ...
};

// Lines "id|STATE|reason" (squeue -h -o '%i|%T|%r') by job id; other lines are skipped.
std::map<std::string, SlurmJobState> ParseSqueue(std::string_view text);

// Whether a job in `state` has ended (no more output will come).
bool IsTerminalSlurmState(std::string_view state);
// Whether the job's command has begun to run in `state`.
bool HasStartedSlurmState(std::string_view state);

struct SlurmJobEnd {
  std::string state;  // JobState
  int exit_code = 0;
  int signal = 0;
};

// JobState and ExitCode=<code>:<signal> of `scontrol show job -o` output; nullopt when
// there is none.
std::optional<SlurmJobEnd> ParseScontrolJob(std::string_view text);

}  // namespace hone
