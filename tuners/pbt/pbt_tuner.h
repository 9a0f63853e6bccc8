// PbtTuner ("pbt", NNI's PBTTuner; Jaderberg et al. 2017): population-based training. A
// population of population_size configurations trains one generation at a time; each
// trial loads its model from `load_checkpoint_dir` (empty or missing: from scratch),
// trains for a while and saves it to `save_checkpoint_dir`. When a generation has
// finished, the worst `fraction` of the population take over the checkpoint and
// hyperparameters of a random member of the best `fraction` (exploit) and perturb them
// (explore: each numeric value times 1 +- factor, clipped to its range; with probability
// resample_probability a fresh draw from the prior); the others continue their own.
//
// Checkpoints live at <all_checkpoint_dir>/<member>/<generation>, as NNI's; the tuner
// creates each save directory before handing the trial out.
//   population_size 4, fraction 0.25: generation 0 = 4 random configs saving to .../i/0;
//   generation 1: the worst member loads .../best/0 with perturbed values, the other
//   three load their own .../i/0; all save to .../i/1.
// classArgs: optimize_mode, all_checkpoint_dir (default <experiment dir>/checkpoints),
// population_size (10), factor (0.2), resample_probability (0.25), fraction (0.2).
// Resume: the member and generation of a trial are read back from its
// save_checkpoint_dir, so a fresh tuner given the history continues the same generation.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/search_space.h"
#include "core/tuner.h"

namespace hone {

struct PbtOptions {
  std::string checkpoint_root;
  int population_size = 10;
  double factor = 0.2;
  double resample_probability = 0.25;
  double fraction = 0.2;
  OptimizeMode mode = OptimizeMode::kMaximize;
};

class PbtTuner : public Tuner {
 public:
  static StatusOr<std::unique_ptr<Tuner>> Create(const TunerContext& ctx);

  // REQUIRES: `space` outlives the tuner.
  PbtTuner(const SearchSpace& space, PbtOptions options, uint64_t seed);

  std::string_view Name() const override { return "pbt"; }
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override;
  void Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) override;

  int generation() const { return generation_; }

 private:
  struct Member {
    nlohmann::json config;  // search-space parameters only
    std::string load_dir;
  };
  std::string SaveDir(int member, int generation) const;
  std::optional<std::pair<int, int>> MemberOf(const TrialRecord& trial) const;
  void Advance();  // builds the next generation from the finished one
  nlohmann::json Explore(const nlohmann::json& config, std::mt19937_64& rng) const;
  std::mt19937_64 Rng(uint64_t a, uint64_t b) const;

  const SearchSpace& space_;
  PbtOptions options_;
  uint64_t seed_;
  int generation_ = 0;
  std::vector<Member> population_;  // the current generation's
  std::set<std::pair<int, int>> handed_;  // (generation, member)
  std::map<std::pair<int, int>, std::optional<double>> finished_;  // oriented: larger is better
};

}  // namespace hone
