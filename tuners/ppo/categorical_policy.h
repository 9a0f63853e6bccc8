// CategoricalPolicy: the ppo tuner's policy, one independent softmax over the actions of
// each decision (tuners/ppo/policy_space.h), trained with PPO's clipped surrogate
// objective and an entropy bonus by Adam (Schulman et al. 2017).
//
//   CategoricalPolicy policy({3, 5});               // two decisions: 3 and 5 actions
//   int a = policy.Sample(0, 1.0, rng);
//   policy.Train(batch, options, rng);              // batch: steps with advantages
#pragma once

#include <random>
#include <vector>

#include <Eigen/Dense>

namespace hone {

struct PpoOptions {
  int epochs_per_update = 4;
  int minibatch_size = 4;  // trials per minibatch
  double ent_coef = 0.0;
  double lr = 0.1;
  double max_grad_norm = 0.5;
  double cliprange = 0.2;
};

// One decision of a finished trial, ready for training.
struct TrainStep {
  int decision = 0;
  int action = 0;
  double advantage = 0;
  double old_log_prob = 0;  // under the policy before this update
};

class CategoricalPolicy {
 public:
  // REQUIRES: every count >= 1. All logits start at 0 (uniform).
  explicit CategoricalPolicy(const std::vector<int>& action_counts);

  Eigen::VectorXd Probs(int decision, double temperature = 1.0) const;
  double LogProb(int decision, int action) const;
  // An action drawn from softmax(logits / temperature).
  int Sample(int decision, double temperature, std::mt19937_64& rng) const;

  // epochs_per_update passes over `trials` (each a trial's steps) in minibatches of
  // minibatch_size trials, shuffled by `rng`; one Adam step per minibatch.
  void Train(const std::vector<std::vector<TrainStep>>& trials, const PpoOptions& options, std::mt19937_64& rng);

 private:
  // The gradient of the minibatch's mean loss (clipped surrogate minus entropy bonus).
  std::vector<Eigen::VectorXd> Gradient(const std::vector<const TrainStep*>& steps, const PpoOptions& options) const;
  void AdamStep(std::vector<Eigen::VectorXd>& grad, const PpoOptions& options);

  std::vector<Eigen::VectorXd> logits_;
  std::vector<Eigen::VectorXd> m_, v_;  // Adam moments
  long long adam_steps_ = 0;
};

}  // namespace hone
