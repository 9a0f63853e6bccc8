// Reading the `tuner` (or deprecated `advisor`) and `assessor` sections of an experiment
// config: a registry name with classArgs, or `plugin: <library.so | command>`.
#pragma once

#include <string>

#include "core/config_context.h"
#include "core/experiment_config.h"

namespace hone {

// Reads `n` (at key path `path`) into `out`; unknown names, bad classArgs and missing
// required ones become diagnostics. Returns whether a known algorithm was found.
bool ReadTunerSection(ConfigContext& ctx, const ConfigNode& n, const std::string& path, AlgorithmConfig& out);
bool ReadAssessorSection(ConfigContext& ctx, const ConfigNode& n, AlgorithmConfig& out);

// One optimize mode per experiment: the tuner's, else the assessor's, else maximize
// with a note at `note_at` (NNI's TPE defaulted to minimize while the rest maximized).
void ReconcileOptimizeMode(ConfigContext& ctx, AlgorithmConfig& tuner, AlgorithmConfig& assessor,
                           const SourceMark& assessor_mark, const SourceMark& note_at);

}  // namespace hone
