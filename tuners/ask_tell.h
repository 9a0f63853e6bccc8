// AskTellStudy: hone's tuners in-process, for C++ programs and benchmarks: ask for
// configurations, tell their results. No processes, no storage, one thread.
//
//   auto study = AskTellStudy::Create(registry, "evolution", space_json, {}, 7,
//                                     OptimizeMode::kMinimize);
//   for (auto& s : *(*study)->Ask(1)) (*study)->Tell(s.trial, f(s.params));
//
// Each Tell/TellFailed reaches the tuner as one Update(completed = {that trial},
// active = the trials asked but not yet told), with a TrialRecord as the manager would
// build it (seq = trial number, status succeeded/failed, final_value).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/registry.h"
#include "core/search_space.h"
#include "core/status.h"
#include "core/trial_record.h"
#include "core/tuner.h"

namespace hone {

struct Suggestion {
  int64_t trial = 0;  // 0, 1, 2, ... in the order asked
  nlohmann::json params;
};

struct BestTrial {
  int64_t trial = 0;
  nlohmann::json params;
  double value = 0;
};

class AskTellStudy {
 public:
  // Errors (kInvalidArgument): unknown tuner, invalid search space, classArgs that the
  // tuner's ArgSpecs reject (unknown key, wrong kind, out of range), an optimize_mode in
  // classArgs that contradicts `mode`, or the tuner's own refusal.
  static StatusOr<std::unique_ptr<AskTellStudy>> Create(const Registry& registry,
                                                        const std::string& tuner_name,
                                                        const nlohmann::json& search_space,
                                                        const nlohmann::json& class_args,
                                                        uint64_t seed, OptimizeMode mode);

  // Up to n new configurations (fewer when the tuner waits for results); kExhausted once
  // a finite space is used up and nothing came back.
  StatusOr<std::vector<Suggestion>> Ask(int n);
  // kNotFound for a trial never asked; kFailedPrecondition for one already told.
  Status Tell(int64_t trial, double value);
  Status TellFailed(int64_t trial);

  // The best succeeded trial with a finite value, under the study's mode.
  std::optional<BestTrial> best() const { return best_; }
  const SearchSpace& space() const { return *space_; }
  Tuner& tuner() { return *tuner_; }
  int64_t asked() const { return next_trial_; }

 private:
  AskTellStudy() = default;
  Status Finish(int64_t trial, TrialStatus status, std::optional<double> value);

  std::unique_ptr<SearchSpace> space_;  // stable address: the tuner keeps a pointer
  std::unique_ptr<Tuner> tuner_;
  OptimizeMode mode_ = OptimizeMode::kMaximize;
  int64_t next_trial_ = 0;
  std::map<int64_t, TrialRecord> active_;
  std::optional<BestTrial> best_;
};

}  // namespace hone
