// What the config reader does differently for a plugin tuner (`plugin:`, NNI's
// `className`/`codeDirectory`, or a plugin registered with `hone algo register`): it may
// use its own search-space format, and an NNI tuner class is named as NNI names it.
//
//   tuner: {className: demo_tuner.DemoTuner, codeDirectory: ./tuners, classArgs: {...}}
//     -> the plugin command "python3 -m nni.plugin_runner demo_tuner:DemoTuner", run in
//        ./tuners (NNI v1's `codeDir` + `classFileName: demo_tuner.py` + `className:
//        DemoTuner` work too).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/config_context.h"
#include "core/config_node.h"
#include "core/registry.h"

namespace hone {

// Whether the config's tuner (or advisor) is a plugin that takes the search space as
// written (TunerInfo::space_as_written). Looks only at the section's keys and name, so
// the search space can be read before the tuner section.
bool TunerTakesSpaceAsWritten(const ConfigNode& root, const Registry& registry);

// For such a tuner: `space` without the parameters hone cannot read as its own (an
// unknown or missing `_type`, a spec that is not a map), with one note at `path` naming
// them. hone validates and samples the rest; the plugin gets everything as written.
ConfigNode KnownParameters(const ConfigNode& space, const std::string& path, Diagnostics& diag);

// Whether `n` (a tuner or assessor section) names a Python class (className, codeDirectory,
// codeDir, classFileName).
bool NamesPythonClass(const ConfigNode& n);
// The plugin location {"command", "dir"} that runs that class through hone's NNI class
// runner; nullopt after reporting what is wrong.
std::optional<nlohmann::json> PythonClassLocation(ConfigContext& ctx, const ConfigNode& n, const std::string& path);

}  // namespace hone
