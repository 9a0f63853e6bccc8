// Reading the `trainingService` section: which platform, and its own keys, which the
// platform's registry entry validates (ArgSpecs, then its `check`). Core knows no
// platform's keys.
#pragma once

#include "core/config_context.h"
#include "core/experiment_config.h"

namespace hone {

// Keys that may sit inside trainingService as well as at the root (NNI allows both).
const std::vector<std::string>& TrainingServiceSharedKeys();

// `service` with `platform`, the shared keys and the named platform's own keys spelled
// canonically (NNI's `gpu_indices` is `gpuIndices`); other keys stay as written for
// ReadTrainingServiceSection to report. Not a map: unchanged.
ConfigNode CanonicalServiceKeys(ConfigContext& ctx, const ConfigNode& service);

// Reads `service` (as CanonicalServiceKeys returns it) into cfg.platform and cfg.platform_args. `root` is the whole config
// (for the marks of root-level keys a platform's check may refer to); cfg's trial keys
// must have been read already.
void ReadTrainingServiceSection(ConfigContext& ctx, const ConfigNode& service, const ConfigNode& root,
                                ExperimentConfig& cfg);

}  // namespace hone
