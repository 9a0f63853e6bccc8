// RandomTuner ("random"): independent draws from the search space's prior, never the
// same configuration twice. When draws in a finite space keep colliding it picks an
// unseen configuration from the enumeration (NNI falls back to grid search), and once
// every configuration has been suggested Suggest returns kExhausted.
//
// Deterministic and resumable: the k-th configuration handed out is drawn from an RNG
// seeded with (seed, k), and Update raises k to the number of distinct configurations
// seen, so a fresh tuner given the finished trials continues where the first one was.
#pragma once

#include <cstdint>
#include <memory>

#include "tuners/draw_tuner.h"

namespace hone {

class RandomTuner : public DrawTuner {
 public:
  // classArgs: seed (int, overrides ctx.seed); optimize_mode is accepted and ignored.
  static StatusOr<std::unique_ptr<Tuner>> Create(const TunerContext& ctx);

  // REQUIRES: `space` outlives the tuner.
  RandomTuner(const SearchSpace& space, uint64_t seed) : DrawTuner(space, seed, std::nullopt) {}

  std::string_view Name() const override { return "random"; }
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override;
  void Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) override;
};

}  // namespace hone
