#include "platforms/remote/remote_platform.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "platforms/remote/remote_scripts.h"
#include "platforms/stdout_events.h"

namespace hone {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxFailedPolls = 3;
constexpr std::chrono::milliseconds kFirstPoll{20};
// An unreachable host is tried again after 1 s, then 2, 4, ... up to a minute.
constexpr std::chrono::milliseconds kFirstBackoff{1000};
constexpr std::chrono::milliseconds kMaxBackoff{60000};

bool ValidEnvName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

void AppendFile(const std::string& path, const std::string& bytes) {
  if (bytes.empty()) return;
  std::ofstream(path, std::ios::binary | std::ios::app) << bytes;
}

PlatformEvent MakeEvent(PlatformEvent::Kind kind, int64_t seq) {
  PlatformEvent e;
  e.kind = kind;
  e.seq = seq;
  return e;
}


// An experiment id usable as one path component on the host.
bool SafeComponent(const std::string& s) {
  return !s.empty() && s[0] != '.' && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

RemotePlatform::RemotePlatform(RemotePlatformOptions options) : options_(std::move(options)) {}

RemotePlatform::~RemotePlatform() {
  if (started_) {
    for (auto& [seq, trial] : trials_)
      (void)hosts_[trial->host].ssh->Run(KillScript(trial->remote_dir, std::chrono::milliseconds(0)),
                                         options_.ssh_timeout);
  }
  CloseHosts();
}

void RemotePlatform::CloseHosts() {
  for (auto& h : hosts_) h.ssh->Close();
  if (!control_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(control_dir_, ec);
    control_dir_.clear();
  }
}

Status RemotePlatform::Start() {
  if (options_.machines.empty()) return InvalidArgument("trainingService.machineList: no machines");
  std::string pattern = (fs::temp_directory_path() / "hone-ssh-XXXXXX").string();
  if (!mkdtemp(pattern.data())) return IoError("cannot create a directory for ssh control sockets");
  control_dir_ = pattern;
  run_id_ = fs::path(control_dir_).filename().string();
  std::string errors;
  for (const auto& m : options_.machines) {
    if (options_.trial_gpu_number.value_or(0) > 0 && !m.gpu_indices.empty() &&
        static_cast<int>(m.gpu_indices.size()) < *options_.trial_gpu_number)
      errors += "\n  host " + m.host + ": trialGpuNumber is " + std::to_string(*options_.trial_gpu_number) +
                " but its gpuIndices lists " + std::to_string(m.gpu_indices.size()) +
                " GPUs (list enough, or none to use what nvidia-smi finds there)";
    Host h;
    h.ssh = std::make_unique<SshHost>(m, control_dir_, options_.ssh_options, m.multiplex.value_or(options_.multiplex));
    h.gpus = m.gpu_indices;
    hosts_.push_back(std::move(h));
  }
  for (auto& h : hosts_) {
    Status st = h.ssh->Open(options_.ssh_timeout);
    if (st.ok()) {
      auto dir = h.ssh->Run(ResolveDirScript(options_.remote_dir), options_.ssh_timeout);
      if (!dir.ok()) st = dir.status();
      else if (dir->status.exit_code != 0)
        st = IoError("host " + h.ssh->Name() + ": cannot create remoteDir '" + options_.remote_dir +
                     "': " + Trimmed(dir->stderr_text));
      else h.remote_dir = Trimmed(dir->stdout_text);
    }
    if (!st.ok()) errors += "\n  " + st.message();
  }
  if (errors.empty()) {
    Status gpus = FindGpus();
    if (!gpus.ok()) errors = gpus.message();
  }
  if (!errors.empty()) {
    CloseHosts();
    return Status(StatusCode::kUnavailable, "the remote platform cannot use its machines:" + errors);
  }
  started_ = true;
  if (!options_.code_dir.empty()) {
    for (auto& h : hosts_) {
      auto code = EnsureCode(h, options_.code_dir);
      if (!code.ok()) return code.status();
    }
  }
  return Status::Ok();
}

int RemotePlatform::HostSlots(const Host& host) const {
  if (host.down) return 0;
  const RemoteMachine& m = host.ssh->machine();
  int gpus = options_.trial_gpu_number.value_or(0);
  if (gpus > 0) {
    int free_gpus = 0;
    for (int g : host.gpus) {
      auto it = host.gpu_use.find(g);
      if ((it == host.gpu_use.end() ? 0 : it->second) < m.max_trial_number_per_gpu) ++free_gpus;
    }
    return free_gpus >= gpus ? 1 : 0;  // one more at a time: the next may need other GPUs
  }
  if (m.max_concurrent_trials > 0) return std::max(0, m.max_concurrent_trials - host.running);
  return kUnlimited;
}

int RemotePlatform::Capacity() const {
  if (!started_) return 0;
  long total = 0;
  for (const auto& h : hosts_) total += HostSlots(h);
  return static_cast<int>(std::min<long>(total, kUnlimited));
}

std::optional<size_t> RemotePlatform::PickHost() const {
  std::optional<size_t> best;
  for (size_t i = 0; i < hosts_.size(); ++i) {
    if (HostSlots(hosts_[i]) <= 0) continue;
    if (!best || hosts_[i].running < hosts_[*best].running) best = i;
  }
  return best;
}

std::vector<int> RemotePlatform::TakeGpus(Host& host) const {
  std::vector<int> taken;
  int wanted = options_.trial_gpu_number.value_or(0);
  std::vector<int> order = host.gpus;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return host.gpu_use[a] < host.gpu_use[b]; });
  for (int g : order) {
    if (static_cast<int>(taken.size()) == wanted) break;
    if (host.gpu_use[g] < host.ssh->machine().max_trial_number_per_gpu) taken.push_back(g);
  }
  for (int g : taken) ++host.gpu_use[g];
  return taken;
}

