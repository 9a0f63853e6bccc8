#include "tuners/tpe/parzen_estimator.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace hone {
namespace {

constexpr double kLogSqrt2Pi = 0.91893853320467274178;
constexpr double kSqrt2Pi = 2.50662827463100050242;
// Components further than this many bandwidths from x add under exp(-18) of their peak.
constexpr double kWindow = 6.0;

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Mass of N(mu, sigma) inside [low, high]; 1 when both bounds are far away.
double TruncMass(double mu, double sigma, double low, double high) {
  double a = (low - mu) / sigma, b = (high - mu) / sigma;
  if (a < -8 && b > 8) return 1.0;
  return std::max(std::exp(LogNormalMass(a, b)), 1e-300);
}

size_t PickComponent(const std::vector<double>& cum, std::mt19937_64& rng) {
  double u = std::uniform_real_distribution<double>(0, cum.back())(rng);
  size_t i = std::upper_bound(cum.begin(), cum.end(), u) - cum.begin();
  return std::min(i, cum.size() - 1);
}

double TruncatedNormal(double mu, double sigma, double low, double high, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(mu, sigma);
  for (int i = 0; i < 64; ++i) {
    double x = normal(rng);
    if (x >= low && x <= high) return x;
  }
  // Almost all mass outside the support: fall back to a uniform draw inside it.
  if (std::isfinite(low) && std::isfinite(high)) return std::uniform_real_distribution<double>(low, high)(rng);
  return std::clamp(mu, low, high);
}

// log(sum exp(t)) accumulated one term at a time, rescaled when a larger term arrives:
// no buffer of terms on the scoring path.
class LogSumExp {
 public:
  void Add(double t) {
    if (t == -std::numeric_limits<double>::infinity()) return;  // adds nothing
    if (t <= max_) {
      sum_ += std::exp(t - max_);
    } else {
      sum_ = sum_ * std::exp(max_ - t) + 1.0;
      max_ = t;
    }
  }
  double max() const { return max_; }
  double Value() const { return max_ + std::log(sum_); }

 private:
  double max_ = -std::numeric_limits<double>::infinity();
  double sum_ = 0;
};

}  // namespace

double LogNormalMass(double a, double b) {
  if (a > 0) return LogNormalMass(-b, -a);  // the upper tail by symmetry, for precision
  double p = Phi(b) - Phi(a);
  return std::log(std::max(p, 1e-300));
}

ParzenEstimator::ParzenEstimator(std::span<const double> mus, std::span<const double> weights,
                                 const ParzenPrior& prior, double prior_weight, KernelHeight height)
    : prior_(prior) {
  assert(mus.size() == weights.size());
  size_t n = mus.size() + 1;
  size_t prior_pos = std::upper_bound(mus.begin(), mus.end(), prior.mu) - mus.begin();
  mu_.reserve(n);
  std::vector<double> w;
  w.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (i == prior_pos) {
      mu_.push_back(prior.mu);
      w.push_back(prior_weight);
    } else {
      size_t j = i < prior_pos ? i : i - 1;
      mu_.push_back(mus[j]);
      w.push_back(weights[j]);
    }
  }
  double max_sigma = prior.sigma;
  double min_sigma = prior.sigma / std::min(100.0, static_cast<double>(n) + 1);
  sigma_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (i == prior_pos) {
      sigma_[i] = prior.sigma;
      continue;
    }
    double left = i > 0 ? mu_[i] - mu_[i - 1] : 0;
    double right = i + 1 < n ? mu_[i + 1] - mu_[i] : 0;
    sigma_[i] = std::clamp(std::max(left, right), min_sigma, max_sigma);
  }
  double total = 0;
  for (double x : w) total += x;
  coef_.resize(n);
  mass_coef_.resize(n);
  cum_weight_.resize(n);
  double cum = 0;
  for (size_t i = 0; i < n; ++i) {
    double z = TruncMass(mu_[i], sigma_[i], prior.low, prior.high);
    double width = height == KernelHeight::kDensity ? sigma_[i] : 1.0;
    coef_[i] = w[i] / total / (z * width * kSqrt2Pi);
    mass_coef_[i] = w[i] / total / z;
    cum += w[i];
    cum_weight_[i] = cum;
  }
  MergeEqualKernels();
  // Most bandwidths sit at the clip minimum; the widest tenth are summed in full and the
  // rest only inside a window around x.
  std::vector<double> sorted_sigma = sigma_;
  size_t k = sorted_sigma.size() * 9 / 10;
  std::nth_element(sorted_sigma.begin(), sorted_sigma.begin() + k, sorted_sigma.end());
  tau_ = sorted_sigma[k];
  for (size_t i = 0; i < n; ++i) {
    if (sigma_[i] > tau_) {
      wide_.push_back(static_cast<uint32_t>(i));
    } else {
      narrow_mu_.push_back(mu_[i]);
      narrow_inv_sigma_.push_back(1.0 / sigma_[i]);
      narrow_coef_.push_back(coef_[i]);
    }
  }
}

