#include "compress/amc/ddpg_agent_torch.h"

#include <cassert>
#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace hone::compress {
namespace {

at::Tensor Row(const std::vector<float>& v) {
  return torch::tensor(v, torch::kFloat32).reshape({1, static_cast<int64_t>(v.size())});
}

void SoftUpdate(const std::vector<at::Tensor>& target, const std::vector<at::Tensor>& source, double tau) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < target.size(); ++i) target[i].mul_(1 - tau).add_(source[i], tau);
}

}  // namespace

std::vector<at::Tensor> DdpgAgent::Mlp::Parameters() const {
  std::vector<at::Tensor> out;
  for (size_t i = 0; i < weights.size(); ++i) {
    out.push_back(weights[i]);
    out.push_back(biases[i]);
  }
  return out;
}

// Layer i maps sizes[i] to sizes[i + 1]; the last one starts near zero (U(+-3e-3)).
DdpgAgent::Mlp DdpgAgent::NewMlp(const std::vector<int64_t>& sizes) {
  Mlp m;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    const double bound = i + 2 == sizes.size() ? 3e-3 : 1.0 / std::sqrt(static_cast<double>(sizes[i]));
    m.weights.push_back(torch::empty({sizes[i + 1], sizes[i]}).uniform_(-bound, bound, generator_).requires_grad_());
    m.biases.push_back(torch::empty({sizes[i + 1]}).uniform_(-bound, bound, generator_).requires_grad_());
  }
  return m;
}

DdpgAgent::DdpgAgent(int64_t state_size, const DdpgOptions& options)
    : options_(options), state_size_(state_size), generator_(at::make_generator<at::CPUGeneratorImpl>(options.seed)) {
  const int64_t h = options.hidden;
  actor_ = NewMlp({state_size, h, h, 1});
  // The critic's first layer reads the state and the action side by side.
  critic_ = NewMlp({state_size + 1, h, h, 1});
  auto copy = [](const Mlp& m) {
    Mlp c;
    for (const at::Tensor& w : m.weights) c.weights.push_back(w.detach().clone());
    for (const at::Tensor& b : m.biases) c.biases.push_back(b.detach().clone());
    return c;
  };
  actor_target_ = copy(actor_);
  critic_target_ = copy(critic_);
  actor_optimizer_ = std::make_unique<torch::optim::Adam>(actor_.Parameters(), torch::optim::AdamOptions(options.actor_lr));
  critic_optimizer_ =
      std::make_unique<torch::optim::Adam>(critic_.Parameters(), torch::optim::AdamOptions(options.critic_lr));
}

at::Tensor DdpgAgent::ActorForward(const Mlp& a, const at::Tensor& states) const {
  at::Tensor x = torch::relu(torch::linear(states, a.weights[0], a.biases[0]));
  x = torch::relu(torch::linear(x, a.weights[1], a.biases[1]));
  return torch::sigmoid(torch::linear(x, a.weights[2], a.biases[2]));
}

at::Tensor DdpgAgent::CriticForward(const Mlp& c, const at::Tensor& states, const at::Tensor& actions) const {
  at::Tensor x = torch::relu(torch::linear(torch::cat({states, actions}, 1), c.weights[0], c.biases[0]));
  x = torch::relu(torch::linear(x, c.weights[1], c.biases[1]));
  return torch::linear(x, c.weights[2], c.biases[2]);
}

double DdpgAgent::Uniform() { return torch::empty({1}).uniform_(0, 1, generator_).item<double>(); }

// Rejection sampling: with the mean in [0, 1] and sigma <= 0.5 at least 47% of draws land.
double DdpgAgent::TruncatedNormal(double mean, double sigma) {
  if (sigma <= 0) return mean;
  for (int i = 0; i < 1000; ++i) {
    const double x = mean + sigma * torch::empty({1}).normal_(0, 1, generator_).item<double>();
    if (x >= 0 && x <= 1) return x;
  }
  return std::clamp(mean, 0.0, 1.0);
}

double DdpgAgent::sigma() const {
  if (episodes_ < options_.warmup_episodes) return 0;
  return std::max(options_.min_sigma,
                  options_.init_sigma * std::pow(options_.sigma_decay, episodes_ - options_.warmup_episodes));
}

double DdpgAgent::Policy(const std::vector<float>& state) {
  torch::NoGradGuard no_grad;
  return ActorForward(actor_, Row(state)).item<double>();
}

double DdpgAgent::Act(const std::vector<float>& state) {
  if (episodes_ < options_.warmup_episodes) return Uniform();
  return TruncatedNormal(Policy(state), sigma());
}

void DdpgAgent::Store(const std::vector<std::vector<float>>& states, const std::vector<double>& actions,
                      double reward) {
  const int64_t steps = static_cast<int64_t>(states.size());
  if (capacity_ == 0) {
    capacity_ = std::max<int64_t>(1, options_.replay_episodes) * steps;
    states_ = torch::zeros({capacity_, state_size_});
    next_states_ = torch::zeros({capacity_, state_size_});
    actions_ = torch::zeros({capacity_, 1});
    rewards_ = torch::zeros({capacity_, 1});
    terminal_ = torch::zeros({capacity_, 1});
  }
  for (int64_t t = 0; t < steps; ++t) {
    const bool last = t + 1 == steps;
    states_[next_] = Row(states[static_cast<size_t>(t)])[0];
    next_states_[next_] = Row(states[static_cast<size_t>(last ? t : t + 1)])[0];
    actions_[next_][0] = actions[static_cast<size_t>(t)];
    rewards_[next_][0] = reward;
    terminal_[next_][0] = last ? 1.0 : 0.0;
    next_ = (next_ + 1) % capacity_;
    size_ = std::min(size_ + 1, capacity_);
  }
}

void DdpgAgent::EndEpisode(const std::vector<std::vector<float>>& states, const std::vector<double>& actions,
                           double reward) {
  assert(!states.empty() && states.size() == actions.size());
  Store(states, actions, reward);
  ++episodes_;
  if (episodes_ < options_.warmup_episodes) return;
  for (size_t t = 0; t < states.size(); ++t) Update();
}

void DdpgAgent::Update() {
  const at::Tensor idx = torch::randint(size_, {std::min(options_.batch_size, size_)}, generator_, torch::kLong);
  const at::Tensor s = states_.index_select(0, idx), a = actions_.index_select(0, idx);
  const at::Tensor s2 = next_states_.index_select(0, idx), done = terminal_.index_select(0, idx);
  at::Tensor r = rewards_.index_select(0, idx);
  const double mean = r.mean().item<double>();
  baseline_ = have_baseline_ ? baseline_ + options_.baseline_alpha * (mean - baseline_) : mean;
  have_baseline_ = true;
  r = r - baseline_;
  at::Tensor target;
  {
    torch::NoGradGuard no_grad;
    const at::Tensor next_q = CriticForward(critic_target_, s2, ActorForward(actor_target_, s2));
    target = r + options_.discount * (1 - done) * next_q;
  }
  critic_optimizer_->zero_grad();
  torch::mse_loss(CriticForward(critic_, s, a), target).backward();
  critic_optimizer_->step();

  actor_optimizer_->zero_grad();
  (-CriticForward(critic_, s, ActorForward(actor_, s)).mean()).backward();
  actor_optimizer_->step();

  SoftUpdate(actor_target_.Parameters(), actor_.Parameters(), options_.tau);
  SoftUpdate(critic_target_.Parameters(), critic_.Parameters(), options_.tau);
}

}  // namespace hone::compress
