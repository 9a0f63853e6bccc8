// GpTuner ("gp"): Bayesian optimization with a Gaussian process (Matérn-5/2 ARD) on the
// search space warped to [0,1]^d (see unit_cube_encoding.h) and log expected improvement.
//
// - The first n_startup_jobs configurations (default 10) are random draws.
// - Then each suggestion maximizes log EI: n_candidates random points (default 2000)
//   plus perturbations of the best observed points, refined by a pattern search over
//   the active numeric dimensions from the 5 best; q kinds and randint are optimized
//   continuously and rounded when decoded; choices move between exact one-hot vectors.
//   Nested choices are flattened; the dimensions of unchosen options sit at 0.5.
// - Batches (count > 1, or trials still running): kriging believer. Running and already
//   chosen points join the data with the posterior mean as their value; the posterior
//   is refactored, the hyperparameters are kept.
// - Hyperparameters are refitted at fixed data counts (every new trial up to 50, every
//   10 up to 200, every 50 beyond) on at most 150 evenly spaced observations of the
//   first m, so the model depends only on the history, not on when it was computed.
// - Failed trials and non-finite values are left out of the model but never suggested
//   again. The k-th configuration is drawn with an RNG seeded by (seed, k).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "tuners/gp/gaussian_process.h"
#include "tuners/gp/unit_cube_encoding.h"
#include "tuners/draw_tuner.h"

namespace hone {

struct GpTunerOptions {
  uint64_t seed = 0;
  OptimizeMode mode = OptimizeMode::kMaximize;
  int n_startup_jobs = 10;
  int n_candidates = 2000;
};

class GpTuner : public DrawTuner {
 public:
  // classArgs: optimize_mode, seed, n_startup_jobs, n_candidates.
  static StatusOr<std::unique_ptr<Tuner>> Create(const TunerContext& ctx);

  // REQUIRES: `space` outlives the tuner.
  GpTuner(const SearchSpace& space, GpTunerOptions options);

  std::string_view Name() const override { return "gp"; }
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override;
  void Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) override;

 private:
  // Data the model is fitted on during one Suggest call: the observations, then the
  // running and already chosen points with their believed values (kriging believer).
  struct Batch {
    std::optional<GaussianProcess> gp;
    std::vector<std::vector<double>> xs;
    std::vector<double> ys;  // standardized
    double best = 0;
  };
  // Fits the model on the observations and the running points' believed values.
  void StartBatch(Batch& batch);
  // The hyperparameters for the current data (refitted when the schedule says so).
  const GpHyper& Hyper();
  // The unseen configuration of highest log EI under `gp`, or nullopt.
  std::optional<nlohmann::json> ModelNext(const GaussianProcess& gp, double best,
                                          std::mt19937_64& rng, std::vector<double>* chosen);

  GpTunerOptions options_;
  UnitCubeEncoding encoding_;
  std::vector<std::vector<double>> xs_;  // observations in arrival order
  std::vector<double> ys_;               // their values, negated when maximizing
  std::vector<std::vector<double>> running_;
  size_t hyper_m_ = 0;  // the data count the cached hyperparameters were fitted on
  GpHyper hyper_;
};

}  // namespace hone
