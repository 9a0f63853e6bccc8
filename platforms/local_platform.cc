#include "platforms/local_platform.h"
#include "platforms/stdout_events.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

namespace hone {
namespace {

constexpr const char* kCudaVisibleDevices = "CUDA_VISIBLE_DEVICES";
constexpr size_t kReadChunk = 64 * 1024;
// Per pipe per poll round, so that one chatty trial cannot starve the others.
constexpr size_t kReadBudget = 1 << 20;
// After the main process exited its group is SIGKILLed, so the pipes hold at most their
// capacity; the bound only matters for a writer that escaped the group.
constexpr size_t kFinalDrainBudget = 8 << 20;

std::string Join(const std::vector<int>& values, const char* separator) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += separator;
    out += std::to_string(values[i]);
  }
  return out;
}


int CeilMillis(std::chrono::steady_clock::duration d) {
  if (d <= std::chrono::steady_clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  return static_cast<int>(std::min<long long>(ms, 1 << 30));
}

}  // namespace

StatusOr<int64_t> ParseMemorySize(const nlohmann::json& value) {
  if (value.is_number_integer() && value.get<int64_t>() > 0) return value.get<int64_t>();
  std::string text = value.is_string() ? value.get<std::string>() : "";
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::string unit = text.substr(digits);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::map<std::string, int> kShift = {{"", 0},   {"b", 0},    {"k", 10},  {"kb", 10}, {"kib", 10},
                                                    {"m", 20}, {"mb", 20},  {"mib", 20}, {"g", 30}, {"gb", 30},
                                                    {"gib", 30}, {"t", 40}, {"tb", 40}, {"tib", 40}};
  auto shift = kShift.find(unit);
  if (digits == 0 || digits > 12 || shift == kShift.end() || std::stoll(text.substr(0, digits)) == 0)
    return InvalidArgument("expected a positive number of bytes or a size like '512m' or '4GiB', but got " +
                           value.dump());
  return std::stoll(text.substr(0, digits)) << shift->second;
}

StatusOr<LocalPlatformOptions> LocalPlatformOptionsFromConfig(const ExperimentConfig& config,
                                                              std::string path_env) {
  LocalPlatformOptions options;
  options.trial_gpu_number = config.trial_gpu_number;
  const nlohmann::json& args = config.platform_args;
  if (args.is_object()) {
    if (auto it = args.find("gpuIndices"); it != args.end()) {
      StatusOr<std::vector<int>> indices = ParseGpuIndices(*it);
      if (!indices.ok()) return indices.status().WithContext("trainingService");
      options.gpu_indices = std::move(*indices);
    }
    if (auto it = args.find("maxTrialNumberPerGpu"); it != args.end() && it->is_number_integer()) {
      options.max_trial_number_per_gpu = it->get<int>();
    }
    if (auto it = args.find("useActiveGpu"); it != args.end() && it->is_boolean()) {
      options.use_active_gpu = it->get<bool>();
    }
    if (auto it = args.find("trialMemoryLimit"); it != args.end()) {
      StatusOr<int64_t> bytes = ParseMemorySize(*it);
      if (!bytes.ok()) return bytes.status().WithContext("trainingService.trialMemoryLimit");
      options.trial_memory_limit_bytes = *bytes;
    }
    if (auto it = args.find("trialCpuLimit"); it != args.end() && it->is_number() && it->get<double>() > 0) {
      options.trial_cpu_limit = it->get<double>();
    }
  }
  options.discover_gpus = [path_env = std::move(path_env)](bool count_processes) {
    return DiscoverGpus({.path_env = path_env, .count_processes = count_processes});
  };
  return options;
}

LocalPlatform::LocalPlatform(LocalPlatformOptions options)
    : options_(std::move(options)),
      scopes_({.cgroup_root = options_.cgroup_root,
               .memory_limit_bytes = options_.trial_memory_limit_bytes,
               .cpu_limit = options_.trial_cpu_limit}) {
  read_buffer_.resize(kReadChunk);
}

LocalPlatform::~LocalPlatform() = default;  // each ProcessGroup SIGKILLs and reaps its group

