// LocalPlatform: trials as process groups on this machine, with GPUs handed out through
// CUDA_VISIBLE_DEVICES (NNI's `platform: local`).
//
//   LocalPlatformOptions options;            // or LocalPlatformOptionsFromConfig(config, path)
//   options.trial_gpu_number = 1;
//   LocalPlatform local(std::move(options));
//   local.Start();                           // fails: trialGpuNumber > usable GPUs, ...
//   local.Launch({.seq = 0, .command = "python3 train.py", .trial_dir = dir});
//   local.Poll(100ms, &events);              // kStarted{devices "0"}, kStdoutLine..., kExited
//
// Beyond the Platform contract:
// - Launch creates trial_dir and trial_dir/output; stdout and stderr go byte for byte to
//   trial_dir/stdout.log and stderr.log. Stdout lines longer than max_line_bytes reach
//   Poll cut to that size with truncated = true. Lines are raw bytes (maybe not UTF-8).
// - kExited.exit_code is 128 + signal when a signal killed the trial.
// - Each trial runs in a TrialScope (trials/trial_scope.h): its own cgroup v2 group under
//   <cgroup2 mount>/hone/ where this process can make one, else its process group plus
//   the processes whose environment carries its HONE_TRIAL_DIR (set to trial_dir when
//   the launch has none). Everything it started, setsid and double-forked daemons too,
//   ends with it; the cgroup directory is removed once empty.
// - When a trial's main process exits, the rest of its scope is SIGKILLed.
// - Kill sends SIGTERM to the scope, SIGKILL after kill_grace; Kill of a trial that has
//   already exited is Ok and does nothing; of a seq never launched, kNotFound.
// - A Launch that fails (kUnavailable: no free GPU; kIo: cannot start) launched nothing
//   and produces no events.
// - Events made during Stop are returned by the next Poll.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/experiment_config.h"
#include "platforms/gpu_discovery.h"
#include "platforms/gpu_scheduler.h"
#include "core/platform.h"
#include "trials/process_group.h"
#include "trials/trial_output.h"
#include "trials/trial_scope.h"

namespace hone {

struct LocalPlatformOptions {
  // unset: trials inherit CUDA_VISIBLE_DEVICES; 0: they get ""; n: n GPUs of their own.
  std::optional<int> trial_gpu_number;
  std::vector<int> gpu_indices;       // only these GPUs; empty: every GPU found
  int max_trial_number_per_gpu = 1;   // NNI: anything but 1 needs trialGpuNumber
  bool use_active_gpu = true;         // false: skip GPUs that other processes use
  std::chrono::milliseconds kill_grace{3000};  // SIGTERM -> SIGKILL
  TrialOutputLimits output_limits;
  std::chrono::milliseconds gpu_refresh_interval{5000};  // use_active_gpu false only
  // Exits wake Poll through pidfds (Linux 5.3+). false, or a kernel without them: Poll
  // looks for exits every 10 ms while trials run.
  bool use_pidfd = true;
  // The cgroup v2 hierarchy for trial groups: "" = the one mounted here; a path that is
  // not a cgroup v2 directory this process can create groups in = no cgroups (the
  // process group and environment scan instead).
  std::string cgroup_root;
  // trainingService.trialMemoryLimit / trialCpuLimit (in CPUs): written to each trial's
  // cgroup (memory.max, cpu.max). Start fails when this machine cannot enforce them.
  std::optional<int64_t> trial_memory_limit_bytes;
  std::optional<double> trial_cpu_limit;
  // Lists the GPUs (argument: also count compute processes). Called by Start only when
  // trial_gpu_number > 0, and then by Poll every gpu_refresh_interval when
  // use_active_gpu is false. Default: nvidia-smi on the PATH given to FromConfig.
  std::function<StatusOr<GpuInventory>(bool count_processes)> discover_gpus;
};

// A memory size: a positive integer of bytes, or a string like "512m", "4GiB", "100k"
// (binary units, case-insensitive). kInvalidArgument otherwise.
StatusOr<int64_t> ParseMemorySize(const nlohmann::json& value);

// Options from the experiment's config (trialGpuNumber, trainingService.gpuIndices,
// maxTrialNumberPerGpu, useActiveGpu, trialMemoryLimit, trialCpuLimit); nvidia-smi is
// looked up in `path_env`.
// kInvalidArgument for a gpuIndices value that is not a list of ints, an int or "0,1".
StatusOr<LocalPlatformOptions> LocalPlatformOptionsFromConfig(const ExperimentConfig& config,
                                                              std::string path_env);

class LocalPlatform : public Platform {
 public:
  explicit LocalPlatform(LocalPlatformOptions options);
  ~LocalPlatform() override;  // SIGKILLs whatever still runs

  Status Start() override;
  int Capacity() const override;
  Status Launch(const TrialLaunch& launch) override;
  Status Kill(int64_t seq) override;
  Status Poll(std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) override;
  Status Stop(std::chrono::milliseconds grace) override;
  // Ends the trial's cgroup when it has one, and SIGKILLs every process whose environment
  // carries this trial's HONE_TRIAL_DIR and that is in group `pid` or carries its
  // HONE_TRIAL_SEQ (a recycled group id belongs to someone else and is left alone).
  Status Reclaim(int64_t seq, const std::string& trial_dir, int64_t pid) override;

  // What Capacity returns when GPUs do not limit it (the manager's trialConcurrency does).
  static constexpr int kUnlimited = 1 << 20;

  // "<cgroup root>/hone" when trials get cgroups, "" when they get the environment scan.
  const std::string& cgroup_base() const { return scopes_.cgroup_base(); }

 private:
  using Clock = ProcessGroup::Clock;
  struct Trial {
    int64_t seq = 0;
    std::unique_ptr<TrialScope> scope;  // before process: it must outlive it
    std::unique_ptr<ProcessGroup> process;
    std::unique_ptr<TrialOutput> output;
    std::vector<int> gpus;
  };

  bool UsesGpus() const { return options_.trial_gpu_number.value_or(0) > 0; }
  Status CheckGpuRequest(const GpuInventory& inventory, std::vector<int>* usable) const;
  void RefreshForeignGpus(Clock::time_point now);
  // One poll(2) over every trial's pipes and exit fd, waiting at most `wait`.
  Status PollOnce(std::chrono::milliseconds wait, std::vector<PlatformEvent>* out);
  // Reads what a pipe holds now (bounded per call); closes it at EOF.
  void ReadPipe(Trial* trial, bool is_stdout, size_t budget, std::vector<PlatformEvent>* out);
  // When the trial's main process has exited: drains its pipes, emits kExited, forgets it.
  bool FinishIfExited(Trial* trial, std::vector<PlatformEvent>* out);
  void Finish(Trial* trial, const ExitStatus& status, std::vector<PlatformEvent>* out);
  // Retries releasing the scopes of finished trials whose processes were still exiting.
  void ReleaseDraining();

  LocalPlatformOptions options_;
  TrialScopes scopes_;
  std::vector<std::unique_ptr<TrialScope>> draining_;
  bool started_ = false;
  bool stopped_ = false;
  std::optional<GpuScheduler> gpus_;
  Clock::time_point last_gpu_refresh_{};
  std::map<int64_t, std::unique_ptr<Trial>> trials_;
  std::unordered_set<int64_t> exited_;
  std::vector<PlatformEvent> pending_;  // made outside Poll (Launch, Stop)
  std::string read_buffer_;
};

}  // namespace hone
