#include "platforms/slurm/slurm_options.h"

#include <cmath>
#include <cstdlib>
#include <regex>

#include "platforms/slurm/slurm_platform.h"

namespace hone {
namespace {

// A Slurm time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or a whole number.
bool IsSlurmTime(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.get<long long>() > 0;
  if (!v.is_string()) return false;
  static const std::regex kTime(R"(^(\d+|\d+:\d+|\d+:\d+:\d+|\d+-\d+|\d+-\d+:\d+|\d+-\d+:\d+:\d+)$)");
  return std::regex_match(v.get<std::string>(), kTime);
}

// Slurm's --mem: a positive number of MB, or a number with K, M, G or T.
bool IsSlurmMemory(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.get<long long>() > 0;
  if (!v.is_string()) return false;
  static const std::regex kMem(R"(^[1-9]\d*[KMGTkmgt]?[Bb]?$)");
  return std::regex_match(v.get<std::string>(), kMem);
}

std::string Text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void CheckSlurmKeys(const PlatformSection& section, Diagnostics& diag) {
  const nlohmann::json& args = section.args;
  auto mark = [&](const char* key) {
    const ConfigNode* n = section.service.Find(key);
    return n ? n->mark() : section.service.mark();
  };
  if (args.contains("timeLimit") && !IsSlurmTime(args["timeLimit"]))
    diag.Error(mark("timeLimit"), "trainingService.timeLimit",
               "expected a Slurm time (minutes, 'HH:MM:SS' or 'D-HH:MM:SS'), but got " + args["timeLimit"].dump());
  if (args.contains("memory") && !IsSlurmMemory(args["memory"]))
    diag.Error(mark("memory"), "trainingService.memory",
               "expected a memory size such as 4096 (MB), '500M' or '8G', but got " + args["memory"].dump());
  if (const ConfigNode* extra = section.service.Find("sbatchArgs")) {
    bool ok = extra->IsSequence();
    for (const ConfigNode& item : extra->items()) {
      if (!item.IsScalar() || item.scalar().empty()) {
        diag.Error(item.mark(), "trainingService.sbatchArgs", "expected a non-empty string, but got " + item.Describe());
        ok = true;  // reported at the item
      }
    }
    if (!ok)
      diag.Error(extra->mark(), "trainingService.sbatchArgs",
                 "expected a list of sbatch arguments such as ['--qos=short'], but got " + extra->Describe());
  }
  if (args.contains("gpusPerTask") && section.trial_gpu_number &&
      args["gpusPerTask"].get<int>() != *section.trial_gpu_number)
    diag.Error(mark("gpusPerTask"), "trainingService.gpusPerTask",
               "is " + Text(args["gpusPerTask"]) + " but trialGpuNumber is " +
                   std::to_string(*section.trial_gpu_number) + "; give one of them");
}

std::chrono::milliseconds Seconds(const nlohmann::json& v) {
  return std::chrono::milliseconds(static_cast<long long>(std::llround(v.get<double>() * 1000)));
}

}  // namespace

SlurmOptions SlurmOptionsFromConfig(const ExperimentConfig& config, std::string path_env) {
  SlurmOptions o;
  o.path_env = std::move(path_env);
  o.probe_dir = config.trial_code_directory;
  o.gpus_per_task = config.trial_gpu_number.value_or(0);
  const nlohmann::json& a = config.platform_args;
  if (!a.is_object()) return o;
  if (a.contains("partition")) o.partition = Text(a["partition"]);
  if (a.contains("account")) o.account = Text(a["account"]);
  if (a.contains("timeLimit")) o.time_limit = Text(a["timeLimit"]);
  if (a.contains("memory")) o.memory = Text(a["memory"]);
  if (a.contains("cpusPerTask")) o.cpus_per_task = a["cpusPerTask"].get<int>();
  if (a.contains("gpusPerTask")) o.gpus_per_task = a["gpusPerTask"].get<int>();
  if (a.contains("sbatchArgs") && a["sbatchArgs"].is_array())
    for (const auto& item : a["sbatchArgs"]) o.sbatch_args.push_back(Text(item));
  if (a.contains("pollInterval")) o.poll_interval = Seconds(a["pollInterval"]);
  if (a.contains("maxConcurrentJobs")) o.max_concurrent_jobs = a["maxConcurrentJobs"].get<int>();
  if (a.contains("probeTimeout")) o.probe_timeout = Seconds(a["probeTimeout"]);
  return o;
}

void RegisterSlurmPlatform(Registry& registry) {
  PlatformInfo info;
  info.name = "slurm";
  info.summary = "one Slurm batch job per trial (sbatch, squeue, scancel); the experiment directory must be shared";
  using K = ArgSpec::Kind;
  info.args = {MakeArg("partition", K::kString),
               MakeArg("account", K::kString),
               MakeArg("timeLimit", K::kAny),
               MakeArg("cpusPerTask", K::kInt, 1),
               MakeArg("memory", K::kAny),
               MakeArg("gpusPerTask", K::kInt, 0),
               MakeArg("sbatchArgs", K::kAny),
               MakeArg("pollInterval", K::kNumber, 0.05, 3600),
               MakeArg("maxConcurrentJobs", K::kInt, 1),
               MakeArg("probeTimeout", K::kNumber, 1, 86400)};
  info.check = CheckSlurmKeys;
  info.create = [](const ExperimentConfig& config) -> StatusOr<std::unique_ptr<Platform>> {
    const char* path = std::getenv("PATH");
    return std::unique_ptr<Platform>(
        std::make_unique<SlurmPlatform>(SlurmOptionsFromConfig(config, path ? path : "")));
  };
  registry.AddPlatform(std::move(info));
}

}  // namespace hone
