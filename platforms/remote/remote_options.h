// What the remote (SSH) platform is told: its machines (NNI's `machineList`) and its own
// settings, read from a checked trainingService section.
//
//   trainingService:
//     platform: remote
//     remoteDir: ~/.hone              # code, runner and trial directories on each host
//     trialCodeSizeLimit: 300m        # the shipped code directory's (and output/'s) limit
//     multiplex: true                 # one ControlMaster connection per host
//     machineList:
//       - {host: gpu1, port: 22, user: me, sshKeyFile: ~/.ssh/id_ed25519, gpuIndices: [0, 1]}
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/experiment_config.h"
#include "core/status.h"

namespace hone {

struct RemoteMachine {
  std::string host;
  int port = 22;
  std::string user;          // "" = ssh's default (the local user or ~/.ssh/config)
  std::string ssh_key_file;  // absolute; "" = ssh's default keys and the agent
  std::string python_path;   // prepended to PATH for trials on this host
  // With trialGpuNumber: the GPUs trials may use; empty = those nvidia-smi lists on the
  // host at Start (pythonPath first on its PATH).
  std::vector<int> gpu_indices;
  int max_trial_number_per_gpu = 1;
  // false: discovered GPUs that run another program's processes at Start are not used.
  bool use_active_gpu = true;
  std::optional<bool> multiplex;  // overrides the platform's `multiplex` for this host
  // Trials at once on this host; 0 = no limit of its own (trialConcurrency limits).
  int max_concurrent_trials = 0;
};

struct RemotePlatformOptions {
  std::vector<RemoteMachine> machines;
  std::string remote_dir = "~/.hone";             // "~/" = the login user's home
  int64_t code_size_limit = 300ll * 1024 * 1024;  // bytes of the shipped code directory
  std::string code_dir;                           // trialCodeDirectory, shipped at Start
  std::optional<int> trial_gpu_number;
  std::vector<std::string> ssh_options;           // extra `ssh -o` options
  bool multiplex = true;                          // one ControlMaster connection per host
  std::chrono::milliseconds poll_interval{1000};  // longest wait between polls of a host
  std::chrono::milliseconds kill_grace{3000};     // SIGTERM -> SIGKILL on the host
  std::chrono::milliseconds ssh_timeout{30000};   // one ssh command
  size_t max_line_bytes = 1 << 20;                // stdout lines beyond this are cut
};

// The machine keys, spelled canonically (NNI's ssh_key_file is sshKeyFile).
const std::vector<std::string>& RemoteMachineKeys();

// `path` with a leading "~/" expanded to $HOME and a relative path resolved against
// `base_dir`.
std::string ResolveLocalPath(const std::string& path, const std::string& base_dir);

// Options from an experiment config whose trainingService passed the remote platform's
// checks. kInvalidArgument for values those checks would have refused.
StatusOr<RemotePlatformOptions> RemoteOptionsFromConfig(const ExperimentConfig& config);

}  // namespace hone