StatusOr<const CodeBundle*> RemotePlatform::Bundle(const std::string& local_dir) {
  auto it = bundles_.find(local_dir);
  if (it != bundles_.end()) return &it->second;
  StatusOr<CodeBundle> b = ReadCodeBundle(local_dir, options_.code_size_limit);
  if (!b.ok()) return b.status();
  return &bundles_.emplace(local_dir, std::move(*b)).first->second;
}

StatusOr<std::string> RemotePlatform::EnsureCode(Host& host, const std::string& local_dir) {
  StatusOr<const CodeBundle*> bundle = Bundle(local_dir);
  if (!bundle.ok()) return bundle.status();
  const CodeBundle& b = **bundle;
  std::string target = host.remote_dir + "/code/" + b.hash;
  if (host.shipped.count(b.hash)) return target;
  auto present = host.ssh->Run("test -d " + ShellQuote(target), options_.ssh_timeout);
  if (!present.ok()) return present.status();
  if (present->status.exit_code == 0) {
    host.shipped[b.hash] = true;
    return target;
  }
  std::string list = control_dir_ + "/files-" + b.hash;
  Status st = WriteFileList(b, list);
  if (!st.ok()) return st;
  // Unpacked beside the target and renamed into place: a copy is there whole or not at all.
  std::string script = "set -e\nc=" + ShellQuote(target) + "\nif [ -d \"$c\" ]; then cat >/dev/null; exit 0; fi\n"
                       "mkdir -p \"${c%/*}\"\nt=$(mktemp -d \"$c.tmp.XXXXXX\")\ntar -xf - -C \"$t\"\n"
                       "mv -T \"$t\" \"$c\" 2>/dev/null || rm -rf \"$t\"\n";
  std::string producer = "tar -C " + ShellQuote(b.dir) + " --null --no-recursion -T " + ShellQuote(list) + " -cf -";
  auto out = host.ssh->RunWithInput(producer, script, std::chrono::milliseconds(600000));
  std::error_code ec;
  fs::remove(list, ec);
  if (!out.ok()) return out.status();
  if (out->status.exit_code != 0)
    return IoError("host " + host.ssh->Name() + ": shipping the code directory failed: " + Trimmed(out->stderr_text));
  host.shipped[b.hash] = true;
  return target;
}

StatusOr<std::string> RemotePlatform::ShipSdk(Host& host, const std::string& python_path) {
  std::string first = python_path.substr(0, python_path.find(':'));
  std::error_code ec;
  if (first.empty() || !fs::is_regular_file(fs::path(first) / "hone" / "__init__.py", ec)) return std::string();
  return EnsureCode(host, first);
}

std::map<std::string, std::string> RemotePlatform::RemoteEnv(const TrialLaunch& launch, const std::string& dir,
                                                             const std::vector<int>& gpus) const {
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : launch.env)
    if (ValidEnvName(k)) env[k] = v;
  for (const char* k : {"HONE_TRIAL_DIR", "NNI_SYS_DIR"}) env[k] = dir;
  for (const char* k : {"HONE_OUTPUT_DIR", "NNI_OUTPUT_DIR"}) env[k] = dir + "/output";
  if (options_.trial_gpu_number) {
    std::string devices;
    for (int g : gpus) devices += (devices.empty() ? "" : ",") + std::to_string(g);
    env["CUDA_VISIBLE_DEVICES"] = devices;
  }
  return env;
}

std::string RemotePlatform::RunName(const TrialLaunch& launch) const {
  auto it = launch.env.find("HONE_EXPERIMENT_ID");
  return it != launch.env.end() && SafeComponent(it->second) ? it->second : "";
}

