// Reading a model space from YAML (or JSON), with every error at file:line:col and all
// errors at once, as experiment configs are read.
//
//   # a NAS-Bench-201-style cell space
//   name: my-cells
//   type: cell
//   input: {channels: 1, height: 28, width: 28}
//   classes: 10
//   stem: {channels: 16}
//   cell:
//     style: nb201            # nb201 | darts
//     nodes: 4
//     operations: [none, skip_connect, conv_1x1, conv_3x3, avg_pool_3x3]
//   stages: [{cells: 5, channels: 16}, {cells: 5, channels: 32}, {cells: 5, channels: 64}]
//
//   # a chain of inverted-residual blocks
//   name: my-chain
//   type: chain
//   stem: {channels: 16}
//   stages:
//     - {depth: [1, 2], width: [16, 24], kernel: [3, 5], expansion: [3, 6], stride: 1}
//     - {depth: [2, 3], width: 32, kernel: [3, 5, 7], expansion: [3, 6], stride: 2}
//   head: {channels: 128}
//
// A scalar where a list of candidates is allowed is a list of one. `name` defaults to the
// file's stem.
#pragma once

#include <string>

#include "core/config_node.h"
#include "core/diagnostics.h"
#include "core/status.h"
#include "nas/space/model_space.h"

namespace hone::nas {

// Errors go to `diag` (key paths under `path`); nullopt when any was found.
std::optional<ModelSpace> ReadModelSpace(const ConfigNode& node, const std::string& path, Diagnostics& diag);

// A space from YAML text; errors are kInvalidArgument with one line per error.
StatusOr<ModelSpace> ParseModelSpace(const std::string& text, const std::string& file);

// A built-in space's name (builtin_spaces.h) or a path to a YAML or JSON file.
StatusOr<ModelSpace> LoadModelSpace(const std::string& name_or_path);

}  // namespace hone::nas
