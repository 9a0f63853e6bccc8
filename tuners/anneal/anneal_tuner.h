// AnnealTuner ("anneal", NNI's Anneal, after hyperopt's anneal): after n_startup_jobs
// random configurations, each suggestion perturbs a good earlier trial. The trial is
// drawn from the finished ones ranked best first, its rank (0 the best) geometric with
// success probability 1 / avg_best_idx as in hyperopt; numeric parameters are drawn from a neighbourhood of its values whose
// width shrinks as 1 / (1 + T * shrink_coef) with T the trials seen where the parameter
// was active (uniform kinds: a window of that fraction of the range, in log space for
// log kinds; normal kinds: sigma times that fraction); categorical ones (choice, randint)
// are redrawn uniformly with that probability and kept otherwise.
// Scores, determinism and resume as TpeTuner: crashed trials rank last; the k-th
// suggestion uses an RNG seeded with (seed, k); nothing is suggested twice.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "tuners/draw_tuner.h"

namespace hone {

struct AnnealOptions {
  OptimizeMode mode = OptimizeMode::kMaximize;
  uint64_t seed = 0;
  int n_startup_jobs = 10;
  double avg_best_idx = 2.0;
  double shrink_coef = 0.1;
};

class AnnealTuner : public DrawTuner {
 public:
  // classArgs: optimize_mode, seed, n_startup_jobs (10), avg_best_idx (2.0), shrink_coef (0.1).
  static StatusOr<std::unique_ptr<Tuner>> Create(const TunerContext& ctx);
  static StatusOr<AnnealOptions> ParseOptions(const TunerContext& ctx);

  // REQUIRES: `space` outlives the tuner.
  AnnealTuner(const SearchSpace& space, const AnnealOptions& options);

  std::string_view Name() const override { return "anneal"; }
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override;
  void Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) override;

 private:
  // One finished trial: lexicographically smaller (tier, loss, order) is better.
  struct Observation {
    int tier = 2;  // 0: finite final value, 1: finite intermediate only, 2: nothing
    double loss = 0;
    int64_t order = 0;
    nlohmann::json params;
  };

  std::optional<nlohmann::json> Next();
  // A configuration of `space` near a good one of `configs` (the sub-configurations of
  // the trials where `space` was active, best first).
  nlohmann::json Perturb(const SearchSpace& space, const std::vector<const nlohmann::json*>& configs,
                         std::mt19937_64& rng) const;

  AnnealOptions options_;
  std::vector<Observation> history_;
};

}  // namespace hone
