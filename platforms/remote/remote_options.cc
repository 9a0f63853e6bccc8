#include "platforms/remote/remote_options.h"

#include <cstdlib>
#include <filesystem>

#include "core/config_keys.h"
#include "platforms/gpu_scheduler.h"
#include "platforms/local_platform.h"

namespace hone {

const std::vector<std::string>& RemoteMachineKeys() {
  static const std::vector<std::string> keys = {"host",       "port",       "user",
                                                "sshKeyFile", "pythonPath", "gpuIndices",
                                                "maxTrialNumberPerGpu", "useActiveGpu",
                                                "maxConcurrentTrials", "multiplex"};
  return keys;
}

std::string ResolveLocalPath(const std::string& path, const std::string& base_dir) {
  std::string p = path;
  if (p == "~" || p.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    p = std::string(home ? home : "") + p.substr(1);
  }
  std::filesystem::path fp(p);
  if (fp.is_relative() && !base_dir.empty()) fp = std::filesystem::path(base_dir) / fp;
  return fp.lexically_normal().string();
}

namespace {

StatusOr<RemoteMachine> MachineFromJson(const nlohmann::json& entry, size_t index, const std::string& base_dir) {
  std::string where = "trainingService.machineList[" + std::to_string(index) + "]";
  if (!entry.is_object()) return InvalidArgument(where + ": expected a map");
  RemoteMachine m;
  for (const auto& [key, value] : entry.items()) {
    const std::string* known = MatchKey(key, RemoteMachineKeys());
    if (!known) return InvalidArgument(where + "." + key + ": unknown key");
    const std::string& k = *known;
    if (k == "host" && value.is_string()) m.host = value.get<std::string>();
    else if (k == "port" && value.is_number_integer()) m.port = value.get<int>();
    else if (k == "user" && value.is_string()) m.user = value.get<std::string>();
    else if (k == "sshKeyFile" && value.is_string()) m.ssh_key_file = ResolveLocalPath(value.get<std::string>(), base_dir);
    else if (k == "pythonPath" && value.is_string()) m.python_path = value.get<std::string>();
    else if (k == "maxTrialNumberPerGpu" && value.is_number_integer()) m.max_trial_number_per_gpu = value.get<int>();
    else if (k == "maxConcurrentTrials" && value.is_number_integer()) m.max_concurrent_trials = value.get<int>();
    else if (k == "useActiveGpu" && value.is_boolean()) m.use_active_gpu = value.get<bool>();
    else if (k == "multiplex" && value.is_boolean()) m.multiplex = value.get<bool>();
    else if (k == "gpuIndices") {
      auto parsed = ParseGpuIndices(value);
      if (!parsed.ok()) return InvalidArgument(where + ".gpuIndices: " + parsed.status().message());
      m.gpu_indices = *parsed;
    } else {
      return InvalidArgument(where + "." + k + ": unexpected value " + value.dump());
    }
  }
  if (m.host.empty()) return InvalidArgument(where + ".host: is required");
  return m;
}

}  // namespace

StatusOr<RemotePlatformOptions> RemoteOptionsFromConfig(const ExperimentConfig& config) {
  const nlohmann::json& args = config.platform_args;
  RemotePlatformOptions options;
  options.code_dir = config.trial_code_directory;
  options.trial_gpu_number = config.trial_gpu_number;
  if (!args.contains("machineList") || !args["machineList"].is_array() || args["machineList"].empty())
    return InvalidArgument("trainingService.machineList: the remote platform needs at least one machine");
  for (size_t i = 0; i < args["machineList"].size(); ++i) {
    StatusOr<RemoteMachine> m = MachineFromJson(args["machineList"][i], i, config.base_dir);
    if (!m.ok()) return m.status();
    options.machines.push_back(std::move(*m));
  }
  if (args.contains("remoteDir") && args["remoteDir"].is_string()) options.remote_dir = args["remoteDir"].get<std::string>();
  if (args.contains("trialCodeSizeLimit")) {
    StatusOr<int64_t> bytes = ParseMemorySize(args["trialCodeSizeLimit"]);
    if (!bytes.ok()) return InvalidArgument("trainingService.trialCodeSizeLimit: " + bytes.status().message());
    options.code_size_limit = *bytes;
  }
  if (args.contains("multiplex") && args["multiplex"].is_boolean()) options.multiplex = args["multiplex"].get<bool>();
  if (args.contains("sshOptions") && args["sshOptions"].is_array())
    for (const auto& o : args["sshOptions"])
      if (o.is_string()) options.ssh_options.push_back(o.get<std::string>());
  return options;
}

}  // namespace hone
