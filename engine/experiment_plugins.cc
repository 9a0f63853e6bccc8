#include "engine/experiment_plugins.h"

namespace hone {

StatusOr<ExperimentPlugins> CreateExperimentPlugins(const ExperimentConfig& config, const Registry& registry,
                                                    const std::string& experiment_dir) {
  const TunerInfo* tuner_info = registry.FindTuner(config.tuner.name);
  const AssessorInfo* assessor_info = registry.FindAssessor(config.assessor.name);
  const PlatformInfo* platform_info = registry.FindPlatform(config.platform);
  if (!tuner_info || !assessor_info || !platform_info)
    return Internal("the experiment names a tuner, assessor or platform this build lacks");
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
  auto platform = platform_info->create(config);
  if (!platform.ok()) return platform.status().WithContext("platform '" + platform_info->name + "'");
  plugins.platform = std::move(*platform);
  return plugins;
}

}  // namespace hone
