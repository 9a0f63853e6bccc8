// CmaEs: Hansen's (mu/mu_w, lambda) CMA-ES on R^n with rank-one and rank-mu covariance
// updates and cumulative step-size adaptation (CSA), as an ask/tell pair on vectors.
// Minimizes. Sampling takes the caller's RNG, so a generation is reproducible.
//
//   CmaEs es(mean, 0.3, CmaEs::DefaultPopulation(n));
//   auto xs = es.Ask(rng);          // lambda points
//   es.Tell(xs, values);            // any number >= 2 of evaluated points
#pragma once

#include <random>
#include <vector>

#include <Eigen/Dense>

namespace hone {

class CmaEs {
 public:
  // 4 + floor(3 ln n).
  static int DefaultPopulation(int n);

  // REQUIRES: sigma > 0, lambda >= 2.
  CmaEs(Eigen::VectorXd mean, double sigma, int lambda);

  int dims() const { return static_cast<int>(mean_.size()); }
  int lambda() const { return lambda_; }
  int generation() const { return generation_; }
  double sigma() const { return sigma_; }
  const Eigen::VectorXd& mean() const { return mean_; }

  // One draw from N(mean, sigma^2 C).
  Eigen::VectorXd SampleOne(std::mt19937_64& rng) const;
  std::vector<Eigen::VectorXd> Ask(std::mt19937_64& rng) const;
  // Updates the distribution from evaluated points (values: lower is better; NaN is
  // ranked last). Points need not come from Ask (repaired ones are fine).
  void Tell(const std::vector<Eigen::VectorXd>& xs, const std::vector<double>& values);

 private:
  void Decompose();

  Eigen::VectorXd mean_;
  double sigma_;
  int lambda_;
  int generation_ = 0;
  Eigen::MatrixXd c_, b_;  // covariance; its eigenvectors
  Eigen::VectorXd d_;      // square roots of its eigenvalues
  Eigen::VectorXd pc_, ps_;
};

}  // namespace hone
