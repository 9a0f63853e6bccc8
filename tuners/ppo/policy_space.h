// PolicySpace: a search space read as a sequence of categorical decisions, the actions of
// the ppo tuner's policy. One decision per parameter, in the space's order; a nested
// choice's chosen option adds its own parameters' decisions right after it.
//
//   choice (any), and randint / bounded q kinds with at most `bins` values:
//       one action per value;
//   other numeric kinds: `bins` equal bins of the prior: equal width in the warped
//       space (log for log kinds) for uniform kinds and randint, equal probability for
//       normal kinds; a value is drawn from the prior inside the chosen bin.
//
//   {"a": choice [x, y], "lr": loguniform [1e-4, 1e-1]}, bins 4  ->  decisions
//   a (2 actions), lr (4 actions: [1e-4, 5.6e-4), [5.6e-4, 3.2e-3), ...)
#pragma once

#include <functional>
#include <optional>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/search_space.h"

namespace hone {

// One decision taken while drawing a configuration.
struct PolicyStep {
  int decision = 0;
  int action = 0;
};

class PolicySpace {
 public:
  // REQUIRES: `space` outlives this object; bins >= 1.
  PolicySpace(const SearchSpace& space, int bins);

  // The number of actions of each decision.
  const std::vector<int>& action_counts() const { return action_counts_; }

  // Chooses an action for decision d; PolicySpace draws the values inside it.
  using ChooseFn = std::function<int(int decision)>;
  // A configuration whose decisions come from `choose`, and the steps taken, in order.
  nlohmann::json Draw(const ChooseFn& choose, std::mt19937_64& rng, std::vector<PolicyStep>* steps) const;
  // The steps that would have drawn `config` (a configuration of the space); decisions
  // whose value is not one of their actions (a config from another space) are left out.
  std::vector<PolicyStep> StepsOf(const nlohmann::json& config) const;

 private:
  struct Decision {
    const ParamSpec* spec = nullptr;
    std::vector<nlohmann::json> values;            // one per action; empty for bins
    std::vector<std::vector<int>> option_levels;   // nested choice: each option's decisions
  };
  std::vector<int> Build(const SearchSpace& space);
  nlohmann::json DrawLevel(const std::vector<int>& level, const ChooseFn& choose, std::mt19937_64& rng,
                           std::vector<PolicyStep>* steps) const;
  void StepsOfLevel(const std::vector<int>& level, const nlohmann::json& config,
                    std::vector<PolicyStep>* steps) const;
  nlohmann::json BinValue(const ParamSpec& p, int bin, std::mt19937_64& rng) const;
  int BinOf(const ParamSpec& p, double value) const;
  std::optional<int> ActionOf(const Decision& d, const nlohmann::json& value) const;

  int bins_;
  std::vector<Decision> decisions_;
  std::vector<int> action_counts_;
  std::vector<int> top_;  // the decisions of the space's own parameters
};

}  // namespace hone
