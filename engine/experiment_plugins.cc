#include "engine/experiment_plugins.h"

#include "engine/hybrid_platform.h"

namespace hone {

StatusOr<std::unique_ptr<Platform>> CreatePlatform(const ExperimentConfig& config, const Registry& registry) {
  auto create_one = [&](const ExperimentConfig& one) -> StatusOr<std::unique_ptr<Platform>> {
    const PlatformInfo* info = registry.FindPlatform(one.platform);
    if (!info) return Internal("the experiment names a platform this build lacks: " + one.platform);
    auto platform = info->create(one);
    if (!platform.ok()) return platform.status().WithContext("platform '" + info->name + "'");
    return platform;
  };
  if (config.hybrid.empty()) return create_one(config);
  std::vector<HybridPlatform::Member> members;
  for (const auto& choice : config.hybrid) {
    ExperimentConfig one = config;
    one.hybrid.clear();
    one.platform = choice.name;
    one.platform_args = choice.args;
    auto platform = create_one(one);
    if (!platform.ok()) return platform.status();
    members.push_back({choice.name, std::move(*platform)});
  }
  return std::unique_ptr<Platform>(std::make_unique<HybridPlatform>(std::move(members)));
}

StatusOr<ExperimentPlugins> CreateExperimentPlugins(const ExperimentConfig& config, const Registry& registry,
                                                    const std::string& experiment_dir) {
  const TunerInfo* tuner_info = registry.FindTuner(config.tuner.name);
  const AssessorInfo* assessor_info = registry.FindAssessor(config.assessor.name);
  if (!tuner_info || !assessor_info)
    return Internal("the experiment names a tuner or assessor this build lacks");
  ExperimentPlugins plugins;
  TunerContext tctx;
  tctx.space = &config.search_space;
  tctx.space_json = &config.search_space_json;
  tctx.class_args = config.tuner.class_args;
  tctx.seed = config.seed;
  tctx.mode = config.tuner.mode;
  tctx.experiment_dir = experiment_dir;
  auto tuner = tuner_info->create(tctx);
  if (!tuner.ok()) return tuner.status().WithContext("tuner '" + tuner_info->name + "'");
  plugins.tuner = std::move(*tuner);
  AssessorContext actx;
  actx.class_args = config.assessor.class_args;
  actx.mode = config.assessor.mode;
  auto assessor = assessor_info->create(actx);
  if (!assessor.ok()) return assessor.status().WithContext("assessor '" + assessor_info->name + "'");
  plugins.assessor = std::move(*assessor);
  auto platform = CreatePlatform(config, registry);
  if (!platform.ok()) return platform.status();
  plugins.platform = std::move(*platform);
  return plugins;
}

}  // namespace hone
