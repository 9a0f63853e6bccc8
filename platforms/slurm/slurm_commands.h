// What the slurm platform writes for and reads from Slurm's commands: the batch script of
// a trial, sbatch's arguments, and squeue / scontrol output.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/platform.h"
#include "core/status.h"
#include "platforms/slurm/slurm_options.h"

namespace hone {

// Files the batch script writes into the trial directory.
inline constexpr const char* kSlurmExitFile = "exit_status";    // the command's status, at its end
// Written by the manager: the id hone addresses the job by ("123", or "123_4" for a task
// of a job array), and once the job runs, the job's own numeric id on a second line.
inline constexpr const char* kSlurmJobIdFile = "slurm_job_id";
inline constexpr const char* kSlurmStateFile = "slurm_state";   // "PENDING Resources", ...

// Small files of a trial directory: the whole text ("" when unreadable), and a write.
std::string SlurmReadFile(const std::string& path);
Status SlurmWriteFile(const std::string& path, const std::string& text);
// The first line of `text` without trailing spaces and '\r'.
std::string SlurmFirstLine(const std::string& text);

// What slurm_job_id holds: the id hone addresses the job by, and the job's own numeric id
// where known (for a plain job the same).
struct SlurmJobIds {
  std::string id;
  std::string job_id;
};
SlurmJobIds ParseSlurmJobIds(const std::string& text);
std::string FormatSlurmJobIds(const SlurmJobIds& ids);

// `s` as one single-quoted /bin/sh word.
std::string ShellQuote(std::string_view s);

// A bash script that enters launch.working_dir, exports launch.env, runs launch.command
// under /bin/sh with stdout/stderr to <trial_dir>/stdout.log and stderr.log, and at the
// end writes its exit status (128 + signal when a signal ended it) to <trial_dir>/exit_status.
std::string SlurmBatchScript(const TrialLaunch& launch);

// The script of a job array whose task i runs `job_scripts[i]` (each a SlurmBatchScript)
// under bash, picked by SLURM_ARRAY_TASK_ID.
std::string SlurmArrayScript(const std::vector<std::string>& job_scripts);

// sbatch's arguments (without sbatch itself) for a job named `job_name` running `script`,
// with the resource options and the extra arguments of `options`.
std::vector<std::string> SbatchArguments(const SlurmOptions& options, const std::string& job_name,
                                         const std::string& chdir, const std::string& output,
                                         const std::string& script);

// squeue's format: what ParseSqueue reads. -r lists each task of a job array on its own.
inline constexpr const char* kSqueueFormat = "%i|%A|%T|%r";

struct SlurmJobState {
  std::string job_id;  // squeue's %A: a task's own job id once it runs ("" in the old format)
  std::string state;   // PENDING, RUNNING, COMPLETED, CANCELLED, TIMEOUT, ...
  std::string reason;  // squeue's %r: Resources, Priority, None, ...
};

// Lines "id|jobid|STATE|reason" (squeue -h -r -o kSqueueFormat) or "id|STATE|reason" by
// id (squeue's %i: "123", or "123_4" for an array task); other lines are skipped.
std::map<std::string, SlurmJobState> ParseSqueue(std::string_view text);

// Whether a job in `state` has ended (no more output will come).
bool IsTerminalSlurmState(std::string_view state);
// Whether a job ended in `state` because its node failed, not because of its command.
bool IsSlurmPlatformFailure(std::string_view state);
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
