// Tuner: proposes configurations (ask/tell). All calls come from the manager's thread.
//
// Contract, as a call sequence:
//   auto t = factory(ctx);                      // ctx: search space, classArgs, seed, mode
//   t->Update({}, {});                          // optional: nothing finished yet
//   auto batch = t->Suggest(3);                 // up to 3 configs inside the space
//   ... trials run ...
//   t->Update({trial 0 finished}, {trials 1, 2 still running});
//   t->Suggest(1);
// - Suggest may return fewer than `count` (or none) when it must wait for results;
//   it returns kExhausted once a finite space has nothing left to offer.
// - Update delivers each finished trial exactly once (succeeded, failed, early stopped
//   or timed out; failed ones may lack a final value) and the full set of active ones.
// - Resume: a fresh tuner gets every finished trial in one Update, then the lost
//   trials' configurations (which rerun) as active. Seed randomness from ctx.seed and
//   the number of configurations already handed out, so resuming repeats nothing.
//
// Early stopping and multi-fidelity. Two kinds of algorithm cut training short:
// - assessors (assessors/assessor.h: medianstop, curvefitting, percentile, threshold,
//   patience, asha) work with any tuner and stop a running trial from its intermediate
//   values; `asha` puts its rungs on the number of intermediate values reported.
// - scheduling tuners (hyperband, bohb, pbt) decide how much each trial trains. Beside
//   the search space's parameters their configurations carry, as NNI's do:
//     TRIAL_BUDGET         (hyperband, bohb) how many epochs (or other resource units)
//                          the trial trains; a promoted configuration runs again as a new
//                          trial with a larger budget;
//     load_checkpoint_dir  (pbt) where the trial loads its model from ("" = from scratch)
//     save_checkpoint_dir  (pbt) where the trial saves its model when it ends.
//   The manager checks the rest of the configuration against the search space
//   (WithoutSchedulerParams); trials read these keys like any other parameter.
// Scheduling tuners keep the same ask/tell contract, but a configuration may come back
// with another budget, so "never suggested twice" holds for (configuration, budget).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/search_space.h"
#include "core/status.h"
#include "core/trial_record.h"

namespace hone {

// Parameters scheduling tuners add beside the search space's (NNI's names).
inline constexpr const char* kTrialBudgetParam = "TRIAL_BUDGET";
inline constexpr const char* kLoadCheckpointParam = "load_checkpoint_dir";
inline constexpr const char* kSaveCheckpointParam = "save_checkpoint_dir";

// `params` without the scheduler keys above that are not the search space's own.
inline nlohmann::json WithoutSchedulerParams(nlohmann::json params, const SearchSpace& space) {
  if (!params.is_object()) return params;
  for (const char* key : {kTrialBudgetParam, kLoadCheckpointParam, kSaveCheckpointParam}) {
    bool own = false;
    for (const auto& p : space.params()) own |= p.name == key;
    if (!own) params.erase(key);
  }
  return params;
}

struct TunerContext {
  const SearchSpace* space = nullptr;  // outlives the tuner
  // The search space as the config gave it (ExperimentConfig::search_space_json; for a
  // plugin tuner it may hold parameters `space` leaves out); null = space->ToJson().
  const nlohmann::json* space_json = nullptr;
  // The experiment's directory ("" when there is none, as in tests); pbt keeps its
  // checkpoints under <experiment_dir>/checkpoints unless classArgs say otherwise.
  std::string experiment_dir;
  nlohmann::json class_args = nlohmann::json::object();  // already validated
  uint64_t seed = 0;
  OptimizeMode mode = OptimizeMode::kMaximize;
};

class Tuner {
 public:
  virtual ~Tuner() = default;
  virtual std::string_view Name() const = 0;
  virtual StatusOr<std::vector<nlohmann::json>> Suggest(int count) = 0;
  virtual void Update(std::span<const TrialRecord> completed,
                      std::span<const TrialRecord> active) = 0;
  virtual bool IsExhausted() const { return false; }
  // Why the tuner can no longer work (a plugin that crashed or answered nonsense), or
  // Ok. The engine checks it after every call and fails the experiment on an error.
  virtual Status Fault() const { return Status::Ok(); }
};

}  // namespace hone