Status RemotePlatform::Launch(const TrialLaunch& launch) {
  if (!started_) return FailedPrecondition("the remote platform is not started");
  if (trials_.count(launch.seq)) return FailedPrecondition("trial " + std::to_string(launch.seq) + " already runs");
  std::optional<size_t> index = PickHost();
  if (!index) return Status(StatusCode::kUnavailable, "no remote host has a free slot");
  Host& host = hosts_[*index];
  RemoteLaunchSpec spec;
  if (!launch.working_dir.empty()) {
    auto code = EnsureCode(host, launch.working_dir);
    if (!code.ok()) return code.status();
    spec.working_dir = *code;
  }
  std::string sdk_dir;
  if (auto py = launch.env.find("PYTHONPATH"); py != launch.env.end()) {
    auto sdk = ShipSdk(host, py->second);
    if (!sdk.ok()) return sdk.status();
    sdk_dir = *sdk;
  }
  std::string run = RunName(launch);
  if (run.empty()) run = run_id_;
  auto trial = std::make_unique<Trial>();
  trial->seq = launch.seq;
  trial->host = *index;
  trial->remote_dir = host.remote_dir + "/runs/" + run + "/" + std::to_string(launch.seq);
  trial->local_dir = launch.trial_dir;
  trial->splitter = std::make_unique<LineSplitter>(options_.max_line_bytes);
  trial->stderr_tail = std::make_unique<TailBuffer>(4096, 20);
  trial->gpus = TakeGpus(host);
  spec.trial_dir = trial->remote_dir;
  spec.command = launch.command;
  spec.python_path = host.ssh->machine().python_path;
  spec.env = RemoteEnv(launch, trial->remote_dir, trial->gpus);
  if (!sdk_dir.empty()) spec.env["PYTHONPATH"] = sdk_dir;
  else spec.env.erase("PYTHONPATH");
  std::error_code ec;
  if (!launch.trial_dir.empty()) fs::create_directories(fs::path(launch.trial_dir) / "output", ec);
  auto out = host.ssh->Run(LaunchScript(spec), options_.ssh_timeout);
  int64_t pid = 0;
  if (out.ok() && out->status.exit_code == 0) pid = std::atoll(out->stdout_text.c_str());
  if (pid <= 0) {
    for (int g : trial->gpus) --host.gpu_use[g];
    if (!out.ok()) {
      MarkDown(host);
      return out.status();
    }
    return IoError("host " + host.ssh->Name() + ": cannot start trial " + std::to_string(launch.seq) + ": " +
                   Trimmed(out->stderr_text));
  }
  ++host.running;
  if (!launch.trial_dir.empty()) std::ofstream(launch.trial_dir + "/remote_host") << host.ssh->Name() << "\n";
  PlatformEvent started = MakeEvent(PlatformEvent::Kind::kStarted, launch.seq);
  started.pid = pid;
  if (options_.trial_gpu_number) started.devices = spec.env["CUDA_VISIBLE_DEVICES"];
  pending_.push_back(std::move(started));
  interval_ = kFirstPoll;
  trials_[launch.seq] = std::move(trial);
  return Status::Ok();
}

Status RemotePlatform::Kill(int64_t seq) {
  if (exited_.count(seq)) return Status::Ok();
  auto it = trials_.find(seq);
  if (it == trials_.end()) return NotFound("no trial " + std::to_string(seq) + " on the remote platform");
  Trial& t = *it->second;
  auto out = hosts_[t.host].ssh->Run(KillScript(t.remote_dir, options_.kill_grace), options_.ssh_timeout);
  if (!out.ok()) return out.status();
  t.kill_sent = true;
  return Status::Ok();
}

void RemotePlatform::Finish(Trial& trial, int status, const std::string& reason, std::vector<PlatformEvent>* out,
                            bool platform_failure) {
  trial.splitter->Finish(StdoutLineEmitter(trial.seq, out));
  PlatformEvent e = MakeEvent(PlatformEvent::Kind::kExited, trial.seq);
  e.exit_code = status;
  if (status > 128 && status < 128 + 65) e.signal = status - 128;
  e.stderr_tail = reason.empty() ? trial.stderr_tail->Tail() : reason;
  e.platform_failure = platform_failure;
  out->push_back(std::move(e));
  Host& host = hosts_[trial.host];
  --host.running;
  for (int g : trial.gpus) --host.gpu_use[g];
  int64_t seq = trial.seq;
  exited_[seq] = true;
  trials_.erase(seq);  // `trial` is gone from here on
}

