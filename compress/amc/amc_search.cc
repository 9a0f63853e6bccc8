#include "compress/amc/amc_search.h"

#include <string>

#include "compress/amc/ddpg_agent_torch.h"

namespace hone::compress {

StatusOr<AmcSearchResult> RunAmcSearch(AmcEnvironment& env, const AmcAgentOptions& options, int episodes,
                                       const AmcReward& reward,
                                       const std::function<void(const AmcEpisode&)>& on_episode) {
  if (episodes <= 0) return InvalidArgument("amc: episodes must be positive, but got " + std::to_string(episodes));
  DdpgAgent agent(AmcEnvironment::kStateSize, ToDdpgOptions(options));
  AmcSearchResult result;
  for (int e = 0; e < episodes; ++e) {
    env.Reset();
    std::vector<std::vector<float>> states;
    std::vector<double> actions;
    while (!env.Done()) {
      states.push_back(env.State());
      actions.push_back(env.Step(agent.Act(states.back())));
    }
    auto r = reward(env.Widths());
    if (!r.ok()) return r.status().WithContext("amc episode " + std::to_string(e));
    agent.EndEpisode(states, actions, *r);
    AmcEpisode episode{e, env.KeepRatios(), env.Widths(), env.Flops(), *r};
    if (result.history.empty() || episode.reward > result.best.reward) result.best = episode;
    if (on_episode) on_episode(episode);
    result.history.push_back(std::move(episode));
  }
  return result;
}

}  // namespace hone::compress
