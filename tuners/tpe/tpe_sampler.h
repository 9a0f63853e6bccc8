// TpeSampler: one model-based draw from a TpeHistory. For each group (sub-space) it
// splits the group's observations into the best n_below ("below", density l) and the
// rest ("above", density g), draws n_ei_candidates from l and keeps the candidate with
// the largest l(x)/g(x); nested choices recurse into the chosen option's group.
#pragma once

#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuners/tpe/tpe_history.h"

namespace hone {

enum class GammaRule {
  kSqrt,    // hyperopt: n_below = min(ceil(gamma * sqrt(n)), 25), gamma 0.25
  kLinear,  // Optuna: n_below = min(ceil(gamma * n), 25), gamma 0.1
};

struct TpeModelOptions {
  int n_ei_candidates = 24;
  double gamma = 0.1;
  GammaRule gamma_rule = GammaRule::kLinear;
  double prior_weight = 1.0;
  int linear_forgetting = 25;  // 0: every observation weighs 1
  bool multivariate = false;
  // false: kernels scored by peak height (KernelHeight::kPeak); true: as densities.
  bool normalized_kernels = false;
};

// Observations below the split for a group of n (at least 1 when n > 0).
size_t NumBelow(size_t n, const TpeModelOptions& options);
// hyperopt's linear forgetting: the newest `lf` of n observations weigh 1, older ones
// ramp linearly from 1/n (the oldest) up to 1. `rank` is 0 for the oldest.
double ForgettingWeight(size_t rank, size_t n, int lf);

class TpeSampler {
 public:
  TpeSampler(const TpeHistory& history, const TpeModelOptions& options)
      : history_(history), options_(options) {}

  nlohmann::json Sample(std::mt19937_64& rng) const;

 private:
  nlohmann::json SampleGroup(int group, std::mt19937_64& rng) const;
  // The best candidate of one numeric dimension (univariate TPE), in warped space.
  double SampleNumeric(const TpeHistory::Dim& dim, const std::vector<char>& below,
                       const std::vector<double>& weights, std::mt19937_64& rng) const;
  // The best joint candidate over several numeric dimensions (multivariate TPE).
  std::vector<double> SampleJoint(const TpeHistory::Group& group, const std::vector<size_t>& dims,
                                  const std::vector<char>& below, const std::vector<double>& weights,
                                  std::mt19937_64& rng) const;
  double SampleCategorical(const TpeHistory::Dim& dim, const std::vector<char>& below,
                           const std::vector<double>& weights, std::mt19937_64& rng) const;

  const TpeHistory& history_;
  const TpeModelOptions& options_;
};

}  // namespace hone
