#include "platforms/builtin_platforms.h"

#include <cstdlib>
#include <filesystem>

#include "core/experiment_config.h"
#include "platforms/gpu_scheduler.h"
#include "platforms/local_platform.h"
#include "platforms/replay_platform.h"
#include "platforms/remote/remote_platform_info.h"
#include "platforms/slurm/slurm_options.h"

namespace hone {
namespace {

// The local platform's keys beyond their ArgSpecs: gpuIndices' format, and GPU keys
// that cannot work with the trial's GPU request.
void CheckLocalPlatformKeys(const PlatformSection& section, Diagnostics& diag) {
  std::vector<int> indices;
  if (section.args.contains("gpuIndices")) {
    const ConfigNode* gi = section.service.Find("gpuIndices");
    auto parsed = ParseGpuIndices(section.args["gpuIndices"]);
    if (!parsed.ok())
      diag.Error(gi->mark(), "trainingService.gpuIndices",
                 "expected a list of GPU indices, an index, or a string like '0,1', but got " + gi->Describe());
    else
      indices = *parsed;
  }
  if (section.args.contains("maxTrialNumberPerGpu") && !section.trial_gpu_number)
    diag.Error(section.service.KeyMark("maxTrialNumberPerGpu"), "trainingService.maxTrialNumberPerGpu",
               "only applies when trialGpuNumber is set, but trialGpuNumber is not given");
  if (section.args.contains("trialMemoryLimit")) {
    auto bytes = ParseMemorySize(section.args["trialMemoryLimit"]);
    if (!bytes.ok())
      diag.Error(section.service.Find("trialMemoryLimit")->mark(), "trainingService.trialMemoryLimit",
                 bytes.status().message());
  }
  int wanted = section.trial_gpu_number.value_or(0);
  if (wanted > 0 && !indices.empty() && wanted > static_cast<int>(indices.size())) {
    const ConfigNode* n = section.root.Find("trialGpuNumber");
    diag.Error(n ? n->mark() : section.root.mark(), "trialGpuNumber",
               "asks for " + std::to_string(wanted) + " GPUs per trial, but gpuIndices allows only " +
                   std::to_string(indices.size()) + "; no trial could ever start");
  }
}

}  // namespace

void RegisterBuiltinPlatforms(Registry& registry) {
  PlatformInfo local;
  local.name = "local";
  local.summary = "run trials as processes on this machine; GPUs via CUDA_VISIBLE_DEVICES";
  auto arg = [](std::string key, ArgSpec::Kind kind) { return MakeArg(std::move(key), kind); };
  local.args.push_back(arg("useActiveGpu", ArgSpec::Kind::kBool));
  ArgSpec per_gpu = arg("maxTrialNumberPerGpu", ArgSpec::Kind::kInt);
  per_gpu.min = 1;
  local.args.push_back(per_gpu);
  // A list of ints, one int, or "0,1": checked by ParseGpuIndices in CheckLocalPlatformKeys.
  local.args.push_back(arg("gpuIndices", ArgSpec::Kind::kAny));
  // NNI's trial-keeper reuse; hone runs trials directly, so it is accepted and ignored.
  local.args.push_back(arg("reuseMode", ArgSpec::Kind::kBool));
  // Per-trial limits through the trial's cgroup v2 group; an error at start where the
  // machine cannot enforce them. Bytes or "4g"; CPUs (1.5 = one and a half cores).
  local.args.push_back(arg("trialMemoryLimit", ArgSpec::Kind::kAny));
  ArgSpec cpus = arg("trialCpuLimit", ArgSpec::Kind::kNumber);
  cpus.min = 0.001;
  local.args.push_back(cpus);
  local.check = CheckLocalPlatformKeys;
  local.create = [](const ExperimentConfig& config) -> StatusOr<std::unique_ptr<Platform>> {
    const char* path = std::getenv("PATH");
    StatusOr<LocalPlatformOptions> options = LocalPlatformOptionsFromConfig(config, path ? path : "");
    if (!options.ok()) return options.status();
    return std::unique_ptr<Platform>(std::make_unique<LocalPlatform>(std::move(*options)));
  };
  registry.AddPlatform(std::move(local));

  PlatformInfo replay;
  replay.name = "replay";
  replay.summary = "replay recorded learning curves as trials, instantly, on a simulated clock";
  replay.args.push_back(Required(arg("curves", ArgSpec::Kind::kString)));
  ArgSpec scale = arg("timeScale", ArgSpec::Kind::kNumber);
  scale.min = 0;
  replay.args.push_back(scale);
  ArgSpec per_trial = arg("epochsPerTrial", ArgSpec::Kind::kInt);
  per_trial.min = 0;
  replay.args.push_back(per_trial);
  replay.args.push_back(arg("distinct", ArgSpec::Kind::kBool));
  replay.create = [](const ExperimentConfig& config) -> StatusOr<std::unique_ptr<Platform>> {
    const auto& args = config.platform_args;
    if (!args.contains("curves") || !args["curves"].is_string())
      return InvalidArgument("trainingService.curves: the replay platform needs a curve file");
    std::filesystem::path path(args["curves"].get<std::string>());
    if (path.is_relative() && !config.base_dir.empty()) path = std::filesystem::path(config.base_dir) / path;
    auto curves = ReplayCurves::Load(path.string());
    if (!curves.ok()) return curves.status();
    ReplayOptions options;
    if (args.contains("timeScale") && args["timeScale"].is_number()) options.time_scale = args["timeScale"].get<double>();
    if (args.contains("epochsPerTrial") && args["epochsPerTrial"].is_number_integer())
      options.epochs_per_trial = args["epochsPerTrial"].get<int>();
    if (args.contains("distinct") && args["distinct"].is_boolean()) options.distinct = args["distinct"].get<bool>();
    return std::unique_ptr<Platform>(std::make_unique<ReplayPlatform>(std::move(*curves), options));
  };
  registry.AddPlatform(std::move(replay));
  registry.AddPlatform(RemotePlatformInfo());

  RegisterSlurmPlatform(registry);
}

}  // namespace hone