Status LocalPlatform::CheckGpuRequest(const GpuInventory& inventory, std::vector<int>* usable) const {
  std::vector<int> found;
  for (const GpuInfo& gpu : inventory.gpus) found.push_back(gpu.index);
  std::string found_text =
      inventory.gpus.empty() && inventory.source.rfind("no ", 0) == 0
          ? inventory.source
          : "found by " + inventory.source + ": " + (found.empty() ? "none" : Join(found, ", "));
  if (!options_.gpu_indices.empty()) {
    for (int index : options_.gpu_indices) {
      if (std::find(found.begin(), found.end(), index) == found.end()) {
        return InvalidArgument("trainingService.gpuIndices: GPU " + std::to_string(index) +
                               " does not exist (" + found_text + ")");
      }
    }
    *usable = options_.gpu_indices;
    std::sort(usable->begin(), usable->end());
  } else {
    *usable = found;
  }
  int wanted = *options_.trial_gpu_number;
  if (wanted > static_cast<int>(usable->size())) {
    std::string restriction =
        options_.gpu_indices.empty() ? "" : "gpuIndices [" + Join(options_.gpu_indices, ", ") + "]; ";
    std::string have = usable->empty() ? "no GPU is usable"
                       : "only " + std::to_string(usable->size()) +
                             (usable->size() == 1 ? " GPU is usable" : " GPUs are usable");
    return InvalidArgument("trialGpuNumber is " + std::to_string(wanted) + " but " + have + " (" +
                           restriction + found_text + ")");
  }
  return Status::Ok();
}

Status LocalPlatform::Start() {
  if (started_) return FailedPrecondition("local platform: Start called twice");
  const std::optional<int>& wanted = options_.trial_gpu_number;
  if (wanted && *wanted < 0) {
    return InvalidArgument("trialGpuNumber must be >= 0, but got " + std::to_string(*wanted));
  }
  if (options_.max_trial_number_per_gpu < 1) {
    return InvalidArgument("trainingService.maxTrialNumberPerGpu must be >= 1, but got " +
                           std::to_string(options_.max_trial_number_per_gpu));
  }
  if (options_.max_trial_number_per_gpu != 1 && !UsesGpus()) {
    return InvalidArgument("trainingService.maxTrialNumberPerGpu is " +
                           std::to_string(options_.max_trial_number_per_gpu) +
                           ", but it only works with trialGpuNumber >= 1 (trialGpuNumber is " +
                           (wanted ? std::to_string(*wanted) : std::string("not set")) + ")");
  }
  HONE_RETURN_IF_ERROR(scopes_.Check());
  if (UsesGpus()) {
    if (!options_.discover_gpus) return Internal("local platform: no GPU discovery configured");
    StatusOr<GpuInventory> inventory = options_.discover_gpus(!options_.use_active_gpu);
    if (!inventory.ok()) return inventory.status().WithContext("local platform: listing GPUs");
    std::vector<int> usable;
    HONE_RETURN_IF_ERROR(CheckGpuRequest(*inventory, &usable));
    gpus_.emplace(usable, options_.max_trial_number_per_gpu);
    if (!options_.use_active_gpu) {
      std::vector<int> busy;
      for (const GpuInfo& gpu : inventory->gpus) {
        if (gpu.compute_processes > 0) busy.push_back(gpu.index);
      }
      gpus_->SetForeignBusy(busy);
      last_gpu_refresh_ = Clock::now();
    }
  }
  started_ = true;
  return Status::Ok();
}

void LocalPlatform::RefreshForeignGpus(Clock::time_point now) {
  if (!gpus_ || options_.use_active_gpu || now - last_gpu_refresh_ < options_.gpu_refresh_interval) {
    return;
  }
  last_gpu_refresh_ = now;
  StatusOr<GpuInventory> inventory = options_.discover_gpus(/*count_processes=*/true);
  if (!inventory.ok()) return;  // keep the last known state; Start proved discovery works
  std::vector<int> busy;
  for (const GpuInfo& gpu : inventory->gpus) {
    // A GPU running one of our trials shows its processes; only idle-by-us GPUs count.
    if (gpu.compute_processes > 0 && gpus_->Load(gpu.index) == 0) busy.push_back(gpu.index);
  }
  gpus_->SetForeignBusy(busy);
}

int LocalPlatform::Capacity() const {
  if (!started_ || stopped_) return 0;
  if (!UsesGpus()) return kUnlimited;
  return gpus_->Capacity(*options_.trial_gpu_number);
}

