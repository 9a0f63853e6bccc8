#include "core/experiment_config.h"

#include <cmath>
#include <cstdlib>

#include "core/config_reader.h"

namespace hone {

std::optional<double> ParseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(v)) return std::nullopt;
  std::string unit(end);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  if (unit.empty() || unit == "s") return v;
  if (unit == "m") return v * 60;
  if (unit == "h") return v * 3600;
  if (unit == "d") return v * 86400;
  return std::nullopt;
}

nlohmann::json ExperimentConfig::ToJson() const {
  nlohmann::json j;
  if (!experiment_name.empty()) j["experimentName"] = experiment_name;
  j["searchSpace"] = search_space_json;
  j["trialCommand"] = trial_command;
  j["trialCodeDirectory"] = trial_code_directory;
  j["trialConcurrency"] = trial_concurrency;
  if (trial_gpu_number) j["trialGpuNumber"] = *trial_gpu_number;
  if (max_trial_number) j["maxTrialNumber"] = *max_trial_number;
  if (max_experiment_duration_s) j["maxExperimentDuration"] = std::to_string(*max_experiment_duration_s) + "s";
  if (max_trial_duration_s) j["maxTrialDuration"] = std::to_string(*max_trial_duration_s) + "s";
  j["failFast"] = fail_fast;
  j["maxTrialRetries"] = max_trial_retries;
  // A plugin's location travels as `plugin`/`pluginDir`, as the user wrote it.
  auto algorithm = [](const AlgorithmConfig& a) {
    nlohmann::json args = a.class_args;
    if (!args.is_object() || !args.contains("_plugin")) return nlohmann::json{{"name", a.name}, {"classArgs", args}};
    nlohmann::json where = args["_plugin"];
    args.erase("_plugin");
    nlohmann::json out = {{"name", a.name}, {"classArgs", args}};
    if (where.contains("library")) out["plugin"] = where["library"];
    else out["plugin"] = where.value("command", std::string()), out["pluginDir"] = where.value("dir", std::string());
    return out;
  };
  j["tuner"] = algorithm(tuner);
  j["assessor"] = algorithm(assessor);
  nlohmann::json ts = platform_args;
  ts["platform"] = platform;
  if (!hybrid.empty()) {
    ts = nlohmann::json::array();
    for (const auto& choice : hybrid) {
      nlohmann::json one = choice.args;
      one["platform"] = choice.name;
      ts.push_back(std::move(one));
    }
  }
  j["trainingService"] = ts;
  j["seed"] = seed;
  return j;
}

StatusOr<ExperimentConfig> ExperimentConfig::FromJson(const nlohmann::json& json, const Registry& registry) {
  std::string base = json.value("trialCodeDirectory", std::string("/"));
  auto out = ReadExperimentConfigNode(ConfigNode::FromJson(json, "<stored config>"), base, registry);
  if (out.ok()) out->notes.clear();
  return out;
}

}  // namespace hone
