#include "tuners/ppo/categorical_policy.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hone {
namespace {

// PPO2's Adam settings (baselines' ppo2 uses eps 1e-5).
constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kAdamEps = 1e-5;

}  // namespace

CategoricalPolicy::CategoricalPolicy(const std::vector<int>& action_counts) {
  for (int n : action_counts) {
    logits_.push_back(Eigen::VectorXd::Zero(n));
    m_.push_back(Eigen::VectorXd::Zero(n));
    v_.push_back(Eigen::VectorXd::Zero(n));
  }
}

Eigen::VectorXd CategoricalPolicy::Probs(int decision, double temperature) const {
  Eigen::VectorXd z = logits_[decision] / temperature;
  Eigen::VectorXd e = (z.array() - z.maxCoeff()).exp();
  return e / e.sum();
}

double CategoricalPolicy::LogProb(int decision, int action) const {
  const Eigen::VectorXd& z = logits_[decision];
  double max = z.maxCoeff();
  return z[action] - max - std::log((z.array() - max).exp().sum());
}

int CategoricalPolicy::Sample(int decision, double temperature, std::mt19937_64& rng) const {
  Eigen::VectorXd p = Probs(decision, temperature);
  double u = std::uniform_real_distribution<double>(0, 1)(rng);
  for (int i = 0; i < p.size(); ++i) {
    u -= p[i];
    if (u < 0) return i;
  }
  return static_cast<int>(p.size()) - 1;
}

std::vector<Eigen::VectorXd> CategoricalPolicy::Gradient(const std::vector<const TrainStep*>& steps,
                                                         const PpoOptions& options) const {
  std::vector<Eigen::VectorXd> grad;
  for (const auto& z : logits_) grad.push_back(Eigen::VectorXd::Zero(z.size()));
  if (steps.empty()) return grad;
  double scale = 1.0 / static_cast<double>(steps.size());
  for (const TrainStep* s : steps) {
    Eigen::VectorXd p = Probs(s->decision);
    Eigen::VectorXd& g = grad[s->decision];
    // Surrogate: -min(ratio * A, clip(ratio) * A); no gradient where the clipped term wins.
    double ratio = std::exp(LogProb(s->decision, s->action) - s->old_log_prob);
    double a = s->advantage;
    bool clipped = (a > 0 && ratio > 1 + options.cliprange) || (a < 0 && ratio < 1 - options.cliprange);
    if (!clipped) {
      Eigen::VectorXd dlogp = -p;
      dlogp[s->action] += 1;
      g -= scale * a * ratio * dlogp;
    }
    // Entropy bonus: d(-H)/dz_k = p_k (log p_k + H).
    if (options.ent_coef > 0) {
      Eigen::ArrayXd logp = p.array().max(1e-300).log();
      double h = -(p.array() * logp).sum();
      g += scale * options.ent_coef * (p.array() * (logp + h)).matrix();
    }
  }
  return grad;
}

void CategoricalPolicy::AdamStep(std::vector<Eigen::VectorXd>& grad, const PpoOptions& options) {
  double norm2 = 0;
  for (const auto& g : grad) norm2 += g.squaredNorm();
  double norm = std::sqrt(norm2);
  if (options.max_grad_norm > 0 && norm > options.max_grad_norm)
    for (auto& g : grad) g *= options.max_grad_norm / norm;
  ++adam_steps_;
  double c1 = 1 - std::pow(kBeta1, static_cast<double>(adam_steps_));
  double c2 = 1 - std::pow(kBeta2, static_cast<double>(adam_steps_));
  for (size_t d = 0; d < logits_.size(); ++d) {
    m_[d] = kBeta1 * m_[d] + (1 - kBeta1) * grad[d];
    v_[d] = kBeta2 * v_[d] + (1 - kBeta2) * grad[d].cwiseProduct(grad[d]);
    Eigen::ArrayXd step = (m_[d].array() / c1) / ((v_[d].array() / c2).sqrt() + kAdamEps);
    logits_[d] -= options.lr * step.matrix();
  }
}

void CategoricalPolicy::Train(const std::vector<std::vector<TrainStep>>& trials, const PpoOptions& options,
                              std::mt19937_64& rng) {
  std::vector<size_t> order(trials.size());
  size_t per_batch = static_cast<size_t>(std::max(1, options.minibatch_size));
  for (int epoch = 0; epoch < options.epochs_per_update; ++epoch) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t start = 0; start < order.size(); start += per_batch) {
      std::vector<const TrainStep*> steps;
      for (size_t i = start; i < std::min(order.size(), start + per_batch); ++i)
        for (const TrainStep& s : trials[order[i]]) steps.push_back(&s);
      std::vector<Eigen::VectorXd> grad = Gradient(steps, options);
      AdamStep(grad, options);
    }
  }
}

}  // namespace hone
