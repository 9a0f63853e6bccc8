// CmaesTuner ("cmaes"): CMA-ES (cma_es.h) over the numeric top-level parameters, in the
// unit-cube warp of unit_cube_encoding.h (log kinds in log space, normal kinds through
// their CDF, q kinds and randint relaxed and rounded when decoded). Samples outside
// [0,1] are mirrored back inside, and the mirrored points are what the update sees.
// Choices (nested ones with their sub-parameters) are drawn independently at random.
//
// Ask/tell: generation g's lambda configurations are drawn when g starts, from an RNG
// seeded by (seed, g), and handed out in order across Suggest calls; Suggest returns
// fewer while the generation waits for results. When every one has finished (a failure
// or a non-finite value ranks worst; so does one that Update reports neither finished
// nor active, i.e. canceled) the distribution is updated and g + 1 starts.
// Resume: replaying the finished trials in order rebuilds every generation exactly,
// because each is a function of (seed, g) and the values of the ones before; a
// configuration that matches no slot is remembered and credited if a later generation
// draws it. A draw that repeats an earlier configuration of this tuner is redrawn
// (16 times), then replaced by an unseen random configuration.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "tuners/cmaes/cma_es.h"
#include "tuners/gp/unit_cube_encoding.h"
#include "tuners/draw_tuner.h"

namespace hone {

struct CmaesTunerOptions {
  uint64_t seed = 0;
  OptimizeMode mode = OptimizeMode::kMaximize;
  int popsize = 0;      // 0: 4 + floor(3 ln n)
  double sigma0 = 0.3;  // in the unit cube
};

class CmaesTuner : public DrawTuner {
 public:
  // classArgs: optimize_mode, seed, popsize, sigma0.
  static StatusOr<std::unique_ptr<Tuner>> Create(const TunerContext& ctx);

  // REQUIRES: `space` outlives the tuner.
  CmaesTuner(const SearchSpace& space, CmaesTunerOptions options);

  std::string_view Name() const override { return "cmaes"; }
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override;
  void Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) override;

  int generation() const { return es_.generation(); }
  const CmaEs& strategy() const { return es_; }

 private:
  struct Slot {
    Eigen::VectorXd x;  // the point in the unit cube the update sees
    nlohmann::json config;
    std::string key;
    bool handed_out = false;
    bool done = false;
    double value = 0;  // minimized; NaN for failures
  };

  void StartGeneration();
  // Tells the finished generation (if complete) and starts the next; true if it did.
  bool AdvanceIfComplete();
  std::optional<nlohmann::json> FillSlot(std::mt19937_64& rng, Eigen::VectorXd& x);
  void Record(const std::string& key, double value);

  CmaesTunerOptions options_;
  UnitCubeEncoding encoding_;
  std::vector<size_t> numeric_dims_;  // encoding dimensions CMA-ES drives
  CmaEs es_;
  std::vector<Slot> slots_;
  std::unordered_set<std::string> generated_;
  std::map<std::string, double> unmatched_;  // finished, in no generation yet
};

}  // namespace hone
