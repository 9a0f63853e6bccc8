// RemotePlatform's resume side (Attach, Abandon) and what it does on a host besides
// running trials: GPU discovery at Start, copying a trial's output/ back when it ends.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "platforms/remote/remote_gpus.h"
#include "platforms/remote/remote_platform.h"
#include "platforms/remote/remote_scripts.h"

namespace hone {
namespace fs = std::filesystem;
namespace {

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

std::vector<int> ParseDevices(const std::string& text) {
  std::vector<int> gpus;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) gpus.push_back(std::atoi(item.c_str()));
  return gpus;
}

}  // namespace

StatusOr<bool> RemotePlatform::Attach(const TrialLaunch& launch, int64_t pid) {
  if (!started_) return FailedPrecondition("the remote platform is not started");
  if (trials_.count(launch.seq)) return FailedPrecondition("trial " + std::to_string(launch.seq) + " already runs");
  if (RunName(launch).empty()) return false;  // its run directory had a private name
  std::string recorded;
  if (!launch.trial_dir.empty()) {
    std::ifstream in(launch.trial_dir + "/remote_host");
    std::getline(in, recorded);
  }
  for (size_t i = 0; i < hosts_.size(); ++i) {
    if (hosts_[i].down || (!recorded.empty() && hosts_[i].ssh->Name() != recorded)) continue;
    StatusOr<bool> found = AttachOnHost(i, launch, pid);
    if (found.ok() && *found) return true;
    // Unreachable or not there: another host may hold it when none was recorded.
  }
  return false;
}

StatusOr<bool> RemotePlatform::AttachOnHost(size_t index, const TrialLaunch& launch, int64_t pid) {
  Host& host = hosts_[index];
  std::string dir = host.remote_dir + "/runs/" + RunName(launch) + "/" + std::to_string(launch.seq);
  auto out = host.ssh->Run(AttachScript(dir), options_.ssh_timeout);
  if (!out.ok()) return out.status();
  if (out->status.exit_code != 0)
    return IoError("host " + host.ssh->Name() + ": cannot look at " + dir + ": " + FirstLine(out->stderr_text));
  std::istringstream reply(out->stdout_text);
  std::string p, x, devices;
  reply >> p >> x >> devices;
  if (p == "gone" || p == "-" || x.empty() || x == "lost") return false;
  int64_t host_pid = std::atoll(p.c_str());
  if (host_pid <= 0 || (pid != 0 && host_pid != pid)) return false;  // another trial's directory

  auto trial = std::make_unique<Trial>();
  trial->seq = launch.seq;
  trial->host = index;
  trial->remote_dir = dir;
  trial->local_dir = launch.trial_dir;
  trial->splitter = std::make_unique<LineSplitter>(options_.max_line_bytes);
  trial->stderr_tail = std::make_unique<TailBuffer>(4096, 20);
  trial->gpus = ParseDevices(devices);
  for (int g : trial->gpus) ++host.gpu_use[g];
  ++host.running;
  if (!launch.trial_dir.empty()) {
    // The logs are read again from their first byte: the local copies start over.
    std::error_code ec;
    fs::create_directories(fs::path(launch.trial_dir) / "output", ec);
    std::ofstream(launch.trial_dir + "/stdout.log", std::ios::trunc);
    std::ofstream(launch.trial_dir + "/stderr.log", std::ios::trunc);
    std::ofstream(launch.trial_dir + "/remote_host") << host.ssh->Name() << "\n";
  }
  PlatformEvent started;
  started.kind = PlatformEvent::Kind::kStarted;
  started.seq = launch.seq;
  started.pid = host_pid;
  if (options_.trial_gpu_number) started.devices = devices;
  pending_.push_back(std::move(started));
  exited_.erase(launch.seq);
  interval_ = std::chrono::milliseconds(20);
  trials_[launch.seq] = std::move(trial);
  return true;
}

void RemotePlatform::Abandon() {
  trials_.clear();
  pending_.clear();
  started_ = false;
  CloseHosts();
}

Status RemotePlatform::FindGpus() {
  int wanted = options_.trial_gpu_number.value_or(0);
  if (wanted <= 0) return Status::Ok();
  std::string errors;
  for (auto& h : hosts_) {
    if (!h.gpus.empty()) continue;
    StatusOr<std::vector<int>> found = DiscoverRemoteGpus(*h.ssh, options_.ssh_timeout);
    if (!found.ok()) {
      errors += "\n  " + found.status().message();
    } else if (static_cast<int>(found->size()) < wanted) {
      errors += "\n  host " + h.ssh->Name() + ": trialGpuNumber is " + std::to_string(wanted) + " but nvidia-smi lists " +
                std::to_string(found->size()) + " usable GPUs there" +
                (h.ssh->machine().use_active_gpu ? "" : " (useActiveGpu: false leaves out busy ones)");
    } else {
      h.gpus = *found;
    }
  }
  return errors.empty() ? Status::Ok() : Status(StatusCode::kUnavailable, errors);
}

std::string RemotePlatform::CopyOutput(const Trial& trial) {
  if (trial.local_dir.empty()) return "";
  std::string local = trial.local_dir + "/output";
  std::error_code ec;
  fs::create_directories(local, ec);
  auto out = hosts_[trial.host].ssh->RunWithOutput(OutputTarScript(trial.remote_dir, options_.code_size_limit),
                                                   "tar --no-same-owner -xf - -C " + ShellQuote(local),
                                                   std::chrono::milliseconds(600000));
  if (!out.ok()) return "output/ was not copied back: " + out.status().message();
  if (out->status.exit_code != 0) return "output/ was not copied back: " + FirstLine(out->stderr_text);
  return "";
}

}  // namespace hone
