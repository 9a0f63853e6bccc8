#include "compress/amc/amc_policy_tuner.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>

#include "compress/amc/ddpg_agent_torch.h"

namespace hone::compress {
namespace {

constexpr int kRedraws = 20;

// A draw from N(mean, sigma) truncated to [0, 1] (by rejection; clamped after 100 misses).
double TruncatedNormal(std::mt19937_64& rng, double mean, double sigma) {
  std::normal_distribution<double> normal(mean, sigma);
  for (int i = 0; i < 100; ++i) {
    double x = normal(rng);
    if (x >= 0 && x <= 1) return x;
  }
  return std::clamp(mean, 0.0, 1.0);
}

}  // namespace

struct AmcPolicyTuner::Agent {
  explicit Agent(const AmcAgentOptions& o)
      : ddpg(AmcEnvironment::kStateSize, ToDdpgOptions(o)) {}
  DdpgAgent ddpg;
};

AmcPolicyTuner::AmcPolicyTuner(AmcEnvironment env, const AmcTunerOptions& options)
    : env_(std::move(env)), options_(options), agent_(std::make_unique<Agent>(options.agent)) {}
AmcPolicyTuner::~AmcPolicyTuner() = default;
AmcPolicyTuner::AmcPolicyTuner(AmcPolicyTuner&&) noexcept = default;
AmcPolicyTuner& AmcPolicyTuner::operator=(AmcPolicyTuner&&) noexcept = default;

int AmcPolicyTuner::episodes() const { return agent_->ddpg.episodes(); }
double AmcPolicyTuner::sigma() const { return agent_->ddpg.sigma(); }

std::vector<double> AmcPolicyTuner::Draw(int64_t index, int attempt) {
  std::seed_seq seq{static_cast<uint64_t>(options_.agent.seed), static_cast<uint64_t>(index),
                    static_cast<uint64_t>(attempt)};
  std::mt19937_64 rng(seq);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const bool warmup = episodes() < options_.agent.warmup_episodes;
  const double sigma = agent_->ddpg.sigma();
  env_.Reset();
  while (!env_.Done()) {
    double action = warmup ? uniform(rng) : TruncatedNormal(rng, agent_->ddpg.Policy(env_.State()), sigma);
    env_.Step(action);
  }
  return env_.KeepRatios();
}

std::string AmcPolicyTuner::Key(const std::vector<double>& actions) {
  env_.RunPolicy(actions);
  std::string key;
  for (int64_t w : env_.Widths()) key += std::to_string(w) + ",";
  return key;
}

std::vector<std::vector<double>> AmcPolicyTuner::Suggest(int count) {
  std::vector<std::vector<double>> out;
  for (int k = 0; k < count; ++k) {
    const int64_t index = next_index_++;
    std::vector<double> policy;
    for (int attempt = 0; attempt < kRedraws; ++attempt) {
      policy = Draw(index, attempt);
      if (!seen_.count(Key(policy))) break;
    }
    seen_.insert(Key(policy));
    out.push_back(std::move(policy));
  }
  return out;
}

void AmcPolicyTuner::Feed(const AmcFinishedTrial& trial) {
  if (!trial.value || !std::isfinite(*trial.value)) return;
  env_.Reset();
  std::vector<std::vector<float>> states;
  std::vector<double> applied;
  for (size_t t = 0; !env_.Done(); ++t) {
    states.push_back(env_.State());
    applied.push_back(env_.Step(t < trial.actions.size() ? trial.actions[t] : 1.0));
  }
  agent_->ddpg.EndEpisode(states, applied, options_.maximize ? *trial.value : -*trial.value);
}

void AmcPolicyTuner::Update(const std::vector<AmcFinishedTrial>& completed, const std::vector<AmcActiveTrial>& active) {
  int64_t first_active = std::numeric_limits<int64_t>::max();
  for (const AmcActiveTrial& a : active) {
    first_active = std::min(first_active, a.seq);
    next_index_ = std::max(next_index_, a.seq + 1);
    seen_.insert(Key(a.actions));
  }
  for (const AmcFinishedTrial& f : completed) {
    next_index_ = std::max(next_index_, f.seq + 1);
    seen_.insert(Key(f.actions));
    waiting_.push_back(f);
  }
  std::stable_sort(waiting_.begin(), waiting_.end(),
                   [](const AmcFinishedTrial& a, const AmcFinishedTrial& b) { return a.seq < b.seq; });
  size_t fed = 0;
  while (fed < waiting_.size() && waiting_[fed].seq < first_active) Feed(waiting_[fed++]);
  waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(fed));
}

}  // namespace hone::compress
