#include "platforms/slurm/slurm_platform.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "platforms/gpu_discovery.h"

namespace hone {
namespace {

namespace fs = std::filesystem;

}  // namespace

SlurmPlatform::SlurmPlatform(SlurmOptions options) : options_(std::move(options)) {}

SlurmPlatform::~SlurmPlatform() {
  std::vector<std::string> ids;
  for (const auto& [seq, job] : jobs_)
    if (!job->id.empty()) ids.push_back(job->id);
  if (!ids.empty() && tools_.count("scancel")) Cancel(ids);
  DropProbe();
}

StatusOr<CommandOutput> SlurmPlatform::RunTool(const std::string& tool, const std::vector<std::string>& args,
                                               std::chrono::milliseconds timeout) const {
  auto it = tools_.find(tool);
  if (it == tools_.end()) return FailedPrecondition("slurm platform: " + tool + " was not found");
  SpawnOptions spawn;
  spawn.argv.push_back(it->second);
  spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
  spawn.open_exit_fd = false;
  return RunCommand(spawn, timeout, 4 << 20);
}

Status SlurmPlatform::FindTools() {
  for (const char* tool : {"sbatch", "squeue", "scancel", "scontrol"}) {
    if (tools_.count(tool)) continue;
    std::optional<std::string> path = FindExecutable(tool, options_.path_env);
    if (!path)
      return FailedPrecondition(std::string("slurm platform: ") + tool +
                                " was not found on PATH; run hone where Slurm's client commands "
                                "(sbatch, squeue, scancel, scontrol) work, e.g. on a login node");
    tools_[tool] = *path;
  }
  return Status::Ok();
}

Status SlurmPlatform::Start() {
  if (started_) return FailedPrecondition("slurm platform: Start called twice");
  HONE_RETURN_IF_ERROR(FindTools());
  if (options_.max_concurrent_jobs < 1) return InvalidArgument("trainingService.maxConcurrentJobs must be >= 1");
  if (!options_.probe_dir.empty()) HONE_RETURN_IF_ERROR(ArmProbe());  // the first job carries it
  started_ = true;
  return Status::Ok();
}

int SlurmPlatform::Capacity() const {
  if (!started_ || stopped_ || !probe_error_.ok()) return 0;
  return std::max(0, options_.max_concurrent_jobs - static_cast<int>(jobs_.size()));
}

Status SlurmPlatform::Launch(const TrialLaunch& launch) {
  const std::string who = "slurm platform: trial " + std::to_string(launch.seq);
  if (!started_) return FailedPrecondition("slurm platform: Launch before Start");
  if (stopped_) return FailedPrecondition("slurm platform: Launch after Stop");
  if (jobs_.count(launch.seq)) return Status(StatusCode::kAlreadyExists, who + " is already queued or running");
  if (launch.trial_dir.empty()) return InvalidArgument(who + " has no trial_dir");
  if (!probe_error_.ok()) return probe_error_;
  if (Capacity() < 1) return Status(StatusCode::kUnavailable, who + ": maxConcurrentJobs jobs are already submitted");
  const std::string dir = launch.trial_dir;
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "output", ec);
  if (ec) return IoError(who + ": cannot create " + dir + "/output: " + ec.message());
  for (const char* f : {kSlurmExitFile, kSlurmJobIdFile, kSlurmStateFile}) fs::remove(fs::path(dir) / f, ec);
  TrialLaunch with_dir = launch;
  with_dir.env.emplace("HONE_TRIAL_DIR", dir);
  for (const char* f : {"stdout.log", "stderr.log"}) HONE_RETURN_IF_ERROR(SlurmWriteFile(dir + "/" + f, ""));
  HONE_RETURN_IF_ERROR(SlurmWriteFile(dir + "/job.sh", SlurmBatchScript(with_dir)));
  auto job = std::make_unique<Job>();
  job->seq = launch.seq;
  job->trial_dir = dir;
  job->lines = std::make_unique<LineSplitter>(options_.output_limits.max_line_bytes);
  jobs_[launch.seq] = std::move(job);
  launched_.push_back(launch.seq);  // submitted at the next Poll, with the others of this turn
  next_refresh_ = Clock::now();
  return Status::Ok();
}

Status SlurmPlatform::Kill(int64_t seq) {
  auto it = jobs_.find(seq);
  if (it == jobs_.end()) {
    if (exited_.count(seq)) return Status::Ok();
    return NotFound("slurm platform: no trial " + std::to_string(seq) + " was launched");
  }
  if (it->second->id.empty()) SubmitLaunched(&pending_);  // then cancelled like any other
  if (!jobs_.count(seq)) return Status::Ok();                // sbatch refused it: it has ended
  if (!it->second->kill_requested) Cancel({it->second->id});
  it->second->kill_requested = true;
  next_refresh_ = Clock::now();
  return Status::Ok();
}

void SlurmPlatform::Cancel(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  (void)RunTool("scancel", ids);
}

Status SlurmPlatform::Stop(std::chrono::milliseconds grace) {
  if (stopped_) return Status::Ok();
  stopped_ = true;
  DropProbe();
  for (int64_t seq : launched_) {  // never submitted: they end here
    auto it = jobs_.find(seq);
    if (it == jobs_.end()) continue;
    EmitStarted(it->second.get(), &pending_);
    Finish(it->second.get(), 128 + SIGTERM, SIGTERM, "", &pending_);
    jobs_.erase(it);
  }
  launched_.clear();
  std::vector<std::string> ids;
  for (auto& [seq, job] : jobs_) {
    if (!job->kill_requested) ids.push_back(job->id);
    job->kill_requested = true;
  }
  Cancel(ids);
  const auto give_up = Clock::now() + grace + std::chrono::seconds(3);
  while (!jobs_.empty() && Clock::now() < give_up) {
    HONE_RETURN_IF_ERROR(Refresh(&pending_));
    if (!jobs_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& [seq, job] : jobs_) {
    if (!job->started) EmitStarted(job.get(), &pending_);
    Finish(job.get(), 128 + SIGKILL, SIGKILL, "slurm job " + job->id + " did not end after scancel", &pending_);
  }
  jobs_.clear();
  return Status::Ok();
}

}  // namespace hone