Status LocalPlatform::Launch(const TrialLaunch& launch) {
  std::string who = "trial " + std::to_string(launch.seq);
  if (!started_) return FailedPrecondition("local platform: Launch before Start");
  if (stopped_) return FailedPrecondition("local platform: Launch after Stop");
  if (trials_.count(launch.seq) > 0) {
    return Status(StatusCode::kAlreadyExists, "local platform: " + who + " is already running");
  }
  if (launch.trial_dir.empty()) return InvalidArgument("local platform: " + who + " has no trial_dir");

  auto trial = std::make_unique<Trial>();
  trial->seq = launch.seq;
  std::map<std::string, std::string> env = launch.env;
  if (options_.trial_gpu_number) {
    if (UsesGpus()) {
      std::optional<std::vector<int>> gpus = gpus_->Acquire(*options_.trial_gpu_number);
      if (!gpus) {
        return Status(StatusCode::kUnavailable,
                      "local platform: " + who + " needs " + std::to_string(*options_.trial_gpu_number) +
                          " GPUs with a free slot, and fewer are free now");
      }
      trial->gpus = std::move(*gpus);
    }
    env[kCudaVisibleDevices] = Join(trial->gpus, ",");
  }
  std::string devices;
  if (auto it = env.find(kCudaVisibleDevices); it != env.end()) {
    devices = it->second;
  } else if (const char* inherited = std::getenv(kCudaVisibleDevices)) {
    devices = inherited;
  }

  // From here on a failure must give the GPUs back.
  auto fail = [&](Status status) {
    if (gpus_) gpus_->Release(trial->gpus);
    return status.WithContext("local platform: " + who);
  };
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(launch.trial_dir) / "output", ec);
  if (ec) return fail(IoError("cannot create " + launch.trial_dir + "/output: " + ec.message()));
  StatusOr<std::unique_ptr<TrialOutput>> output = TrialOutput::Open(launch.trial_dir, options_.output_limits);
  if (!output.ok()) return fail(output.status());
  trial->output = std::move(*output);
  // The environment scan finds the trial's processes by this variable.
  std::string marker = env.emplace("HONE_TRIAL_DIR", launch.trial_dir).first->second;
  StatusOr<std::unique_ptr<TrialScope>> scope = scopes_.ForTrial(launch.seq, marker);
  if (!scope.ok()) return fail(scope.status());
  trial->scope = std::move(*scope);
  StatusOr<std::unique_ptr<ProcessGroup>> process = ProcessGroup::Spawn(
      {.command = launch.command,
       .working_dir = launch.working_dir,
       .env = std::move(env),
       .open_exit_fd = options_.use_pidfd,
       .scope = trial->scope.get()});
  if (!process.ok()) return fail(process.status());
  trial->process = std::move(*process);

  PlatformEvent started;
  started.kind = PlatformEvent::Kind::kStarted;
  started.seq = launch.seq;
  started.devices = std::move(devices);
  started.pid = trial->process->pid();
  pending_.push_back(std::move(started));
  trials_[launch.seq] = std::move(trial);
  return Status::Ok();
}

Status LocalPlatform::Kill(int64_t seq) {
  auto it = trials_.find(seq);
  if (it == trials_.end()) {
    if (exited_.count(seq) > 0) return Status::Ok();
    return NotFound("local platform: no trial " + std::to_string(seq) + " was launched");
  }
  it->second->process->Terminate(options_.kill_grace, Clock::now());
  return Status::Ok();
}

Status LocalPlatform::Poll(std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) {
  const size_t before = out->size();
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    if (!pending_.empty()) {
      std::move(pending_.begin(), pending_.end(), std::back_inserter(*out));
      pending_.clear();
    }
    Clock::time_point now = Clock::now();
    RefreshForeignGpus(now);
    auto wait = out->size() > before ? std::chrono::milliseconds(0)
                                     : std::chrono::milliseconds(CeilMillis(deadline - now));
    HONE_RETURN_IF_ERROR(PollOnce(wait, out));
    if (out->size() > before || Clock::now() >= deadline) return Status::Ok();
  }
}

Status LocalPlatform::PollOnce(std::chrono::milliseconds wait, std::vector<PlatformEvent>* out) {
  ReleaseDraining();
  Clock::time_point now = Clock::now();
  Clock::time_point wake = now + wait;
  bool scan_exits = false;  // kernels without pidfd: exits are found by looking
  std::vector<pollfd> fds;
  struct Owner {
    Trial* trial;
    int which;  // 0 stdout, 1 stderr, 2 exit
  };
  std::vector<Owner> owners;
  fds.reserve(trials_.size() * 3);
  owners.reserve(trials_.size() * 3);
  for (auto& [seq, trial] : trials_) {
    ProcessGroup& p = *trial->process;
    p.Escalate(now);
    if (p.kill_deadline() && *p.kill_deadline() < wake) wake = *p.kill_deadline();
    int which = 0;
    for (int fd : {p.stdout_fd(), p.stderr_fd(), p.exit_fd()}) {
      if (fd >= 0) {
        fds.push_back({fd, POLLIN, 0});
        owners.push_back({trial.get(), which});
      }
      ++which;
    }
    if (p.exit_fd() < 0) scan_exits = true;
  }
  int wait_ms = CeilMillis(wake - now);
  if (scan_exits) wait_ms = std::min(wait_ms, 10);
  int rc = poll(fds.data(), fds.size(), wait_ms);
  if (rc < 0 && errno != EINTR) return IoError(std::string("local platform: poll: ") + std::strerror(errno));

  std::vector<int64_t> finished;
  for (size_t i = 0; rc > 0 && i < fds.size(); ++i) {
    if (fds[i].revents == 0) continue;
    Trial* trial = owners[i].trial;
    if (trial->process->reaped()) continue;  // finished earlier in this round
    switch (owners[i].which) {
      case 0: ReadPipe(trial, true, kReadBudget, out); break;
      case 1: ReadPipe(trial, false, kReadBudget, out); break;
      default:
        if (FinishIfExited(trial, out)) finished.push_back(trial->seq);
    }
  }
  if (scan_exits) {
    for (auto& [seq, trial] : trials_) {
      if (!trial->process->reaped() && trial->process->exit_fd() < 0 && FinishIfExited(trial.get(), out)) {
        finished.push_back(seq);
      }
    }
  }
  for (int64_t seq : finished) trials_.erase(seq);
  return Status::Ok();
}

