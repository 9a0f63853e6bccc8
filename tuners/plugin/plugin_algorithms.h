// PluginTuner and PluginAssessor: the Tuner and Assessor contracts carried out by a
// plugin (plugin_protocol.h), and the registry entries that make plugins usable by name.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "core/assessor.h"
#include "core/registry.h"
#include "tuners/plugin/plugin_channel.h"
#include "tuners/plugin/plugin_protocol.h"
#include "core/tuner.h"

namespace hone::plugin {

// Where a plugin lives: a shared library or a command (exactly one of the two).
struct PluginSpec {
  std::string display;       // in messages: "plugin tuner '<display>': ..."
  std::string library;       // absolute path of a shared library
  std::string command;       // run with /bin/sh -c
  std::string working_dir;   // the command's working directory ("" = inherit)
  std::chrono::milliseconds timeout{60000};  // per call, commands only
  std::string python_path;   // hone's Python SDK, put on the command's PYTHONPATH
};

StatusOr<std::unique_ptr<PluginChannel>> OpenPlugin(const PluginSpec& spec);

// The key of classArgs under which the config reader passes an ad-hoc plugin's location
// ({"library": path} or {"command": cmd, "dir": dir}); it is never sent to the plugin.
inline constexpr const char* kPluginArgKey = "_plugin";
// The spec stored under kPluginArgKey, or nullopt when absent or malformed.
std::optional<PluginSpec> SpecFromArgs(const nlohmann::json& class_args);

// Starts the plugin on first use (so every failure surfaces through Suggest, which the
// manager turns into a failed experiment). Update cannot fail: its error is kept and
// returned by the next Suggest.
class PluginTuner : public Tuner {
 public:
  PluginTuner(std::string name, PluginSpec spec, const TunerContext& ctx);
  std::string_view Name() const override { return name_; }
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override;
  void Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) override;
  bool IsExhausted() const override { return exhausted_; }
  Status Fault() const override { return fault_; }

 private:
  StatusOr<nlohmann::json> Call(const nlohmann::json& request);

  std::string name_;
  PluginSpec spec_;
  nlohmann::json init_;
  std::unique_ptr<PluginChannel> channel_;
  Status fault_;
  bool exhausted_ = false;
};

// A failing plugin assessor answers kContinue and reports why through Fault(); the
// engine then fails the experiment with the plugin named.
class PluginAssessor : public Assessor {
 public:
  PluginAssessor(std::string name, PluginSpec spec, const AssessorContext& ctx);
  std::string_view Name() const override { return name_; }
  Verdict Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) override;
  Status Fault() const override { return fault_; }

 private:
  std::string name_;
  PluginSpec spec_;
  nlohmann::json init_;
  std::unique_ptr<PluginChannel> channel_;
  Status fault_;
};

// A plugin registered with `hone algo register` (see plugin_store.h).
struct PluginEntry {
  std::string name;
  PluginKind kind = PluginKind::kTuner;
  std::string library, command, dir, summary;
};

// Adds the "plugin" tuner and assessor (ad-hoc `plugin:` in a config) and one entry per
// registered plugin. Registered plugins accept any classArgs. Commands get
// `sdk_python_dir` on their PYTHONPATH (so `import hone` and `import nni` work).
void RegisterPluginAlgorithms(Registry& registry, std::span<const PluginEntry> registered,
                              const std::string& sdk_python_dir);

}  // namespace hone::plugin
