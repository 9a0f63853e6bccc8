#include "core/algorithm_section.h"

#include <algorithm>
#include <filesystem>

#include "core/config_keys.h"
#include "core/plugin_tuner_config.h"

namespace hone {
namespace fs = std::filesystem;
namespace {

template <typename Info>
using FindFn = const Info* (Registry::*)(const std::string&) const;

void ReadClassArgs(ConfigContext& ctx, const ConfigNode& args, const std::string& path,
                   const std::vector<ArgSpec>& specs, AlgorithmConfig& out) {
  CheckArgs(args, JoinKeyPath(path, "classArgs"), specs, ctx.diag(), out.class_args);
  // Given, if misspelled (optimize_mod has its own error): any near spelling for hone's
  // own algorithms, only the exact key for plugins (which get their keys as written).
  const bool plugin = std::any_of(specs.begin(), specs.end(), [](const ArgSpec& s) { return s.key == "*"; });
  if (args.IsMap())
    for (const auto& [key, value] : args.entries())
      out.mode_written |= plugin ? key == "optimize_mode" : !DidYouMeanKey(key, {"optimize_mode"}).empty();
  if (out.class_args.contains("optimize_mode")) {
    out.mode_explicit = true;
    out.mode = out.class_args["optimize_mode"] == "minimize" ? OptimizeMode::kMinimize : OptimizeMode::kMaximize;
  }
}

// Where a plugin lives: {"library": path} for a shared library, else {"command", "dir"}.
std::optional<nlohmann::json> PluginLocation(ConfigContext& ctx, const ConfigNode& n, const ConfigNode& plugin,
                                             const std::string& spec, const std::string& path) {
  std::string dir = ctx.base_dir();
  if (auto* d = n.Find("pluginDir")) {
    auto s = ctx.String(*d, JoinKeyPath(path, "pluginDir"));
    if (!s) return std::nullopt;
    dir = ctx.ResolvePath(*s);
  }
  bool library = spec.find_first_of(" \t") == std::string::npos &&
                 (spec.ends_with(".so") || spec.find(".so.") != std::string::npos);
  if (!library) return nlohmann::json{{"command", spec}, {"dir", dir}};
  std::string file = fs::path(spec).is_absolute() ? spec : (fs::path(dir) / spec).lexically_normal().string();
  std::error_code ec;
  if (!fs::exists(file, ec))
    ctx.diag().Error(plugin.mark(), JoinKeyPath(path, "plugin"), "library " + file + " does not exist");
  return nlohmann::json{{"library", file}};
}

// `plugin: <library.so or command>` (tuners/plugin/plugin_protocol.h): the "plugin"
// entry of the registry, told where the plugin is through classArgs._plugin.
template <typename Info>
const Info* ReadPlugin(ConfigContext& ctx, const ConfigNode& n, const ConfigNode& plugin, const std::string& path,
                       AlgorithmConfig& out, FindFn<Info> find) {
  if (auto* name = n.Find("name"); name && !(name->IsScalar() && name->scalar() == "plugin")) {
    ctx.diag().Error(n.KeyMark("name"), path, "give either 'name' or 'plugin', not both");
    return nullptr;
  }
  auto spec = ctx.String(plugin, JoinKeyPath(path, "plugin"));
  if (!spec) return nullptr;
  if (spec->find_first_not_of(" \t") == std::string::npos) {
    ctx.diag().Error(plugin.mark(), JoinKeyPath(path, "plugin"), "must name a shared library or a command");
    return nullptr;
  }
  const Info* info = (ctx.registry().*find)("plugin");
  if (!info) {
    ctx.diag().Error(plugin.mark(), JoinKeyPath(path, "plugin"), "plugins are not available in this build");
    return nullptr;
  }
  auto where = PluginLocation(ctx, n, plugin, *spec, path);
  if (!where) return nullptr;
  out.name = info->name;
  if (auto* args = n.Find("classArgs")) ReadClassArgs(ctx, *args, path, info->args, out);
  out.class_args["_plugin"] = *where;  // the key tuners/plugin reads (kPluginArgKey)
  return info;
}

// NNI's `className` (+ `codeDirectory`): the class runs through hone's NNI class runner,
// a command plugin (core/plugin_tuner_config.h).
template <typename Info>
const Info* ReadPythonClass(ConfigContext& ctx, const ConfigNode& n, const std::string& path, AlgorithmConfig& out,
                            FindFn<Info> find) {
  for (const std::string other : {"name", "plugin", "pluginDir"}) {
    if (n.Find(other)) {
      ctx.diag().Error(n.KeyMark(other), JoinKeyPath(path, other),
                       "give either a Python class (className, codeDirectory) or '" + other + "', not both");
      return nullptr;
    }
  }
  const Info* info = (ctx.registry().*find)("plugin");
  if (!info) {
    ctx.diag().Error(n.KeyMark("className"), JoinKeyPath(path, "className"), "plugins are not available in this build");
    return nullptr;
  }
  auto where = PythonClassLocation(ctx, n, path);
  if (!where) return nullptr;
  out.name = info->name;
  if (auto* args = n.Find("classArgs")) ReadClassArgs(ctx, *args, path, info->args, out);
  out.class_args["_plugin"] = *where;  // the key tuners/plugin reads (kPluginArgKey)
  return info;
}

template <typename Info>
const Info* ReadAlgorithm(ConfigContext& ctx, const ConfigNode& section, const std::string& path,
                          AlgorithmConfig& out, FindFn<Info> find, const std::vector<std::string>& names) {
  if (!section.IsMap()) {
    ctx.diag().Error(section.mark(), path,
                     "expected a map with 'name' and optional 'classArgs', but got " + section.Describe());
    return nullptr;
  }
  // NNI's spellings (class_args, ClassName) read as the canonical keys.
  const ConfigNode n = ctx.CheckKeys(section, path,
      {"name", "classArgs", "className", "codeDirectory", "codeDir", "classFileName", "plugin", "pluginDir"});
  if (NamesPythonClass(n)) return ReadPythonClass(ctx, n, path, out, find);
  if (const ConfigNode* plugin = n.Find("plugin")) return ReadPlugin(ctx, n, *plugin, path, out, find);
  const ConfigNode* name = n.Find("name");
  if (!name) {
    ctx.diag().Error(n.mark(), JoinKeyPath(path, "name"), "is required");
    return nullptr;
  }
  auto s = ctx.String(*name, JoinKeyPath(path, "name"));
  if (!s) return nullptr;
  const Info* info = (ctx.registry().*find)(*s);
  if (!info) {
    ctx.diag().Error(name->mark(), JoinKeyPath(path, "name"), UnknownNameMessage(path, *s, names));
    return nullptr;
  }
  out.name = info->name;
  const ConfigNode* args = n.Find("classArgs");
  CheckRequired(args, args ? args->mark() : n.mark(), JoinKeyPath(path, "classArgs"), info->args,
                path + " '" + info->name + "'", ctx.diag());
  if (args) ReadClassArgs(ctx, *args, path, info->args, out);
  return info;
}

}  // namespace

bool ReadTunerSection(ConfigContext& ctx, const ConfigNode& n, const std::string& path, AlgorithmConfig& out) {
  return ReadAlgorithm<TunerInfo>(ctx, n, path, out, &Registry::FindTuner, ctx.registry().TunerNames()) != nullptr;
}

bool ReadAssessorSection(ConfigContext& ctx, const ConfigNode& n, AlgorithmConfig& out) {
  return ReadAlgorithm<AssessorInfo>(ctx, n, "assessor", out, &Registry::FindAssessor,
                                     ctx.registry().AssessorNames()) != nullptr;
}

void ReconcileOptimizeMode(ConfigContext& ctx, AlgorithmConfig& t, AlgorithmConfig& a,
                           const SourceMark& assessor_mark, const SourceMark& note_at) {
  if (t.mode_explicit && a.mode_explicit && t.mode != a.mode) {
    ctx.diag().Error(assessor_mark, "assessor.classArgs.optimize_mode",
                     "must match tuner.classArgs.optimize_mode ('" + std::string(OptimizeModeName(t.mode)) +
                         "'), but got '" + std::string(OptimizeModeName(a.mode)) + "'");
    return;
  }
  if (!t.mode_explicit && a.mode_explicit) t.mode = a.mode;
  if (t.mode_explicit && !a.mode_explicit) a.mode = t.mode;
  // A bad optimize_mode has its own error: no note that it is missing.
  if (!t.mode_explicit && !a.mode_explicit && !t.mode_written && !a.mode_written) {
    ctx.diag().Note(note_at, "tuner.classArgs.optimize_mode",
                    "not given; assuming 'maximize' (set optimize_mode to silence this)");
  }
}

}  // namespace hone
