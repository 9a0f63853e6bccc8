#include "platforms/slurm/slurm_platform.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "platforms/gpu_discovery.h"

namespace hone {
namespace {

namespace fs = std::filesystem;

std::string RandomToken() {
  std::random_device rd;
  std::ostringstream s;
  s << std::hex << rd() << rd();
  return s.str();
}

constexpr const char* kProbeMarker = ".hone-slurm-probe-ok";

// Whether a probe with `key` succeeded less than `ttl` ago (`marker` holds its key).
bool RecentProbe(const std::string& marker, const std::string& key, std::chrono::milliseconds ttl) {
  std::error_code ec;
  auto written = fs::last_write_time(marker, ec);
  if (ec || key.empty()) return false;
  auto age = fs::file_time_type::clock::now() - written;
  return age >= fs::file_time_type::duration::zero() && age < ttl && SlurmReadFile(marker) == key;
}

}  // namespace

SlurmPlatform::SlurmPlatform(SlurmOptions options) : options_(std::move(options)) {}

SlurmPlatform::~SlurmPlatform() {
  std::vector<std::string> ids;
  for (const auto& [seq, job] : jobs_)
    if (!job->id.empty()) ids.push_back(job->id);
  if (!ids.empty() && tools_.count("scancel")) Cancel(ids);
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
  if (!options_.probe_dir.empty()) HONE_RETURN_IF_ERROR(Probe());
  started_ = true;
  return Status::Ok();
}

std::string SlurmPlatform::ProbeKey() const {
  if (options_.probe_cache_ttl.count() <= 0) return "";
  const char* conf = std::getenv("SLURM_CONF");
  std::string key = std::string("SLURM_CONF=") + (conf ? conf : "") + " partition=" + options_.partition +
                    " account=" + options_.account;
  for (const auto& arg : options_.sbatch_args) key += " " + arg;
  return key + "\n";
}

// A tiny job that writes a token into probe_dir; this machine must then read it.
Status SlurmPlatform::Probe() {
  const std::string marker = options_.probe_dir + "/" + kProbeMarker, key = ProbeKey();
  if (RecentProbe(marker, key, options_.probe_cache_ttl)) return Status::Ok();
  const std::string token = RandomToken();
  const std::string file = options_.probe_dir + "/.hone-slurm-probe-" + token;
  auto seen = [&] {
    if (SlurmReadFile(file) != token) return false;
    std::error_code ec;
    fs::remove(file, ec);
    if (!key.empty()) (void)SlurmWriteFile(marker, key);
    return true;
  };
  SlurmOptions probe = options_;
  probe.time_limit = probe.memory = "";
  probe.cpus_per_task = probe.gpus_per_task = 0;
  // sbatch reads options up to the script: --wrap in the script's place is one of them.
  std::vector<std::string> args = SbatchArguments(probe, "hone-probe", options_.probe_dir, "/dev/null",
                                                  "--wrap=printf %s " + token + " > " + ShellQuote(file));
  auto sub = RunTool("sbatch", args);
  if (!sub.ok()) return sub.status().WithContext("slurm platform: probe job");
  if (sub->status.exit_code != 0)
    return FailedPrecondition("slurm platform: sbatch refused the probe job: " + SlurmFirstLine(sub->stderr_text));
  const std::string id = SlurmFirstLine(sub->stdout_text).substr(0, sub->stdout_text.find(';'));
  const auto deadline = Clock::now() + options_.probe_timeout;
  std::string state = "PENDING", reason;
  while (Clock::now() < deadline) {
    if (seen()) return Status::Ok();
    auto q = RunTool("squeue", {"--jobs=" + id, "-h", "-o", kSqueueFormat, "--states=all"});
    if (q.ok()) {
      auto jobs = ParseSqueue(q->stdout_text);
      if (jobs.count(id)) state = jobs[id].state, reason = jobs[id].reason;
      if (jobs.count(id) == 0 || IsTerminalSlurmState(state)) {
        std::this_thread::sleep_for(options_.exit_file_grace);  // a shared filesystem may lag
        if (seen()) return Status::Ok();
        return FailedPrecondition("slurm platform: the probe job " + id + " ended " + state + " without writing " +
                                  file + ": the compute nodes must see the trial code directory and the "
                                  "experiment directory at the same path as this machine (a shared filesystem)");
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Cancel({id});
  return FailedPrecondition("slurm platform: the probe job " + id + " is still " + state +
                            (reason.empty() || reason == "None" ? "" : " (" + reason + ")") + " after " +
                            std::to_string(options_.probe_timeout.count() / 1000) +
                            " s (trainingService.probeTimeout); is the partition available?");
}

int SlurmPlatform::Capacity() const {
  if (!started_ || stopped_) return 0;
  return std::max(0, options_.max_concurrent_jobs - static_cast<int>(jobs_.size()));
}

Status SlurmPlatform::Launch(const TrialLaunch& launch) {
  const std::string who = "slurm platform: trial " + std::to_string(launch.seq);
  if (!started_) return FailedPrecondition("slurm platform: Launch before Start");
  if (stopped_) return FailedPrecondition("slurm platform: Launch after Stop");
  if (jobs_.count(launch.seq)) return Status(StatusCode::kAlreadyExists, who + " is already queued or running");
  if (launch.trial_dir.empty()) return InvalidArgument(who + " has no trial_dir");
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
