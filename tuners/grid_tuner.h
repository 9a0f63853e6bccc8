// GridTuner ("grid", NNI's GridSearch): every combination of the discrete parameters
// (choice, nested choice, randint, bounded q kinds), with continuous parameters
// subdivided in epochs: epoch 1 takes the midpoint of each one's range, epoch 2 adds the
// 1/4 and 3/4 points, epoch 3 the 1/8 points, ... Each epoch emits only combinations
// that use at least one new point. Log kinds are subdivided in log space, normal kinds
// at the normal quantiles of the points; a point whose q-rounded value repeats an
// earlier one is dropped.
//
//   {"x": uniform [0, 1], "c": choice [a, b]}
//   -> {x .5, c a}, {x .5, c b}, {x .25, c a}, {x .25, c b}, {x .75, c a}, ...
//
// Deterministic (the seed is unused). An all-discrete space is exhausted after its
// combinations. Resume: configurations passed to Update are skipped when reached.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/search_space.h"
#include "tuners/seen_configs.h"
#include "core/tuner.h"

namespace hone {

class GridTuner : public Tuner {
 public:
  // classArgs: optimize_mode is accepted and ignored.
  static StatusOr<std::unique_ptr<Tuner>> Create(const TunerContext& ctx);

  // REQUIRES: `space` outlives the tuner.
  explicit GridTuner(const SearchSpace& space);

  std::string_view Name() const override { return "grid"; }
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override;
  void Update(std::span<const TrialRecord> completed,
              std::span<const TrialRecord> active) override;
  bool IsExhausted() const override { return done_ || seen_.CoversSpace(); }

  // Past this epoch continuous parameters get no new points (2^20 - 1 of them by then).
  static constexpr int kMaxEpoch = 20;

 private:
  // One parameter, in pre-order over the (nested) space: a nested choice's sub-space
  // parameters follow it, option by option.
  struct Dim {
    const ParamSpec* spec = nullptr;
    int parent = -1;         // the nested choice this one lives under, -1 at top level
    size_t parent_option = 0;
    std::vector<size_t> option_dims;  // nested choice: number of dims under each option
    bool continuous = false;
    std::vector<nlohmann::json> values;  // a choice holds option indices
    size_t epoch_bar = 0;                // values[0, epoch_bar) belong to earlier epochs
    std::unordered_set<std::string> value_keys;  // continuous: values taken so far
  };

  void Flatten(const SearchSpace& space, int parent, size_t parent_option);
  // Starts the next epoch; false when no parameter gets a new value.
  bool AdvanceEpoch();
  std::vector<bool> ActiveDims() const;
  bool NextVector();
  bool VectorIsNew() const;
  nlohmann::json Build(const SearchSpace& space, size_t& dim) const;
  std::optional<nlohmann::json> NextCandidate();

  const SearchSpace& space_;
  std::vector<Dim> dims_;
  std::vector<size_t> vector_;  // the current combination: an index into each dim's values
  bool positioned_ = false;     // vector_ holds a combination of the current epoch
  int epoch_ = 0;
  bool done_ = false;
  SeenConfigs seen_;
};

}  // namespace hone
