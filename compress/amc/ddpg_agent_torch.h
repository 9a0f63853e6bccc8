// AMC's agent: DDPG (Lillicrap et al. 2015) as AMC's reference code configures it. An
// actor maps a layer's state to a keep ratio in [0, 1]; a critic scores (state, action).
// Every transition of an episode is stored with the episode's final reward, and a moving
// average of rewards is subtracted as a baseline. Seeded by its own torch::Generator
// (the global RNG is neither read nor changed): same seed and same history, same
// actions, on the CPU.
//
//   DdpgAgent agent(AmcEnvironment::kStateSize, {.seed = 1});
//   for (int e = 0; e < 400; ++e) {
//     env.Reset();
//     std::vector<std::vector<float>> states;
//     std::vector<double> actions;
//     while (!env.Done()) {
//       states.push_back(env.State());
//       actions.push_back(env.Step(agent.Act(states.back())));   // the applied keep ratio
//     }
//     agent.EndEpisode(states, actions, Reward(env.Widths()));
//   }
//
// Networks: actor state -> 300 -> 300 -> 1 (ReLU, ReLU, sigmoid); critic: ReLU(W_s s +
// W_a a + b) -> 300 -> 1 (the action joins at the first hidden layer, as in the reference
// code). Hidden weights and biases start at U(+-1/sqrt(fan_in)), the output layers at
// U(+-3e-3). Adam, lr 1e-4 (actor) and 1e-3 (critic), batch 64, discount 1, soft target
// updates with tau 0.01.
// Exploration: uniform random actions for the first `warmup_episodes` episodes, then the
// actor's action with truncated-normal noise on [0, 1], sigma = max(min_sigma, 0.5 x
// 0.95^(episodes after warm-up)); min_sigma is 0 by default, the reference schedule.
// Learning: from the end of the warm-up-th episode on, one update per transition of each
// finished episode, on a batch drawn from a replay buffer holding the last
// `replay_episodes` episodes' transitions; the rewards of a batch are centred on a moving
// average updated with the batch's mean (alpha 0.5).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/ATen.h>
#include <torch/optim/adam.h>

#include "compress/amc/amc_search.h"

namespace hone::compress {

struct DdpgOptions {
  int64_t hidden = 300;
  double actor_lr = 1e-4;
  double critic_lr = 1e-3;
  int64_t batch_size = 64;
  double discount = 1.0;
  double tau = 0.01;
  int replay_episodes = 100;
  int warmup_episodes = 100;
  double init_sigma = 0.5;
  double sigma_decay = 0.95;
  double min_sigma = 0.0;  // floor of the decayed noise
  double baseline_alpha = 0.5;
  uint64_t seed = 0;
};

// The torch-free AmcAgentOptions (amc_search.h) as the agent's options, the network and
// learning settings at their defaults.
inline DdpgOptions ToDdpgOptions(const AmcAgentOptions& o) {
  return DdpgOptions{.replay_episodes = o.replay_episodes,
                     .warmup_episodes = o.warmup_episodes,
                     .init_sigma = o.init_sigma,
                     .sigma_decay = o.sigma_decay,
                     .min_sigma = o.min_sigma,
                     .seed = o.seed};
}

class DdpgAgent {
 public:
  DdpgAgent(int64_t state_size, const DdpgOptions& options);
  DdpgAgent(const DdpgAgent&) = delete;
  DdpgAgent& operator=(const DdpgAgent&) = delete;
  DdpgAgent(DdpgAgent&&) = default;
  DdpgAgent& operator=(DdpgAgent&&) = default;

  // An exploring action in [0, 1] for `state` in the current episode.
  double Act(const std::vector<float>& state);
  // The actor's action, without noise (the learned policy).
  double Policy(const std::vector<float>& state);

  // Ends an episode: `states[t]` and the action applied at step t (same length, at least
  // one step), and the episode's reward. Stores its transitions and, past the warm-up,
  // updates the networks once per transition.
  void EndEpisode(const std::vector<std::vector<float>>& states, const std::vector<double>& actions, double reward);

  int episodes() const { return episodes_; }
  // The exploration noise of the next episode (0 during warm-up, whose actions are uniform).
  double sigma() const;
  const DdpgOptions& options() const { return options_; }

 private:
  // Weight and bias tensors of a chain of linear layers.
  struct Mlp {
    std::vector<at::Tensor> weights;
    std::vector<at::Tensor> biases;
    std::vector<at::Tensor> Parameters() const;
  };

  Mlp NewMlp(const std::vector<int64_t>& sizes);
  at::Tensor ActorForward(const Mlp& actor, const at::Tensor& states) const;
  at::Tensor CriticForward(const Mlp& critic, const at::Tensor& states, const at::Tensor& actions) const;
  void Store(const std::vector<std::vector<float>>& states, const std::vector<double>& actions, double reward);
  void Update();
  double Uniform();
  double TruncatedNormal(double mean, double sigma);

  DdpgOptions options_;
  int64_t state_size_ = 0;
  at::Generator generator_;
  Mlp actor_, actor_target_, critic_, critic_target_;
  std::unique_ptr<torch::optim::Adam> actor_optimizer_, critic_optimizer_;
  // Replay buffer (a ring): states, actions, rewards, next states, terminal flags.
  at::Tensor states_, actions_, rewards_, next_states_, terminal_;
  int64_t capacity_ = 0;
  int64_t size_ = 0;
  int64_t next_ = 0;
  bool have_baseline_ = false;
  double baseline_ = 0;
  int episodes_ = 0;
};

}  // namespace hone::compress
