#include "platforms/remote/remote_platform_info.h"

#include <filesystem>
#include <optional>

#include "core/config_keys.h"
#include "core/experiment_config.h"
#include "platforms/gpu_scheduler.h"
#include "platforms/local_platform.h"
#include "platforms/remote/remote_options.h"
#include "platforms/remote/remote_platform.h"

namespace hone {
namespace {

std::vector<ArgSpec> MachineSpecs() {
  using K = ArgSpec::Kind;
  return {Required(MakeArg("host", K::kString)),
          MakeArg("port", K::kInt, 1, 65535),
          MakeArg("user", K::kString),
          MakeArg("sshKeyFile", K::kString),
          MakeArg("pythonPath", K::kString),
          MakeArg("gpuIndices", K::kAny),
          MakeArg("maxTrialNumberPerGpu", K::kInt, 1),
          MakeArg("useActiveGpu", K::kBool),
          MakeArg("maxConcurrentTrials", K::kInt, 1),
          MakeArg("multiplex", K::kBool)};
}

bool IsSecretKey(const std::string& key) {
  std::string f = FoldKey(key);
  return f == "passwd" || f == "pwd" || f.find("passw") != std::string::npos || f.find("pasw") != std::string::npos ||
         f.find("passphrase") != std::string::npos;
}

// One machineList entry: its keys against MachineSpecs, no secrets, an existing key file.
void CheckMachine(const ConfigNode& node, const std::string& path, const std::string& base_dir,
                  std::optional<int> trial_gpu_number, Diagnostics& diag) {
  if (!node.IsMap()) {
    diag.Error(node.mark(), path, "expected a map with 'host', but got " + node.Describe());
    return;
  }
  ConfigNode canon = CanonicalKeys(node, RemoteMachineKeys(), path, diag);
  std::vector<std::pair<std::string, ConfigNode>> kept;
  std::vector<SourceMark> marks;
  for (size_t i = 0; i < canon.entries().size(); ++i) {
    const auto& [k, v] = canon.entries()[i];
    if (IsSecretKey(k)) {
      diag.Error(canon.KeyMarkAt(i), path + "." + k,
                 "passwords are never stored in a config; load the key into ssh-agent (ssh-add) or set "
                 "SSH_ASKPASS, and give sshKeyFile or nothing");
      continue;
    }
    kept.emplace_back(k, v);
    marks.push_back(canon.KeyMarkAt(i));
  }
  ConfigNode machine = ConfigNode::Map(std::move(kept), std::move(marks), canon.mark());
  CheckRequired(&machine, machine.mark(), path, MachineSpecs(), "a machineList entry", diag);
  nlohmann::json args;
  CheckArgs(machine, path, MachineSpecs(), diag, args);
  if (args.contains("sshKeyFile")) {
    std::string file = ResolveLocalPath(args["sshKeyFile"].get<std::string>(), base_dir);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
      diag.Error(machine.Find("sshKeyFile")->mark(), path + ".sshKeyFile",
                 "the key file must exist, but '" + file + "' does not");
  }
  if (trial_gpu_number.value_or(0) > 0 && args.contains("host")) {
    // Without gpuIndices the GPUs are discovered on the host at start.
    auto listed = args.contains("gpuIndices") ? ParseGpuIndices(args["gpuIndices"]) : StatusOr<std::vector<int>>(std::vector<int>{});
    if (listed.ok() && !listed->empty() && static_cast<int>(listed->size()) < *trial_gpu_number)
      diag.Error(machine.Find("gpuIndices")->mark(), path + ".gpuIndices",
                 "trialGpuNumber is " + std::to_string(*trial_gpu_number) + ", so a machine that lists gpuIndices " +
                     "must list at least that many GPUs (or none, to use what nvidia-smi finds), but it lists " +
                     std::to_string(listed->size()));
  }
  if (args.contains("gpuIndices") && !ParseGpuIndices(args["gpuIndices"]).ok())
    diag.Error(machine.Find("gpuIndices")->mark(), path + ".gpuIndices",
               "expected a list of GPU indices, an index, or a string like '0,1', but got " +
                   machine.Find("gpuIndices")->Describe());
}

void CheckRemoteKeys(const PlatformSection& section, Diagnostics& diag) {
  std::string base_dir = std::filesystem::path(section.service.mark().file).parent_path().string();
  if (const ConfigNode* list = section.service.Find("machineList")) {
    if (!list->IsSequence() || list->items().empty()) {
      diag.Error(list->mark(), "trainingService.machineList",
                 "expected a list of machines ({host, port, user, sshKeyFile, ...}), but got " + list->Describe());
    } else {
      for (size_t i = 0; i < list->items().size(); ++i)
        CheckMachine(list->items()[i], "trainingService.machineList[" + std::to_string(i) + "]", base_dir,
                     section.trial_gpu_number, diag);
    }
  }
  if (section.args.contains("trialCodeSizeLimit")) {
    auto bytes = ParseMemorySize(section.args["trialCodeSizeLimit"]);
    if (!bytes.ok())
      diag.Error(section.service.Find("trialCodeSizeLimit")->mark(), "trainingService.trialCodeSizeLimit",
                 bytes.status().message());
  }
  if (const ConfigNode* opts = section.service.Find("sshOptions")) {
    bool ok = opts->IsSequence();
    for (const auto& o : opts->items()) ok = ok && o.IsScalar() && o.scalar().find('=') != std::string::npos;
    if (!ok)
      diag.Error(opts->mark(), "trainingService.sshOptions",
                 "expected a list of ssh options like 'ProxyJump=gateway', but got " + opts->Describe());
  }
}

}  // namespace

PlatformInfo RemotePlatformInfo() {
  using K = ArgSpec::Kind;
  PlatformInfo info;
  info.name = "remote";
  info.summary = "run trials on SSH hosts (machineList) over one OpenSSH connection per host";
  info.args = {Required(MakeArg("machineList", K::kAny)),
               MakeArg("remoteDir", K::kString),
               MakeArg("trialCodeSizeLimit", K::kAny),
               MakeArg("sshOptions", K::kAny),
               // false: one ssh connection per command (no ControlMaster), for comparisons.
               MakeArg("multiplex", K::kBool),
               // NNI's trial-keeper reuse: accepted and ignored, hone's runner is always used.
               MakeArg("reuseMode", K::kBool)};
  info.check = CheckRemoteKeys;
  info.create = [](const ExperimentConfig& config) -> StatusOr<std::unique_ptr<Platform>> {
    StatusOr<RemotePlatformOptions> options = RemoteOptionsFromConfig(config);
    if (!options.ok()) return options.status();
    return std::unique_ptr<Platform>(std::make_unique<RemotePlatform>(std::move(*options)));
  };
  return info;
}

}  // namespace hone
