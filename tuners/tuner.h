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
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/search_space.h"
#include "core/status.h"
#include "core/trial_record.h"

namespace hone {

struct TunerContext {
  const SearchSpace* space = nullptr;  // outlives the tuner
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
};

}  // namespace hone
