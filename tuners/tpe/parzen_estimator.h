// Parzen estimators for TPE: mixtures of (truncated) Gaussians in a parameter's warped
// space (log kinds in log space), one component per observation plus a prior component.
// ParzenEstimator is the one-dimensional mixture with hyperopt's adaptive bandwidths;
// MultivariateParzenEstimator is Optuna's joint kernel over several numeric dimensions.
#pragma once

#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <vector>

namespace hone {

// The prior component and the support of one dimension, in warped space. Bounded kinds
// use mu = mid-range, sigma = range; normal kinds their N(mu, sigma), unbounded.
struct ParzenPrior {
  double mu = 0, sigma = 1;
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
};

class ParzenEstimator {
 public:
  // REQUIRES: `mus` ascending, weights.size() == mus.size(), weights > 0, prior_weight > 0.
  // Each observation's bandwidth is the larger gap to its neighbours (the prior's mean
  // counted as a point), clipped to [prior.sigma / min(100, n + 1), prior.sigma].
  ParzenEstimator(std::span<const double> mus, std::span<const double> weights,
                  const ParzenPrior& prior, double prior_weight);

  // Log density at `x` (the mixture integrates to 1 over [low, high]).
  double LogPdf(double x) const;
  // A draw from the mixture, inside [low, high].
  double Sample(std::mt19937_64& rng) const;
  size_t size() const { return mu_.size(); }

 private:
  double FullLogPdf(double x) const;

  ParzenPrior prior_;
  // All components, sorted by mu; coef = weight / (Z * sigma * sqrt(2 pi)).
  std::vector<double> mu_, sigma_, coef_, cum_weight_;
  // Components narrower than tau_, in mu order, for a windowed sum; the rest are wide.
  std::vector<double> narrow_mu_, narrow_inv_sigma_, narrow_coef_;
  std::vector<uint32_t> wide_;
  double tau_ = 0;
};

class MultivariateParzenEstimator {
 public:
  // `mus` holds n points of priors.size() dims, row-major. Bandwidth per dimension is
  // Scott's rule as Optuna's multivariate TPE: 0.2 * n^(-1/(d+4)) * prior sigma, at least
  // prior sigma / min(100, n + 1); the prior component uses the prior sigmas.
  MultivariateParzenEstimator(std::span<const double> mus, std::span<const double> weights,
                              std::span<const ParzenPrior> priors, double prior_weight);

  double LogPdf(std::span<const double> x) const;
  void Sample(std::mt19937_64& rng, std::span<double> out) const;
  size_t dims() const { return priors_.size(); }

 private:
  std::vector<ParzenPrior> priors_;
  size_t n_ = 0;                      // components, the prior last
  std::vector<double> mu_;            // n x d
  std::vector<double> inv_sigma_;     // n x d
  std::vector<double> log_norm_;      // n: log weight - sum log(Z sigma sqrt(2 pi))
  std::vector<double> cum_weight_;
  mutable std::vector<double> scratch_;
};

// Log of the standard normal CDF difference P(a <= Z <= b), stable in the tails.
double LogNormalMass(double a, double b);

}  // namespace hone