void RemotePlatform::Absorb(Trial& trial, const PollRecord& r, std::vector<PlatformEvent>* out) {
  trial.stdout_offset += static_cast<int64_t>(r.stdout_bytes.size());
  trial.stderr_offset += static_cast<int64_t>(r.stderr_bytes.size());
  if (!trial.local_dir.empty()) {
    AppendFile(trial.local_dir + "/stdout.log", r.stdout_bytes);
    AppendFile(trial.local_dir + "/stderr.log", r.stderr_bytes);
  }
  trial.splitter->Feed(r.stdout_bytes, StdoutLineEmitter(trial.seq, out));
  trial.stderr_tail->Append(r.stderr_bytes);
  if (!r.exit_status) return;
  std::string copy_error = r.has_output ? CopyOutput(trial) : "";
  if (!copy_error.empty()) trial.stderr_tail->Append("\n" + copy_error + "\n");
  Finish(trial, *r.exit_status, "", out);
}

void RemotePlatform::PollHost(size_t index, std::vector<PlatformEvent>* out) {
  std::vector<RemotePollEntry> entries;
  for (const auto& [seq, t] : trials_)
    if (t->host == index) entries.push_back({seq, t->remote_dir, t->stdout_offset, t->stderr_offset});
  if (entries.empty()) return;
  int64_t per_stream = std::clamp<int64_t>((6 << 20) / static_cast<int64_t>(entries.size()), 4096, 1 << 20);
  Host& host = hosts_[index];
  auto reply = host.ssh->Run(PollScript(entries, per_stream), options_.ssh_timeout);
  StatusOr<std::vector<PollRecord>> records =
      reply.ok() ? ParsePollReply(reply->stdout_text) : StatusOr<std::vector<PollRecord>>(reply.status());
  if (!records.ok()) {
    if (++host.failed_polls < kMaxFailedPolls) return;
    std::string reason = "host " + host.ssh->Name() + " failed " + std::to_string(kMaxFailedPolls) +
                         " polls in a row: " + records.status().message();
    for (const auto& e : entries) {
      host.orphans.push_back(e.trial_dir);
      Finish(*trials_.at(e.seq), 255, reason, out, /*platform_failure=*/true);
    }
    MarkDown(host);
    return;
  }
  host.failed_polls = 0;
  for (const auto& r : *records) {
    auto it = trials_.find(r.seq);
    if (it != trials_.end() && it->second->host == index) Absorb(*it->second, r, out);
  }
}

void RemotePlatform::MarkDown(Host& host) {
  host.failed_polls = 0;
  host.backoff = host.down ? std::min(host.backoff * 2, kMaxBackoff) : kFirstBackoff;
  host.down = true;
  host.retry_at = Clock::now() + host.backoff;
  host.ssh->Close();
}

void RemotePlatform::RetryDownHosts() {
  for (auto& h : hosts_) {
    if (!h.down || Clock::now() < h.retry_at) continue;
    if (h.ssh->Open(options_.ssh_timeout).ok()) {
      h.down = false;
      h.backoff = kFirstBackoff;
      // Trials reported lost may have run on through a network outage: they run again
      // elsewhere, so these copies end.
      for (const auto& dir : h.orphans) (void)h.ssh->Run(KillScript(dir, std::chrono::milliseconds(0)), options_.ssh_timeout);
      h.orphans.clear();
    } else {
      MarkDown(h);
    }
  }
}

Status RemotePlatform::Poll(std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) {
  RetryDownHosts();
  if (!pending_.empty()) {
    out->insert(out->end(), pending_.begin(), pending_.end());
    pending_.clear();
    return Status::Ok();
  }
  if (trials_.empty()) {
    std::this_thread::sleep_for(std::min(timeout, options_.poll_interval));
    return Status::Ok();
  }
  auto due = last_poll_ + interval_;
  auto now = Clock::now();
  if (due > now) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - now);
    std::this_thread::sleep_for(std::min(wait, timeout));
    if (wait > timeout) return Status::Ok();
  }
  last_poll_ = Clock::now();
  size_t running = trials_.size();
  for (size_t i = 0; i < hosts_.size(); ++i) PollHost(i, out);
  // Soon again after a trial ended (its slot is refilled at once), less and less often
  // while they just run: output then arrives in bulk.
  interval_ = trials_.size() < running ? kFirstPoll : std::min(interval_ * 2, options_.poll_interval);
  return Status::Ok();
}

Status RemotePlatform::Stop(std::chrono::milliseconds grace) {
  if (!started_) return Status::Ok();
  for (auto& [seq, t] : trials_)
    (void)hosts_[t->host].ssh->Run(KillScript(t->remote_dir, grace), options_.ssh_timeout);
  auto deadline = Clock::now() + grace + std::chrono::seconds(5);
  while (!trials_.empty() && Clock::now() < deadline) {
    last_poll_ = {};
    for (size_t i = 0; i < hosts_.size(); ++i) PollHost(i, &pending_);
    if (!trials_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  while (!trials_.empty()) Finish(*trials_.begin()->second, 128 + 9, "the host did not confirm the kill", &pending_);
  started_ = false;
  CloseHosts();
  return Status::Ok();
}

}  // namespace hone
