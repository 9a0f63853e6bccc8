// BohbTuner ("bohb", NNI's BOHB; Falkner et al. 2018): Hyperband's brackets
// (bracket_plan.h) whose new configurations come from a model instead of at random. The
// model is hone's TPE (tuners/tpe) fitted on the results at the largest budget that has
// at least min_points_in_model of them, as BOHB fits its KDEs; a random_fraction of the
// draws stay random, and so are all draws before any budget has enough results.
//
//   tuner: {name: bohb, classArgs: {optimize_mode: maximize, min_budget: 1, max_budget: 27, eta: 3}}
// classArgs (NNI's): optimize_mode, min_budget (1), max_budget (3), eta (3),
// min_points_in_model (default: number of parameters + 1), top_n_percent (15: the share
// of results that make the "good" density, TPE's gamma), num_samples (64: candidates
// scored per draw), random_fraction (0.33), bandwidth_factor and min_bandwidth (accepted
// for NNI configs; TPE sets its own bandwidths), exec_mode (as hyperband).
#pragma once

#include <memory>
#include <random>

#include "core/search_space.h"
#include "tuners/hyperband/bracket_plan.h"
#include "tuners/seen_configs.h"
#include "core/tuner.h"

namespace hone {

struct BohbModelOptions {
  int min_points_in_model = 0;  // 0: parameters + 1
  double top_n_percent = 15;
  int num_samples = 64;
  double random_fraction = 1.0 / 3;
};

class BohbTuner : public Tuner {
 public:
  static StatusOr<std::unique_ptr<Tuner>> Create(const TunerContext& ctx);

  // REQUIRES: `space` outlives the tuner.
  BohbTuner(const SearchSpace& space, const BracketOptions& brackets, const BohbModelOptions& model, uint64_t seed);

  std::string_view Name() const override { return "bohb"; }
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override;
  void Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) override;
  bool IsExhausted() const override { return exhausted_; }

  // How many draws came from the model so far (the rest were random).
  int model_draws() const { return model_draws_; }

 private:
  std::optional<nlohmann::json> Draw(uint64_t slot);
  std::optional<nlohmann::json> ModelDraw(uint64_t slot);

  const SearchSpace& space_;
  BohbModelOptions model_;
  uint64_t seed_;
  SeenConfigs seen_;
  BracketPlan plan_;
  bool exhausted_ = false;
  int model_draws_ = 0;
};

}  // namespace hone
