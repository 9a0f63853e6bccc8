// SlurmPlatform: polling (one squeue call for every job), output and exits.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "platforms/slurm/slurm_platform.h"
#include "platforms/stdout_events.h"
#include "trials/tail_buffer.h"

namespace hone {
namespace {

namespace fs = std::filesystem;

constexpr size_t kReadChunk = 64 * 1024;
constexpr int64_t kReadBudget = 4 << 20;  // per job per refresh

std::optional<std::string> ReadExitFile(const std::string& dir) {
  std::ifstream in(dir + "/" + kSlurmExitFile);
  std::string text;
  if (!in || !std::getline(in, text) || text.empty()) return std::nullopt;
  return text;
}

std::string StderrTail(const std::string& dir, const TrialOutputLimits& limits) {
  std::ifstream in(dir + "/stderr.log", std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff from = std::max<std::streamoff>(0, size - static_cast<std::streamoff>(limits.stderr_tail_bytes * 2));
  in.seekg(from);
  std::string bytes(static_cast<size_t>(size - from), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  TailBuffer tail(limits.stderr_tail_bytes, limits.stderr_tail_lines);
  tail.Append(bytes);
  return tail.Tail();
}

}  // namespace

Status SlurmPlatform::Poll(std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) {
  const size_t before = out->size();
  const auto deadline = Clock::now() + timeout;
  while (true) {
    // A failed start probe ends the experiment; the events wait for Stop and the Poll after it.
    if (!stopped_) HONE_RETURN_IF_ERROR(CheckProbe());
    if (!launched_.empty()) SubmitLaunched(&pending_);
    if (!pending_.empty()) {
      std::move(pending_.begin(), pending_.end(), std::back_inserter(*out));
      pending_.clear();
    }
    auto now = Clock::now();
    if (!jobs_.empty() && now >= next_refresh_) {
      HONE_RETURN_IF_ERROR(Refresh(out));
      next_refresh_ = Clock::now() + options_.poll_interval;
    }
    now = Clock::now();
    if (out->size() > before || now >= deadline) return Status::Ok();
    auto wake = jobs_.empty() ? deadline : std::min(deadline, next_refresh_);
    if (probe_ && !probe_->id.empty()) wake = std::min(wake, probe_->next_check);
    std::this_thread::sleep_for(std::max<Clock::duration>(wake - now, std::chrono::milliseconds(1)));
  }
}

Status SlurmPlatform::Refresh(std::vector<PlatformEvent>* out) {
  if (jobs_.empty()) return Status::Ok();
  std::string ids;
  for (const auto& [seq, job] : jobs_)
    if (!job->id.empty()) ids += (ids.empty() ? "" : ",") + job->id;
  if (ids.empty()) return Status::Ok();
  auto q = RunTool("squeue", {"--jobs=" + ids, "-r", "-h", "-o", kSqueueFormat, "--states=all"});
  if (!q.ok()) return Status::Ok();  // slurmctld busy or restarting: try again next round
  // squeue fails with "Invalid job id" when none of the jobs is known any more; any other
  // failure says nothing about the jobs.
  if (q->status.exit_code != 0 && q->stderr_text.find("Invalid job id") == std::string::npos) return Status::Ok();
  std::map<std::string, SlurmJobState> states = ParseSqueue(q->stdout_text);
  std::vector<int64_t> finished;
  for (auto& [seq, job] : jobs_) {
    if (job->id.empty()) continue;
    auto it = states.find(job->id);
    const SlurmJobState* state = it == states.end() ? nullptr : &it->second;
    Update(job.get(), state, out);
    if (FinishIfEnded(job.get(), state, out)) finished.push_back(seq);
  }
  for (int64_t seq : finished) jobs_.erase(seq);
  return Status::Ok();
}

void SlurmPlatform::Update(Job* job, const SlurmJobState* state, std::vector<PlatformEvent>* out) {
  if (state) {
    if (state->state == "PENDING") {
      const bool has_reason = !state->reason.empty() && state->reason != "None";
      const std::string text = "PENDING" + (has_reason ? " " + state->reason : "");
      if (has_reason && !job->started && job->shown_state != text) {
        PlatformEvent waiting;
        waiting.kind = PlatformEvent::Kind::kWaiting;
        waiting.seq = job->seq;
        waiting.line = "slurm job " + job->id + " pending: " + state->reason;
        out->push_back(std::move(waiting));
      }
      ShowState(job, text);
    } else
      ShowState(job, state->state);
    if (HasStartedSlurmState(state->state) && !state->job_id.empty() && job->job_id != state->job_id &&
        state->job_id.find('_') == std::string::npos) {
      job->job_id = state->job_id;  // an array task's own id, known once it runs
      RecordJobId(job);
    }
    if (!job->started && HasStartedSlurmState(state->state)) EmitStarted(job, out);
  }
  if (job->started) ReadStdout(job, out);
}

bool SlurmPlatform::FinishIfEnded(Job* job, const SlurmJobState* state, std::vector<PlatformEvent>* out) {
  if (std::optional<std::string> text = ReadExitFile(job->trial_dir)) {
    int status = std::atoi(text->c_str());
    int signal = status > 128 && status < 128 + 65 ? status - 128 : 0;
    if (!job->started) EmitStarted(job, out);
    Finish(job, status, signal, signal && !job->kill_requested ? SlurmEndReason(job) : "", out);
    return true;
  }
  if (state && !IsTerminalSlurmState(state->state)) {
    job->ended_at.reset();  // squeue had only missed it
    return false;
  }
  auto now = Clock::now();
  if (!job->ended_at) job->ended_at = now;
  // A command that ended by itself writes exit_status; give a shared filesystem time to show
  // it. So does a job that left squeue: squeue may also have missed it for a moment.
  bool by_itself = !state || state->state == "COMPLETED" || state->state == "FAILED";
  if (by_itself && !job->kill_requested && now - *job->ended_at < options_.exit_file_grace) return false;
  auto shown = RunTool("scontrol", {"show", "job", "-o", job->id});
  std::optional<SlurmJobEnd> end = shown.ok() ? ParseScontrolJob(shown->stdout_text) : std::nullopt;
  SlurmJobEnd e = end ? *end : SlurmJobEnd{state ? state->state : "UNKNOWN", 0, 0};
  if (e.state != "COMPLETED" && e.exit_code == 0 && e.signal == 0) {
    if (e.state == "CANCELLED" || job->kill_requested) e.signal = SIGTERM;
    else e.exit_code = 1;
  }
  int code = e.signal ? 128 + e.signal : e.exit_code;
  if (!job->started) EmitStarted(job, out);
  std::string why = job->kill_requested ? "" : "slurm job " + job->id + " ended " + e.state;
  if (!end && !state && !job->kill_requested) why = "slurm job " + job->id + " vanished from squeue and scontrol";
  // The node, not the trial, failed; or Slurm lost the job: the configuration may run again.
  job->platform_failure =
      !job->kill_requested && (IsSlurmPlatformFailure(e.state) || (!end && !state));
  if (!job->kill_requested && !job->platform_failure && job->stdout_offset == 0 &&
      !fs::exists(job->trial_dir + "/" + kSlurmExitFile))
    why += " before its command ran (does the compute node see " + job->trial_dir +
           "? The experiment directory must be on a filesystem shared with the compute nodes; Slurm's own "
           "messages are in slurm.out there, or in slurm-array-<task>.out beside its job array's array.sh)";
  Finish(job, code, e.signal, why, out);
  return true;
}

// Why Slurm signalled a job that hone did not cancel (TIMEOUT, scancel by someone else,
// preemption, a node failure...): "slurm job N ended STATE", or "" when Slurm did not end it.
std::string SlurmPlatform::SlurmEndReason(Job* job) const {
  auto shown = RunTool("scontrol", {"show", "job", "-o", job->id});
  std::optional<SlurmJobEnd> end = shown.ok() ? ParseScontrolJob(shown->stdout_text) : std::nullopt;
  if (!end || !IsTerminalSlurmState(end->state) || end->state == "COMPLETED" || end->state == "FAILED") return "";
  job->platform_failure = IsSlurmPlatformFailure(end->state);
  return "slurm job " + job->id + " ended " + end->state;
}

void SlurmPlatform::EmitStarted(Job* job, std::vector<PlatformEvent>* out) {
  job->started = true;
  PlatformEvent e;
  e.kind = PlatformEvent::Kind::kStarted;
  e.seq = job->seq;
  e.pid = std::atoll(job->job_id.c_str());  // the Slurm job id: the job's processes are on a compute node
  out->push_back(std::move(e));
}

void SlurmPlatform::ReadStdout(Job* job, std::vector<PlatformEvent>* out) {
  std::ifstream in(job->trial_dir + "/stdout.log", std::ios::binary);
  if (!in) return;
  in.seekg(job->stdout_offset);
  if (!in) return;
  auto emit = StdoutLineEmitter(job->seq, out);
  std::string buffer(kReadChunk, '\0');
  int64_t total = 0;
  while (total < kReadBudget) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    job->lines->Feed(std::string_view(buffer.data(), static_cast<size_t>(n)), emit);
    job->stdout_offset += n;
    total += n;
  }
}

void SlurmPlatform::Finish(Job* job, int exit_code, int signal, const std::string& why,
                           std::vector<PlatformEvent>* out) {
  // Everything the command wrote is in the file now; read it all.
  int64_t offset = -1;
  while (offset != job->stdout_offset) {
    offset = job->stdout_offset;
    ReadStdout(job, out);
  }
  job->lines->Finish(StdoutLineEmitter(job->seq, out));
  PlatformEvent e;
  e.kind = PlatformEvent::Kind::kExited;
  e.seq = job->seq;
  e.exit_code = exit_code;
  e.signal = signal;
  e.platform_failure = job->platform_failure;
  e.stderr_tail = StderrTail(job->trial_dir, options_.output_limits);
  if (!why.empty()) e.stderr_tail += (e.stderr_tail.empty() ? "" : "\n") + why;
  out->push_back(std::move(e));
  ShowState(job, "ENDED exit " + std::to_string(exit_code) + (why.empty() ? "" : " (" + why + ")"));
  exited_.insert(job->seq);
}

void SlurmPlatform::ShowState(Job* job, const std::string& text) {
  if (job->shown_state == text) return;
  job->shown_state = text;
  std::ofstream f(job->trial_dir + "/" + kSlurmStateFile, std::ios::trunc);
  f << text << "\n";
}

}  // namespace hone
