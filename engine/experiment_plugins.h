// ExperimentPlugins: the wiring of a validated config to its plugins. Looks up the
// tuner, assessor and platform in the registry and builds each from the config, so the
// CLI (and tests) start an experiment the same way.
//
//   auto plugins = CreateExperimentPlugins(config, registry, experiment_dir);
//   HONE_RETURN_IF_ERROR(plugins->platform->Start());
//   ExperimentManager manager(config, options, storage, *plugins->platform,
//                             *plugins->tuner, *plugins->assessor, clock, progress);
#pragma once

#include <memory>
#include <string>

#include "core/assessor.h"
#include "core/experiment_config.h"
#include "core/platform.h"
#include "core/registry.h"
#include "core/tuner.h"

namespace hone {

struct ExperimentPlugins {
  std::unique_ptr<Tuner> tuner;
  std::unique_ptr<Assessor> assessor;
  std::unique_ptr<Platform> platform;  // not started
};

// The config's platform, not started: one from the registry, or a HybridPlatform over
// the list's members. Errors name the platform ("platform 'remote': ...").
StatusOr<std::unique_ptr<Platform>> CreatePlatform(const ExperimentConfig& config, const Registry& registry);

// Errors name the plugin ("tuner 'tpe': ..."); a name this build lacks is Internal
// (the config was validated against another registry).
StatusOr<ExperimentPlugins> CreateExperimentPlugins(const ExperimentConfig& config, const Registry& registry,
                                                    const std::string& experiment_dir);

}  // namespace hone
