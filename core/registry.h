// Registry: the built-in and registered tuners, assessors and platforms, by name.
// Names are short lowercase strings compared case-insensitively (NNI's "TPE" == "tpe").
// cli/main.cc fills one Registry explicitly (RegisterBuiltinTuners(registry), ...) and
// passes it down; nothing registers itself.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/arg_spec.h"
#include "core/assessor.h"
#include "core/platform.h"
#include "core/status.h"
#include "core/tuner.h"

namespace hone {

struct ExperimentConfig;

struct TunerInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::string summary;
  std::vector<ArgSpec> args;
  // Whether `optimize_mode` matters to this tuner (random and grid ignore it).
  bool uses_optimize_mode = true;
  // A plugin: it gets the search space as written (parameters of types hone does not
  // know included) and its suggestions are not checked against hone's reading of it.
  bool space_as_written = false;
  std::function<StatusOr<std::unique_ptr<Tuner>>(const TunerContext&)> create;
};

struct AssessorInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::string summary;
  std::vector<ArgSpec> args;
  std::function<StatusOr<std::unique_ptr<Assessor>>(const AssessorContext&)> create;
};

// What a platform's own check sees of an experiment config.
struct PlatformSection {
  const ConfigNode& service;   // the trainingService map as written
  const ConfigNode& root;      // the whole config (marks of root-level keys)
  const nlohmann::json& args;  // the platform's keys that passed its ArgSpecs
  std::optional<int> trial_gpu_number;
};

struct PlatformInfo {
  std::string name;
  std::string summary;
  // Keys accepted inside trainingService besides `platform`.
  std::vector<ArgSpec> args;
  // Optional: what the ArgSpecs cannot express (formats, relations between keys),
  // reported at file:line:col like every config error.
  std::function<void(const PlatformSection&, Diagnostics&)> check;
  std::function<StatusOr<std::unique_ptr<Platform>>(const ExperimentConfig&)> create;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  void AddTuner(TunerInfo info) { tuners_.push_back(std::move(info)); }
  void AddAssessor(AssessorInfo info) { assessors_.push_back(std::move(info)); }
  void AddPlatform(PlatformInfo info) { platforms_.push_back(std::move(info)); }

  const TunerInfo* FindTuner(const std::string& name) const;
  const AssessorInfo* FindAssessor(const std::string& name) const;
  const PlatformInfo* FindPlatform(const std::string& name) const;

  const std::vector<TunerInfo>& tuners() const { return tuners_; }
  const std::vector<AssessorInfo>& assessors() const { return assessors_; }
  const std::vector<PlatformInfo>& platforms() const { return platforms_; }

  std::vector<std::string> TunerNames() const;
  std::vector<std::string> AssessorNames() const;
  std::vector<std::string> PlatformNames() const;

 private:
  std::vector<TunerInfo> tuners_;
  std::vector<AssessorInfo> assessors_;
  std::vector<PlatformInfo> platforms_;
};

// Lowercase ASCII copy.
std::string ToLower(std::string s);

}  // namespace hone
