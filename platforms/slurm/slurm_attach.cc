// SlurmPlatform on resume: taking back the jobs of a manager that died (Attach), ending
// them (Reclaim), and leaving them to a later manager (AbandonJobs).
#include <filesystem>

#include "platforms/gpu_discovery.h"
#include "platforms/slurm/slurm_platform.h"

namespace hone {

StatusOr<bool> SlurmPlatform::Attach(const TrialLaunch& launch, int64_t pid) {
  const std::string who = "slurm platform: trial " + std::to_string(launch.seq);
  if (stopped_) return FailedPrecondition("slurm platform: Attach after Stop");
  if (jobs_.count(launch.seq)) return Status(StatusCode::kAlreadyExists, who + " is already queued or running");
  if (launch.trial_dir.empty()) return false;
  HONE_RETURN_IF_ERROR(FindTools());
  const std::string dir = launch.trial_dir;
  SlurmJobIds ids = ParseSlurmJobIds(SlurmReadFile(dir + "/" + kSlurmJobIdFile));
  if (ids.id.empty()) return false;  // never submitted
  if (pid > 0 && ids.job_id != std::to_string(pid)) return false;  // not the job that manager saw
  const bool has_exit = std::filesystem::exists(dir + "/" + kSlurmExitFile);
  auto q = RunTool("squeue", {"--jobs=" + ids.id, "-r", "-h", "-o", kSqueueFormat, "--states=all"});
  if (!q.ok()) return q.status().WithContext(who);
  bool known = ParseSqueue(q->stdout_text).count(ids.id) > 0;
  if (!known && q->status.exit_code != 0 && q->stderr_text.find("Invalid job id") == std::string::npos && !has_exit)
    return Status(StatusCode::kUnavailable, who + ": squeue failed: " + SlurmFirstLine(q->stderr_text));
  if (!known && !has_exit) {
    auto shown = RunTool("scontrol", {"show", "job", "-o", ids.id});
    known = shown.ok() && ParseScontrolJob(shown->stdout_text).has_value();
  }
  if (!known && !has_exit) return false;  // Slurm forgot it and it left no exit status
  auto job = std::make_unique<Job>();
  job->seq = launch.seq;
  job->id = ids.id;
  job->job_id = ids.job_id;
  job->trial_dir = dir;
  job->lines = std::make_unique<LineSplitter>(options_.output_limits.max_line_bytes);
  jobs_[launch.seq] = std::move(job);  // stdout from byte 0, kStarted again when it runs
  exited_.erase(launch.seq);
  next_refresh_ = Clock::now();
  return true;
}

Status SlurmPlatform::Reclaim(int64_t seq, const std::string& trial_dir, int64_t pid) {
  if (pid <= 0 || trial_dir.empty()) return Status::Ok();
  if (!tools_.count("scancel")) {
    std::optional<std::string> scancel = FindExecutable("scancel", options_.path_env);
    if (!scancel) return Status::Ok();
    tools_["scancel"] = *scancel;
  }
  SlurmJobIds ids = ParseSlurmJobIds(SlurmReadFile(trial_dir + "/" + kSlurmJobIdFile));
  if (ids.id.empty() || ids.job_id != std::to_string(pid)) return Status::Ok();
  Cancel({ids.id});
  return Status::Ok();
}

void SlurmPlatform::AbandonJobs() {
  jobs_.clear();
  launched_.clear();
  pending_.clear();
  stopped_ = true;
}

}  // namespace hone
