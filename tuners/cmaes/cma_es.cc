#include "tuners/cmaes/cma_es.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hone {

int CmaEs::DefaultPopulation(int n) {
  return 4 + static_cast<int>(std::floor(3 * std::log(std::max(n, 1))));
}

CmaEs::CmaEs(Eigen::VectorXd mean, double sigma, int lambda)
    : mean_(std::move(mean)), sigma_(sigma), lambda_(lambda) {
  const int n = dims();
  c_ = Eigen::MatrixXd::Identity(n, n);
  b_ = Eigen::MatrixXd::Identity(n, n);
  d_ = Eigen::VectorXd::Ones(n);
  pc_ = Eigen::VectorXd::Zero(n);
  ps_ = Eigen::VectorXd::Zero(n);
}

Eigen::VectorXd CmaEs::SampleOne(std::mt19937_64& rng) const {
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::VectorXd z(dims());
  for (int i = 0; i < dims(); ++i) z[i] = normal(rng);
  return mean_ + sigma_ * (b_ * d_.cwiseProduct(z));
}

std::vector<Eigen::VectorXd> CmaEs::Ask(std::mt19937_64& rng) const {
  std::vector<Eigen::VectorXd> out;
  for (int k = 0; k < lambda_; ++k) out.push_back(SampleOne(rng));
  return out;
}

void CmaEs::Tell(const std::vector<Eigen::VectorXd>& xs, const std::vector<double>& values) {
  const int n = dims();
  const int count = static_cast<int>(xs.size());
  if (count < 2 || n == 0) {
    ++generation_;
    return;
  }
  std::vector<int> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    bool na = std::isnan(values[a]), nb = std::isnan(values[b]);
    if (na || nb) return !na && nb;
    return values[a] < values[b];
  });

  // Strategy parameters from the tutorial (Hansen 2016), for this generation's size.
  const int mu = count / 2;
  Eigen::VectorXd w(mu);
  for (int i = 0; i < mu; ++i) w[i] = std::log((count + 1) / 2.0) - std::log(i + 1.0);
  w /= w.sum();
  const double mueff = 1.0 / w.squaredNorm();
  const double cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n);
  const double cs = (mueff + 2) / (n + mueff + 5);
  const double c1 = 2 / ((n + 1.3) * (n + 1.3) + mueff);
  const double cmu = std::min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((n + 2) * (n + 2) + mueff));
  const double damps = 1 + 2 * std::max(0.0, std::sqrt((mueff - 1) / (n + 1)) - 1) + cs;
  const double chi_n = std::sqrt(n) * (1 - 1.0 / (4 * n) + 1.0 / (21.0 * n * n));

  Eigen::VectorXd old = mean_;
  mean_.setZero();
  for (int i = 0; i < mu; ++i) mean_ += w[i] * xs[order[i]];
  Eigen::VectorXd step = (mean_ - old) / sigma_;

  Eigen::MatrixXd inv_sqrt = b_ * d_.cwiseInverse().asDiagonal() * b_.transpose();
  ps_ = (1 - cs) * ps_ + std::sqrt(cs * (2 - cs) * mueff) * (inv_sqrt * step);
  const double ps_norm = ps_.norm();
  const bool hsig =
      ps_norm / std::sqrt(1 - std::pow(1 - cs, 2.0 * (generation_ + 1))) / chi_n < 1.4 + 2.0 / (n + 1);
  pc_ = (1 - cc) * pc_ + (hsig ? std::sqrt(cc * (2 - cc) * mueff) : 0.0) * step;

  Eigen::MatrixXd rank_mu = Eigen::MatrixXd::Zero(n, n);
  for (int i = 0; i < mu; ++i) {
    Eigen::VectorXd y = (xs[order[i]] - old) / sigma_;
    rank_mu += w[i] * y * y.transpose();
  }
  c_ = (1 - c1 - cmu) * c_ + c1 * (pc_ * pc_.transpose() + (hsig ? 0.0 : cc * (2 - cc)) * c_) +
       cmu * rank_mu;
  sigma_ *= std::exp((cs / damps) * (ps_norm / chi_n - 1));
  sigma_ = std::clamp(sigma_, 1e-12, 1e3);
  ++generation_;
  Decompose();
}

void CmaEs::Decompose() {
  Eigen::MatrixXd sym = 0.5 * (c_ + c_.transpose());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(sym);
  if (eig.info() != Eigen::Success) return;
  b_ = eig.eigenvectors();
  d_ = eig.eigenvalues().cwiseMax(1e-20).cwiseSqrt();
  c_ = b_ * d_.cwiseAbs2().asDiagonal() * b_.transpose();
}

}  // namespace hone