void ParzenEstimator::MergeEqualKernels() {
  // mu_ is sorted, so equal means are adjacent; within a run of equal means, merge equal
  // bandwidths (a run has few: the clip minimum and the gaps at its ends).
  const size_t n = mu_.size();
  for (size_t i = 0; i < n;) {
    size_t end = i;
    while (end < n && mu_[end] == mu_[i]) ++end;
    size_t first = merged_mu_.size();
    for (size_t j = i; j < end; ++j) {
      double inv = 1.0 / sigma_[j];
      size_t k = first;
      while (k < merged_mu_.size() && merged_inv_sigma_[k] != inv) ++k;
      if (k == merged_mu_.size()) {
        merged_mu_.push_back(mu_[j]);
        merged_inv_sigma_.push_back(inv);
        merged_log_coef_.push_back(0);  // a sum of coefficients until the loop below
      }
      merged_log_coef_[k] += mass_coef_[j];
    }
    i = end;
  }
  for (double& c : merged_log_coef_) c = std::log(c);
}

double ParzenEstimator::LogPdf(double x) const {
  if (x < prior_.low || x > prior_.high) return -std::numeric_limits<double>::infinity();
  double p = 0;
  for (uint32_t i : wide_) {
    double z = (x - mu_[i]) / sigma_[i];
    p += coef_[i] * std::exp(-0.5 * z * z);
  }
  double reach = kWindow * tau_;
  size_t lo = std::lower_bound(narrow_mu_.begin(), narrow_mu_.end(), x - reach) - narrow_mu_.begin();
  for (size_t i = lo; i < narrow_mu_.size() && narrow_mu_[i] <= x + reach; ++i) {
    double z = (x - narrow_mu_[i]) * narrow_inv_sigma_[i];
    p += narrow_coef_[i] * std::exp(-0.5 * z * z);
  }
  if (p > 1e-250) return std::log(p);
  return FullLogPdf(x);
}

double ParzenEstimator::FullLogPdf(double x) const {
  double best = -std::numeric_limits<double>::infinity();
  std::vector<double> terms(mu_.size());
  for (size_t i = 0; i < mu_.size(); ++i) {
    double z = (x - mu_[i]) / sigma_[i];
    terms[i] = std::log(coef_[i]) - 0.5 * z * z;
    best = std::max(best, terms[i]);
  }
  double s = 0;
  for (double t : terms) s += std::exp(t - best);
  return best + std::log(s);
}

double ParzenEstimator::LogMass(double lo, double hi) const {
  lo = std::max(lo, prior_.low);
  hi = std::min(hi, prior_.high);
  if (!(lo < hi)) return -std::numeric_limits<double>::infinity();
  // Log-sum-exp over the components: a bin far from every component still gets a finite,
  // comparable score.
  LogSumExp sum;
  for (size_t i = 0; i < merged_mu_.size(); ++i) {
    double is = merged_inv_sigma_[i];
    sum.Add(merged_log_coef_[i] + LogNormalMass((lo - merged_mu_[i]) * is, (hi - merged_mu_[i]) * is));
  }
  return sum.Value();
}

double ParzenEstimator::Sample(std::mt19937_64& rng) const {
  size_t i = PickComponent(cum_weight_, rng);
  return TruncatedNormal(mu_[i], sigma_[i], prior_.low, prior_.high, rng);
}

