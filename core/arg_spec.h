// ArgSpec: the arguments an algorithm or platform accepts (tuner/assessor classArgs,
// trainingService keys), and the one validator that checks a config against them.
// Factories receive arguments this validator accepted, so they read them without
// re-checking: a kInt is an integer within [min, max] that fits an int (a `seed`: 64
// bits), read exactly however large it is written; a kEnum is one of its choices.
//
// Example:
//   std::vector<ArgSpec> specs = {OptimizeModeArg(), MakeArg("eta", ArgSpec::Kind::kNumber, 1.0001)};
//   nlohmann::json args;
//   CheckArgs(node, "tuner.classArgs", specs, diag, args);  // errors at file:line:col
//   CheckRequired(&node, node.mark(), "tuner.classArgs", specs, "tuner 'tpe'", diag);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config_node.h"
#include "core/diagnostics.h"
#include "core/status.h"

namespace hone {

// One accepted key. A spec with key "*" accepts any further key (plugins judge theirs).
struct ArgSpec {
  enum class Kind { kNumber, kInt, kBool, kString, kEnum, kAny };
  std::string key;
  Kind kind = Kind::kAny;
  std::vector<std::string> choices;  // kEnum
  std::optional<double> min, max;    // kNumber, kInt (inclusive)
  bool required = false;             // the algorithm has no default for it
  bool wide = false;                 // kInt read as 64 bits (seeds); others must fit an int
};

// Builders: MakeArg("eta", ArgSpec::Kind::kNumber, 1.0001),
// EnumArg("exec_mode", {"parallelism", "serial"}), OptimizeModeArg(), Required(MakeArg(...)).
ArgSpec MakeArg(std::string key, ArgSpec::Kind kind, std::optional<double> min = std::nullopt,
                std::optional<double> max = std::nullopt);
ArgSpec EnumArg(std::string key, std::vector<std::string> choices);
ArgSpec OptimizeModeArg();  // optimize_mode: maximize | minimize
ArgSpec SeedArg();          // seed: any 64-bit integer
ArgSpec Required(ArgSpec spec);

// Checks the map `args` (null = none given) against `specs`: unknown keys (with a
// did-you-mean), kinds, ranges and choices, every error at its file:line:col under
// `path`. Accepted values are copied into `out` (strings and enums as strings).
void CheckArgs(const ConfigNode& args, const std::string& path, const std::vector<ArgSpec>& specs,
               Diagnostics& diag, nlohmann::json& out);

// Reports each required spec missing from `given` (a map, or nullptr when the section
// is absent) at `where`, naming `owner` ("tuner 'tpe'").
void CheckRequired(const ConfigNode* given, const SourceMark& where, const std::string& path,
                   const std::vector<ArgSpec>& specs, const std::string& owner, Diagnostics& diag);

// The same checks on arguments that arrive as JSON (ask/tell studies, stored configs):
// InvalidArgument listing every error, else Ok.
Status CheckArgsJson(const nlohmann::json& args, const std::string& path,
                     const std::vector<ArgSpec>& specs);

}  // namespace hone
