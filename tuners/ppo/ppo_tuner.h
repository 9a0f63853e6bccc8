// PpoTuner ("ppo", NNI's PPOTuner): a policy-gradient tuner, as NNI's PPOTuner and
// PolicyBasedRL and ENAS's controller. The policy is one softmax per decision of the
// space (tuners/ppo/policy_space.h: choices, numeric parameters in bins); every
// configuration is drawn from the current policy, also while others run. Each time
// trials_per_update trials have succeeded, the policy takes epochs_per_update passes of
// PPO's clipped objective over them (tuners/ppo/categorical_policy.h).
//
// A trial's reward is its final value (negated to minimize). Its advantage is the reward
// less a moving-average baseline (the baseline of earlier updates, or the batch mean at
// the first), divided by the batch's root mean square of that difference; the decisions
// before the last get it discounted by (gamma * lam) per step, as GAE over the sequence of
// decisions gives with the baseline as every state's value. Failed trials and trials
// without a finite final value give no reward and count toward no update.
//
// Never suggests a configuration twice (draws from the policy, then from ever flatter
// versions of it, then random draws and the enumeration of a finite space); Suggest
// returns kExhausted once a finite space is covered. Deterministic: the k-th
// configuration uses an RNG seeded with (seed, k), an update one seeded with (seed, its
// number). Resumable: Update takes finished trials in seq order, so a fresh tuner told the
// finished trials rebuilds the same policy (exactly so when trials finished in seq order).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "tuners/draw_tuner.h"
#include "tuners/ppo/categorical_policy.h"
#include "tuners/ppo/policy_space.h"

namespace hone {

struct PpoTunerOptions {
  OptimizeMode mode = OptimizeMode::kMaximize;
  uint64_t seed = 0;
  int trials_per_update = 10;
  int bins = 8;
  double gamma = 0.99;
  double lam = 0.95;
  PpoOptions ppo;
};

class PpoTuner : public DrawTuner {
 public:
  // classArgs: optimize_mode, seed, trials_per_update, epochs_per_update, minibatch_size,
  // ent_coef, lr, vf_coef (accepted, no effect), max_grad_norm, gamma, lam, cliprange, bins.
  static StatusOr<std::unique_ptr<Tuner>> Create(const TunerContext& ctx);
  static StatusOr<PpoTunerOptions> ParseOptions(const TunerContext& ctx);

  // REQUIRES: `space` outlives the tuner; options as ParseOptions accepts them.
  PpoTuner(const SearchSpace& space, const PpoTunerOptions& options);

  std::string_view Name() const override { return "ppo"; }
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override;
  void Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) override;

  const CategoricalPolicy& policy() const { return policy_; }
  int updates() const { return updates_; }

 private:
  struct Rewarded {
    nlohmann::json params;
    double reward = 0;
  };
  std::optional<nlohmann::json> Next();
  void Learn();

  PpoTunerOptions options_;
  PolicySpace decisions_;
  CategoricalPolicy policy_;
  std::vector<Rewarded> pending_;  // succeeded since the last update, in seq order
  std::optional<double> baseline_;
  int updates_ = 0;
};

}  // namespace hone