MultivariateParzenEstimator::MultivariateParzenEstimator(std::span<const double> mus,
                                                         std::span<const double> weights,
                                                         std::span<const ParzenPrior> priors,
                                                         double prior_weight, KernelHeight height)
    : priors_(priors.begin(), priors.end()) {
  size_t d = priors_.size();
  assert(d > 0 && mus.size() == weights.size() * d);
  n_ = weights.size() + 1;
  double nd = static_cast<double>(n_);
  std::vector<double> sigma(d);
  for (size_t k = 0; k < d; ++k) {
    double scott = 0.2 * std::pow(nd, -1.0 / (static_cast<double>(d) + 4)) * priors_[k].sigma;
    sigma[k] = std::max(scott, priors_[k].sigma / std::min(100.0, nd + 1));
  }
  mu_.resize(n_ * d);
  inv_sigma_.resize(n_ * d);
  log_norm_.resize(n_);
  log_trunc_.resize(n_ * d);
  log_height_.resize(n_ * d);
  cum_weight_.resize(n_);
  double total = prior_weight;
  for (double w : weights) total += w;
  double cum = 0;
  for (size_t j = 0; j < n_; ++j) {
    bool is_prior = j + 1 == n_;
    double w = is_prior ? prior_weight : weights[j];
    double log_norm = std::log(w / total);
    for (size_t k = 0; k < d; ++k) {
      double m = is_prior ? priors_[k].mu : mus[j * d + k];
      double s = is_prior ? priors_[k].sigma : sigma[k];
      mu_[j * d + k] = m;
      inv_sigma_[j * d + k] = 1.0 / s;
      log_trunc_[j * d + k] = std::log(TruncMass(m, s, priors_[k].low, priors_[k].high));
      log_height_[j * d + k] = (height == KernelHeight::kDensity ? std::log(s) : 0.0) + kLogSqrt2Pi;
      log_norm -= log_trunc_[j * d + k] + log_height_[j * d + k];
    }
    log_norm_[j] = log_norm;
    cum += w;
    cum_weight_[j] = cum;
  }
  scratch_.resize(n_);
}

double MultivariateParzenEstimator::LogPdf(std::span<const double> x) const {
  size_t d = priors_.size();
  for (size_t k = 0; k < d; ++k)
    if (x[k] < priors_[k].low || x[k] > priors_[k].high) return -std::numeric_limits<double>::infinity();
  double best = -std::numeric_limits<double>::infinity();
  for (size_t j = 0; j < n_; ++j) {
    const double* m = &mu_[j * d];
    const double* is = &inv_sigma_[j * d];
    double q = 0;
    for (size_t k = 0; k < d; ++k) {
      double z = (x[k] - m[k]) * is[k];
      q += z * z;
    }
    scratch_[j] = log_norm_[j] - 0.5 * q;
    best = std::max(best, scratch_[j]);
  }
  // Terms 40 nats below the largest add under 1e-17 of it: most components of a long
  // history are that far from x, and skipping their exp is most of the cost.
  double cutoff = best - 40;
  double s = 0;
  for (size_t j = 0; j < n_; ++j)
    if (scratch_[j] > cutoff) s += std::exp(scratch_[j] - best);
  return best + std::log(s);
}

double MultivariateParzenEstimator::LogScore(std::span<const double> x, std::span<const ParzenBin> bins) const {
  size_t d = priors_.size();
  bool any = false;
  for (size_t k = 0; k < d; ++k) any = any || bins[k].active;
  if (!any) return LogPdf(x);
  for (size_t k = 0; k < d; ++k)
    if (x[k] < priors_[k].low || x[k] > priors_[k].high) return -std::numeric_limits<double>::infinity();
  // A bin's mass is at most 1, so a component's term is at most its density part plus
  // log_height per binned dimension. Components whose bound is 40 nats below the best
  // exact term found add nothing measurable: their masses (the costly part) are skipped.
  std::vector<double>& bound = scratch_;
  size_t top = 0;
  for (size_t j = 0; j < n_; ++j) {
    const double* m = &mu_[j * d];
    const double* is = &inv_sigma_[j * d];
    double t = log_norm_[j];
    for (size_t k = 0; k < d; ++k) {
      if (bins[k].active) {
        t += log_height_[j * d + k];
      } else {
        double z = (x[k] - m[k]) * is[k];
        t -= 0.5 * z * z;
      }
    }
    bound[j] = t;
    if (t > bound[top]) top = j;
  }
  auto exact = [&](size_t j) {
    const double* m = &mu_[j * d];
    const double* is = &inv_sigma_[j * d];
    double t = bound[j];
    for (size_t k = 0; k < d; ++k) {
      if (!bins[k].active) continue;
      double lo = std::max(bins[k].lo, priors_[k].low), hi = std::min(bins[k].hi, priors_[k].high);
      t += LogNormalMass((lo - m[k]) * is[k], (hi - m[k]) * is[k]);
    }
    return t;
  };
  LogSumExp sum;
  sum.Add(exact(top));
  for (size_t j = 0; j < n_; ++j) {
    if (j == top || bound[j] < sum.max() - 40) continue;
    sum.Add(exact(j));
  }
  return sum.Value();
}

void MultivariateParzenEstimator::Sample(std::mt19937_64& rng, std::span<double> out) const {
  size_t d = priors_.size();
  size_t j = PickComponent(cum_weight_, rng);
  for (size_t k = 0; k < d; ++k)
    out[k] = TruncatedNormal(mu_[j * d + k], 1.0 / inv_sigma_[j * d + k], priors_[k].low, priors_[k].high, rng);
}

}  // namespace hone
