// Architecture files (ARCH.yaml): one architecture of a model space, as `hone nas`
// strategies export it and `hone nas train` reads it back.
//
//   space: nb201-small          # a built-in name, a path (relative to this file), or the space itself as a map
//   architecture:               # the decisions (architecture.h), as a configuration of the space
//     edge_1_0: conv_3x3
//     edge_2_0: skip_connect
//     ...
//
// Errors at file:line:col: unknown keys, a space that does not read, an unknown decision
// or a value that is not one of its candidates (at that value), a missing decision.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "nas/space/architecture.h"
#include "nas/space/model_space.h"

namespace hone::nas {

struct ArchitectureFile {
  std::string space_ref;  // as written (a name or path); empty when the space is inline
  ModelSpace space;
  nlohmann::json config;  // the decisions
  Architecture arch;
};

StatusOr<ArchitectureFile> ParseArchitectureFile(const std::string& text, const std::string& file);
StatusOr<ArchitectureFile> ReadArchitectureFile(const std::string& path);

// The YAML of an architecture file naming its space by `space_ref`, with a comment block
// of DescribeArchitecture's lines.
std::string ArchitectureFileText(const std::string& space_ref, const ModelSpace& space, const nlohmann::json& config);

}  // namespace hone::nas
