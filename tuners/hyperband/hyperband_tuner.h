// HyperbandTuner ("hyperband", NNI's Hyperband): brackets of successive halving over
// random configurations (bracket_plan.h). Each trial gets its budget as the parameter
// TRIAL_BUDGET and trains that many epochs (or resource units); the best of a rung run
// again with eta times the budget.
//
//   tuner: {name: hyperband, classArgs: {optimize_mode: maximize, R: 27, eta: 3}}
//   -> trials with TRIAL_BUDGET 1 (27 configurations), 3 (the best 9), 9, 27, then the
//      next bracket: 12 configurations at 3, ...
// classArgs: optimize_mode, R (max budget, default 60, as NNI; alias max_budget),
// min_budget (default 1), eta (default 3), exec_mode ("parallelism": open the next bracket
// when the open ones wait for results, NNI's default; "serial": one bracket at a time).
// Budgets are integers. Resume: a fresh tuner given the finished trials continues the
// same brackets (random draws are seeded by (seed, slot)).
#pragma once

#include <memory>
#include <random>

#include "core/search_space.h"
#include "tuners/hyperband/bracket_plan.h"
#include "tuners/seen_configs.h"
#include "core/tuner.h"

namespace hone {

// Brackets options from classArgs shared by hyperband and bohb.
StatusOr<BracketOptions> ParseBracketOptions(const TunerContext& ctx, const std::string& tuner);

class HyperbandTuner : public Tuner {
 public:
  static StatusOr<std::unique_ptr<Tuner>> Create(const TunerContext& ctx);

  // REQUIRES: `space` outlives the tuner.
  HyperbandTuner(const SearchSpace& space, const BracketOptions& options, uint64_t seed);

  std::string_view Name() const override { return "hyperband"; }
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override;
  void Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) override;
  bool IsExhausted() const override { return exhausted_; }

 private:
  const SearchSpace& space_;
  uint64_t seed_;
  SeenConfigs seen_;
  BracketPlan plan_;
  bool exhausted_ = false;
};

}  // namespace hone
