// SlurmPlatform: the start probe. Start checks the job options with sbatch --test-only and
// arms the probe; the first job submitted then carries it (its job.sh first writes a token
// into the probe directory), so that it costs no job and no CPU of its own. Poll watches
// it beside the trials and fails once the token cannot come: the carrier ran or ended
// exit_file_grace ago without it, or is still not running after probeTimeout.
#include <filesystem>
#include <random>
#include <sstream>

#include "platforms/slurm/slurm_platform.h"

namespace hone {
namespace {

namespace fs = std::filesystem;

constexpr const char* kProbeMarker = ".hone-slurm-probe-ok";

std::string RandomToken() {
  std::random_device rd;
  std::ostringstream s;
  s << std::hex << rd() << rd();
  return s.str();
}

// Whether a probe with `key` succeeded less than `ttl` ago (`marker` holds its key).
bool RecentProbe(const std::string& marker, const std::string& key, std::chrono::milliseconds ttl) {
  std::error_code ec;
  auto written = fs::last_write_time(marker, ec);
  if (ec || key.empty()) return false;
  auto age = fs::file_time_type::clock::now() - written;
  return age >= fs::file_time_type::duration::zero() && age < ttl && SlurmReadFile(marker) == key;
}

}  // namespace

std::string SlurmPlatform::ProbeKey() const {
  if (options_.probe_cache_ttl.count() <= 0) return "";
  const char* conf = std::getenv("SLURM_CONF");
  std::string key = std::string("SLURM_CONF=") + (conf ? conf : "") + " partition=" + options_.partition +
                    " account=" + options_.account;
  for (const auto& arg : options_.sbatch_args) key += " " + arg;
  return key + "\n";
}

Status SlurmPlatform::ArmProbe() {
  // sbatch --test-only checks the partition, account and options without submitting a job.
  SlurmOptions check = options_;
  check.time_limit = check.memory = "";
  check.cpus_per_task = check.gpus_per_task = 0;
  std::vector<std::string> args =
      SbatchArguments(check, "hone-probe", options_.probe_dir, "/dev/null", "--wrap=true");
  args.insert(args.begin(), "--test-only");
  auto test = RunTool("sbatch", args);
  if (!test.ok()) return test.status().WithContext("slurm platform: sbatch --test-only");
  if (test->status.exit_code != 0)
    return FailedPrecondition("slurm platform: sbatch refused the job options: " +
                              SlurmFirstLine(test->stderr_text + test->stdout_text));
  ProbeJob p;
  p.marker = options_.probe_dir + "/" + kProbeMarker;
  p.key = ProbeKey();
  if (RecentProbe(p.marker, p.key, options_.probe_cache_ttl)) return Status::Ok();
  p.token = RandomToken();
  p.file = options_.probe_dir + "/.hone-slurm-probe-" + p.token;
  probe_ = std::move(p);
  return Status::Ok();
}

Status SlurmPlatform::CarryProbe(Job* job) {
  if (!probe_ || !probe_->id.empty()) return Status::Ok();
  const std::string script = job->trial_dir + "/job.sh";
  std::string text = SlurmReadFile(script);
  const size_t line = text.find('\n') + 1;  // after #!/bin/bash
  text.insert(line, "{ printf %s " + probe_->token + " > " + ShellQuote(probe_->file) +
                        "; } 2>/dev/null  # hone's start probe\n");
  HONE_RETURN_IF_ERROR(SlurmWriteFile(script, text));
  probe_->carrier = job->seq;
  return Status::Ok();
}

void SlurmPlatform::ProbeSubmitted(Job* job) {
  if (!probe_ || probe_->carrier != job->seq || !probe_->id.empty()) return;
  probe_->id = job->id;
  probe_->deadline = Clock::now() + options_.probe_timeout;
}

void SlurmPlatform::RearmProbe() {
  if (!probe_) return;
  probe_->id.clear();
  probe_->carrier = -1;
  probe_->state = "PENDING";
  probe_->reason.clear();
  probe_->ran_at.reset();
}

bool SlurmPlatform::ProbeSeen() {
  if (SlurmReadFile(probe_->file) != probe_->token) return false;
  std::error_code ec;
  fs::remove(probe_->file, ec);
  if (!probe_->key.empty()) (void)SlurmWriteFile(probe_->marker, probe_->key);
  probe_.reset();
  return true;
}

Status SlurmPlatform::CheckProbe() {
  if (!probe_error_.ok() || !probe_ || probe_->id.empty() || Clock::now() < probe_->next_check) return probe_error_;
  probe_->next_check = Clock::now() + std::min<std::chrono::milliseconds>(options_.poll_interval,
                                                                          std::chrono::milliseconds(250));
  if (ProbeSeen()) return Status::Ok();
  ProbeJob& p = *probe_;
  if (Clock::now() >= p.deadline) {
    probe_error_ = FailedPrecondition(
        "slurm platform: the probe job " + p.id + " (trial " + std::to_string(p.carrier) + ") is still " + p.state +
        (p.reason.empty() || p.reason == "None" ? "" : " (" + p.reason + ")") + " after " +
        std::to_string(options_.probe_timeout.count() / 1000) +
        " s (trainingService.probeTimeout); is the partition available?");
    probe_.reset();
    return probe_error_;
  }
  auto q = RunTool("squeue", {"--jobs=" + p.id, "-r", "-h", "-o", kSqueueFormat, "--states=all"});
  // slurmctld busy or restarting: ask again next time. "Invalid job id": Slurm forgot it.
  if (!q.ok() || (q->status.exit_code != 0 && q->stderr_text.find("Invalid job id") == std::string::npos))
    return Status::Ok();
  auto jobs = ParseSqueue(q->stdout_text);
  if (jobs.count(p.id)) p.state = jobs[p.id].state, p.reason = jobs[p.id].reason;
  const bool ended = !jobs.count(p.id) || IsTerminalSlurmState(p.state);
  if (!ended && !HasStartedSlurmState(p.state)) return Status::Ok();
  // Running or ended: the token is its first command; give a shared filesystem time to show it.
  if (!p.ran_at) p.ran_at = Clock::now();
  if (Clock::now() - *p.ran_at < options_.exit_file_grace) return Status::Ok();
  if (ended && (p.state == "CANCELLED" || IsSlurmPlatformFailure(p.state))) {
    RearmProbe();  // cancelled or lost, maybe before it ran: the next job carries the probe
    return Status::Ok();
  }
  probe_error_ = FailedPrecondition("slurm platform: the probe job " + p.id + " (trial " + std::to_string(p.carrier) +
                                    (ended ? ") ended " : ") is ") + p.state + " without writing " + p.file +
                                    ": the compute nodes must see the trial code directory and the "
                                    "experiment directory at the same path as this machine (a shared filesystem)");
  probe_.reset();
  return probe_error_;
}

void SlurmPlatform::DropProbe() {
  if (!probe_ || (!probe_->id.empty() && ProbeSeen())) return;  // a success is remembered still
  std::error_code ec;
  fs::remove(probe_->file, ec);
  probe_.reset();
}

}  // namespace hone
