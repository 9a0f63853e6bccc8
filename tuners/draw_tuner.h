// DrawTuner: the base of the tuners that hand out configurations one at a time and never
// the same one twice (random, tpe, anneal, gp, evolution, cmaes). It keeps what was
// suggested or told (SeenConfigs), counts the configurations handed out, and seeds the
// k-th draw with (seed, k), so a fresh tuner told the finished trials draws on where the
// first one stopped.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/search_space.h"
#include "core/tuner.h"
#include "tuners/seen_configs.h"

namespace hone {

// An RNG seeded with (seed, k) and, when given, a salt that keeps one algorithm's draws
// apart from another's under the same seed.
std::mt19937_64 SeededRng(uint64_t seed, uint64_t k, std::optional<uint32_t> salt);

class DrawTuner : public Tuner {
 public:
  bool IsExhausted() const override { return seen_.CoversSpace(); }

 protected:
  // The next configuration given the ones this Suggest call has drawn so far, or nullopt
  // when none could be found.
  using NextFn = std::function<std::optional<nlohmann::json>(const std::vector<nlohmann::json>& so_far)>;

  // REQUIRES: `space` outlives the tuner.
  DrawTuner(const SearchSpace& space, uint64_t seed, std::optional<uint32_t> salt)
      : space_(space), seen_(space), seed_(seed), salt_(salt) {}

  std::mt19937_64 RngFor(uint64_t k) const { return SeededRng(seed_, k, salt_); }

  // Up to `count` configurations from `next`, each counted in handed_out_, while the
  // space is not covered; kExhausted when none came and it is.
  StatusOr<std::vector<nlohmann::json>> DrawEach(int count, const NextFn& next);

  // Records the configurations of `records` as seen.
  void See(std::span<const TrialRecord> records);
  // After an Update: counts every configuration seen as handed out (resume).
  void CatchUp() { handed_out_ = std::max<uint64_t>(handed_out_, seen_.size()); }

  const SearchSpace& space_;
  SeenConfigs seen_;
  uint64_t handed_out_ = 0;  // k: configurations handed out (or known from Update)

 private:
  uint64_t seed_;
  std::optional<uint32_t> salt_;
};

}  // namespace hone
