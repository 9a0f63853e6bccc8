// AMC as a hone tuner: the DDPG agent (ddpg_agent_torch.h) proposing whole policies (one
// keep ratio per AmcEnvironment decision) for trials that run elsewhere, and learning from
// the trials' rewards. Torch-free (the agent hides behind a pointer); the protocol side is
// compress/cli/amc_tuner_command.cc (`hone compress amc-tuner`).
//
//   AmcPolicyTuner tuner(std::move(*env), {.agent = {.warmup_episodes = 4, .seed = 1}});
//   auto policies = tuner.Suggest(2);           // keep ratios per decision, as applied
//   tuner.Update({{.seq = 0, .actions = policies[0], .reward = 0.81}}, {{1, policies[1]}});
//
// Determinism, which is what makes resume work:
//   - Exploration does not use the agent's generator: suggestion i (0-based, counted over
//     the experiment) draws its warm-up actions or its noise from its own generator seeded
//     by (seed, i, attempt), around the agent's noise-free actor. Suggestions therefore
//     depend only on the agent's state and i, never on when the suggestions were asked.
//   - Finished trials enter the agent in trial seq order: a finished trial waits until no
//     active trial has a lower seq. Failed trials (no reward) are skipped but still pass.
//   So the agent is a function of the seed and the ordered finished trials, and a fresh
//   tuner given every finished trial at once (hone's resume) is in the state of the
//   uninterrupted one, and continues with suggestion index max(seq) + 1.
//   - A policy already suggested (or seen in a trial) is drawn again, up to 20 times.
// Exploration schedule as DdpgAgent's: uniform actions while fewer than warmup_episodes
// episodes were fed, then the actor's action with truncated-normal noise of sigma().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compress/amc/amc_environment.h"
#include "compress/amc/amc_search.h"

namespace hone::compress {

struct AmcTunerOptions {
  AmcAgentOptions agent;
  bool maximize = true;  // false: the reward is minus the trial's final value
};

// A trial that ended: its seq, its parameters as one action per decision, and its final
// value (nullopt: failed, or no usable value).
struct AmcFinishedTrial {
  int64_t seq = 0;
  std::vector<double> actions;
  std::optional<double> value;
};

struct AmcActiveTrial {
  int64_t seq = 0;
  std::vector<double> actions;
};

class AmcPolicyTuner {
 public:
  AmcPolicyTuner(AmcEnvironment env, const AmcTunerOptions& options);
  ~AmcPolicyTuner();
  AmcPolicyTuner(AmcPolicyTuner&&) noexcept;
  AmcPolicyTuner& operator=(AmcPolicyTuner&&) noexcept;

  // `count` policies: per decision, the keep ratio the action wall applied.
  std::vector<std::vector<double>> Suggest(int count);

  // Records finished trials (each once) and the active ones, then feeds the agent every
  // waiting finished trial that no active trial precedes, in seq order.
  void Update(const std::vector<AmcFinishedTrial>& completed, const std::vector<AmcActiveTrial>& active);

  int episodes() const;        // episodes fed to the agent
  int waiting() const { return static_cast<int>(waiting_.size()); }
  int64_t next_index() const { return next_index_; }
  double sigma() const;        // exploration noise of the next suggestions (0 in warm-up)
  const AmcEnvironment& env() const { return env_; }

 private:
  struct Agent;
  std::vector<double> Draw(int64_t index, int attempt);
  std::string Key(const std::vector<double>& actions);
  void Feed(const AmcFinishedTrial& trial);

  AmcEnvironment env_;
  AmcTunerOptions options_;
  std::unique_ptr<Agent> agent_;
  int64_t next_index_ = 0;
  std::set<std::string> seen_;
  std::vector<AmcFinishedTrial> waiting_;  // finished, not yet fed; sorted by seq
};

}  // namespace hone::compress
