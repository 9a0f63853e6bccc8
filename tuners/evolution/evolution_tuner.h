// EvolutionTuner: the two evolutionary tuners.
//   "evolution" (NNI's Evolution): a random initial population of population_size (32);
//     then each child mutates the winner of a tournament of max(2, population_size / 8)
//     members drawn at random, and a finished child replaces the population's worst.
//   "regularized_evolution" (aging evolution, Real et al. 2019; NNI's
//     RegularizedEvolutionTuner): population_size (100) random members first; then each
//     child mutates the best of sample_size (25) members drawn at random, and a finished
//     child pushes out the oldest member.
// Mutation is tuners/evolution/mutation.h. Failed trials and trials without a finite
// final value never join the population; until the population has a member, children
// are random draws.
//
// Never suggests a configuration twice (mutation retries, then random draws, then the
// enumeration of a finite space, as random does); Suggest returns kExhausted once a
// finite space is covered. Deterministic: the k-th configuration handed out uses an RNG
// seeded with (seed, k). Resumable: Update adds finished trials to the population in
// seq order, so a fresh tuner given the finished trials rebuilds the population.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>

#include "tuners/draw_tuner.h"

namespace hone {

class EvolutionTuner : public DrawTuner {
 public:
  enum class Policy {
    kTournamentReplaceWorst,  // "evolution"
    kAging,                   // "regularized_evolution"
  };

  struct Options {
    Policy policy = Policy::kTournamentReplaceWorst;
    int population_size = 32;
    int sample_size = 4;  // tournament size / aging sample size
    uint64_t seed = 0;
    OptimizeMode mode = OptimizeMode::kMaximize;
  };

  // classArgs: optimize_mode (the experiment's mode arrives in ctx.mode), seed,
  // population_size; regularized_evolution also sample_size (<= population_size).
  static StatusOr<std::unique_ptr<Tuner>> CreateEvolution(const TunerContext& ctx);
  static StatusOr<std::unique_ptr<Tuner>> CreateRegularized(const TunerContext& ctx);

  // REQUIRES: `space` outlives the tuner; population_size >= 1; sample_size >= 1.
  EvolutionTuner(const SearchSpace& space, Options options);

  std::string_view Name() const override;
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override;
  void Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) override;

  struct Member {
    int64_t seq = 0;
    nlohmann::json params;
    double value = 0;
  };
  const std::deque<Member>& population() const { return population_; }

 private:
  void Add(Member m);
  const Member& SelectParent(std::mt19937_64& rng) const;
  std::optional<nlohmann::json> Next();

  Options options_;
  std::deque<Member> population_;  // in arrival (seq) order
};

}  // namespace hone
