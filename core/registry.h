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

#include "assessors/assessor.h"
#include "core/status.h"
#include "platforms/platform.h"
#include "tuners/tuner.h"

namespace hone {

struct ExperimentConfig;

// One accepted classArgs key. The config reader checks kinds, ranges, unknown keys and
// missing required keys (with file:line:col) before any factory runs.
struct ArgSpec {
  enum class Kind { kNumber, kInt, kBool, kString, kEnum, kAny };
  std::string key;
  Kind kind = Kind::kAny;
  std::vector<std::string> choices;  // kEnum
  std::optional<double> min, max;    // kNumber, kInt (inclusive)
  bool required = false;             // the algorithm has no default for it
};

// Builders for registry entries: MakeArg("eta", ArgSpec::Kind::kNumber, 1.0001),
// EnumArg("exec_mode", {"parallelism", "serial"}), OptimizeModeArg(), Required(MakeArg(...)).
ArgSpec MakeArg(std::string key, ArgSpec::Kind kind, std::optional<double> min = std::nullopt,
                std::optional<double> max = std::nullopt);
ArgSpec EnumArg(std::string key, std::vector<std::string> choices);
ArgSpec OptimizeModeArg();  // optimize_mode: maximize | minimize
ArgSpec Required(ArgSpec spec);

struct TunerInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::string summary;
  std::vector<ArgSpec> args;
  // Whether `optimize_mode` matters to this tuner (random and grid ignore it).
  bool uses_optimize_mode = true;
  std::function<StatusOr<std::unique_ptr<Tuner>>(const TunerContext&)> create;
};

struct AssessorInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::string summary;
  std::vector<ArgSpec> args;
  std::function<StatusOr<std::unique_ptr<Assessor>>(const AssessorContext&)> create;
};

struct PlatformInfo {
  std::string name;
  std::string summary;
  // Keys accepted inside trainingService besides `platform`.
  std::vector<ArgSpec> args;
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
