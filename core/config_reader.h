// ConfigReader: turns an experiment YAML into an ExperimentConfig, reporting every
// problem at once as `file:line:col: error: key.path: what must hold, but got what`.
#pragma once

#include <string>

#include "core/config_node.h"
#include "core/diagnostics.h"
#include "core/experiment_config.h"
#include "core/registry.h"

namespace hone {

// Reads and validates `path`. On failure returns kInvalidArgument whose message lists
// every error, one per line. Notes (ignored NNI keys, assumed defaults) land in
// config.notes.
StatusOr<ExperimentConfig> ReadExperimentConfig(const std::string& path, const Registry& registry);

// Same, from text already in memory; `file` names it in messages and relative paths
// resolve against `base_dir`.
StatusOr<ExperimentConfig> ParseExperimentConfig(const std::string& text, const std::string& file,
                                                 const std::string& base_dir,
                                                 const Registry& registry);

// Same, from a parsed document (ExperimentConfig::FromJson reads the stored config so).
StatusOr<ExperimentConfig> ReadExperimentConfigNode(const ConfigNode& root, const std::string& base_dir,
                                                    const Registry& registry);

}  // namespace hone
