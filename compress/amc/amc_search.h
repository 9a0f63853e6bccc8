// One AMC search in process: episodes of the DDPG agent (ddpg_agent_torch.h) walking an
// AmcEnvironment, each policy scored by a reward callback (usually PolicyEvaluator's
// accuracy), the best policy kept. Torch-free, so that the prune command can call it.
//
//   auto eval = PolicyEvaluator::Create(model, graph, groups, held_out, norm);
//   auto result = RunAmcSearch(*env, {.seed = 1}, 400,
//       [&](const std::vector<int64_t>& widths) { return eval->Accuracy(widths); },
//       [](const AmcEpisode& e) { std::printf("%d %.4f\n", e.episode, e.reward); });
//   Speedup(model, graph, groups, eval->KeptChannels(result->best.widths));
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "compress/amc/amc_environment.h"
#include "core/status.h"

namespace hone::compress {

// DdpgOptions (ddpg_agent_torch.h) without torch: the same fields and defaults.
struct AmcAgentOptions {
  int warmup_episodes = 100;
  int replay_episodes = 100;
  double init_sigma = 0.5;
  double sigma_decay = 0.95;
  double min_sigma = 0.0;
  uint64_t seed = 0;
};

struct AmcEpisode {
  int episode = 0;               // 0-based
  std::vector<double> keeps;     // per decision, as applied
  std::vector<int64_t> widths;   // per channel group
  int64_t flops = 0;
  double reward = 0;
};

struct AmcSearchResult {
  AmcEpisode best;                  // the first episode of the highest reward
  std::vector<AmcEpisode> history;  // every episode, in order
};

using AmcReward = std::function<StatusOr<double>(const std::vector<int64_t>& widths)>;

// Runs `episodes` episodes (> 0). Errors: the reward's, prefixed with the episode.
StatusOr<AmcSearchResult> RunAmcSearch(AmcEnvironment& env, const AmcAgentOptions& agent, int episodes,
                                       const AmcReward& reward,
                                       const std::function<void(const AmcEpisode&)>& on_episode = {});

}  // namespace hone::compress