void LocalPlatform::ReadPipe(Trial* trial, bool is_stdout, size_t budget, std::vector<PlatformEvent>* out) {
  ProcessGroup& p = *trial->process;
  auto emit = StdoutLineEmitter(trial->seq, out);
  size_t total = 0;
  while (total < budget) {
    int fd = is_stdout ? p.stdout_fd() : p.stderr_fd();
    if (fd < 0) return;
    ssize_t n = read(fd, read_buffer_.data(), read_buffer_.size());
    if (n > 0) {
      std::string_view chunk(read_buffer_.data(), static_cast<size_t>(n));
      if (is_stdout) trial->output->AddStdout(chunk, emit);
      else trial->output->AddStderr(chunk);
      total += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (is_stdout) p.CloseStdout(); else p.CloseStderr();  // EOF or a dead pipe
    return;
  }
}

bool LocalPlatform::FinishIfExited(Trial* trial, std::vector<PlatformEvent>* out) {
  std::optional<ExitStatus> status = trial->process->TryReap();
  if (!status) return false;
  Finish(trial, *status, out);
  return true;
}

void LocalPlatform::Finish(Trial* trial, const ExitStatus& status, std::vector<PlatformEvent>* out) {
  // The group is dead now: what it wrote before dying is still in the pipes.
  ReadPipe(trial, true, kFinalDrainBudget, out);
  ReadPipe(trial, false, kFinalDrainBudget, out);
  trial->process->CloseStdout();
  trial->process->CloseStderr();
  trial->output->Finish(StdoutLineEmitter(trial->seq, out));
  if (gpus_) gpus_->Release(trial->gpus);
  PlatformEvent exited;
  exited.kind = PlatformEvent::Kind::kExited;
  exited.seq = trial->seq;
  exited.exit_code = status.exit_code;
  exited.signal = status.signal;
  exited.stderr_tail = trial->output->StderrTail();
  out->push_back(std::move(exited));
  exited_.insert(trial->seq);
  // A killed process in the middle of a system call (a GPU driver's teardown) can take a
  // while to go; its cgroup is removed on a later round.
  if (trial->scope && !trial->scope->Release()) draining_.push_back(std::move(trial->scope));
}

void LocalPlatform::ReleaseDraining() {
  std::erase_if(draining_, [](const std::unique_ptr<TrialScope>& scope) { return scope->Release(); });
}

Status LocalPlatform::Stop(std::chrono::milliseconds grace) {
  stopped_ = true;
  Clock::time_point now = Clock::now();
  for (auto& [seq, trial] : trials_) trial->process->Terminate(grace, now);
  // SIGKILL goes out at the grace deadline; a process stuck in the kernel gets a little
  // longer before we block on it.
  Clock::time_point give_up = now + grace + std::chrono::seconds(2);
  while (!trials_.empty() && Clock::now() < give_up) {
    auto left = std::chrono::milliseconds(CeilMillis(give_up - Clock::now()));
    HONE_RETURN_IF_ERROR(PollOnce(std::min(left, std::chrono::milliseconds(100)), &pending_));
  }
  for (auto& [seq, trial] : trials_) Finish(trial.get(), trial->process->KillAndReap(), &pending_);
  trials_.clear();
  while (!draining_.empty() && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ReleaseDraining();
  }
  return Status::Ok();
}

Status LocalPlatform::Reclaim(int64_t seq, const std::string& trial_dir, int64_t pid) {
  scopes_.Reclaim(seq, trial_dir, static_cast<pid_t>(pid));
  return Status::Ok();
}

}  // namespace hone
