#include "tuners/tpe/tpe_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

namespace hone {
namespace {

constexpr double kMaxBelow = 25;
constexpr double kDenseCategories = 1 << 16;

// The grid value a continuous draw rounds to, back in warped space.
double Requantize(const TpeHistory::Dim& dim, double x) {
  return TpeHistory::Warp(dim, TpeHistory::Unwarp(dim, x));
}

}  // namespace

size_t NumBelow(size_t n, const TpeModelOptions& options) {
  if (n == 0) return 0;
  double nd = static_cast<double>(n);
  double k = options.gamma_rule == GammaRule::kSqrt ? std::ceil(options.gamma * std::sqrt(nd))
                                                    : std::ceil(options.gamma * nd);
  k = std::clamp(k, 1.0, std::min(kMaxBelow, nd));
  return static_cast<size_t>(k);
}

double ForgettingWeight(size_t rank, size_t n, int lf) {
  size_t flat = static_cast<size_t>(std::max(lf, 0));
  if (lf <= 0 || n <= flat || rank >= n - flat) return 1.0;
  size_t ramp = n - flat;  // observations on the ramp, rank 0 .. ramp-1
  double lo = 1.0 / static_cast<double>(n);
  if (ramp == 1) return lo;
  return lo + (1.0 - lo) * static_cast<double>(rank) / static_cast<double>(ramp - 1);
}

nlohmann::json TpeSampler::Sample(std::mt19937_64& rng) const { return SampleGroup(0, rng); }

nlohmann::json TpeSampler::SampleGroup(int group, std::mt19937_64& rng) const {
  const TpeHistory::Group& g = history_.groups()[group];
  const auto& scores = history_.scores();
  size_t n = g.members.size();
  std::vector<char> below(n, 0);
  std::vector<double> weights(n, 1.0);
  if (n > 0) {
    size_t nb = NumBelow(n, options_);
    std::vector<uint32_t> pos(n);
    std::iota(pos.begin(), pos.end(), 0);
    auto better = [&](uint32_t a, uint32_t b) { return scores[g.members[a]] < scores[g.members[b]]; };
    std::nth_element(pos.begin(), pos.begin() + (nb - 1), pos.end(), better);
    for (size_t i = 0; i < nb; ++i) below[pos[i]] = 1;
    size_t rb = 0, ra = 0;
    for (size_t p = 0; p < n; ++p) {
      weights[p] = below[p] ? ForgettingWeight(rb++, nb, options_.linear_forgetting)
                            : ForgettingWeight(ra++, n - nb, options_.linear_forgetting);
    }
  }

  std::vector<double> chosen(g.dims.size(), 0);
  std::vector<size_t> numeric;
  for (size_t i = 0; i < g.dims.size(); ++i) {
    if (g.dims[i].categorical) {
      chosen[i] = SampleCategorical(g.dims[i], below, weights, rng);
    } else {
      numeric.push_back(i);
    }
  }
  if (options_.multivariate && numeric.size() >= 2) {
    std::vector<double> x = SampleJoint(g, numeric, below, weights, rng);
    for (size_t k = 0; k < numeric.size(); ++k) chosen[numeric[k]] = x[k];
  } else {
    for (size_t i : numeric) chosen[i] = SampleNumeric(g.dims[i], below, weights, rng);
  }

  auto out = nlohmann::json::object();
  for (size_t i = 0; i < g.dims.size(); ++i) {
    const TpeHistory::Dim& d = g.dims[i];
    if (!d.children.empty()) {
      size_t option = static_cast<size_t>(chosen[i]);
      nlohmann::json sub = SampleGroup(d.children[option], rng);
      sub["_name"] = d.spec->options[option];
      out[d.spec->name] = std::move(sub);
    } else {
      out[d.spec->name] = TpeHistory::Unwarp(d, chosen[i]);
    }
  }
  return out;
}

double TpeSampler::SampleNumeric(const TpeHistory::Dim& dim, const std::vector<char>& below,
                                 const std::vector<double>& weights, std::mt19937_64& rng) const {
  std::vector<std::pair<double, double>> low_obs;  // (value, weight), below the split
  std::vector<double> high_mus, high_w;
  high_mus.reserve(dim.by_value.size());
  high_w.reserve(dim.by_value.size());
  for (uint32_t p : dim.by_value) {
    if (below[p]) {
      low_obs.emplace_back(dim.values[p], weights[p]);
    } else {
      high_mus.push_back(dim.values[p]);
      high_w.push_back(weights[p]);
    }
  }
  std::vector<double> low_mus, low_w;
  for (const auto& [v, w] : low_obs) {  // by_value order: already ascending
    low_mus.push_back(v);
    low_w.push_back(w);
  }
  KernelHeight height = options_.normalized_kernels ? KernelHeight::kDensity : KernelHeight::kPeak;
  ParzenEstimator l(low_mus, low_w, dim.prior, options_.prior_weight, height);
  ParzenEstimator h(high_mus, high_w, dim.prior, options_.prior_weight, height);
  double best_x = dim.prior.mu, best = -std::numeric_limits<double>::infinity();
  for (int c = 0; c < options_.n_ei_candidates; ++c) {
    double x = l.Sample(rng);
    double score;
    if (dim.binned) {
      x = Requantize(dim, x);
      ParzenBin bin = TpeHistory::BinOf(dim, x);
      score = l.LogMass(bin.lo, bin.hi) - h.LogMass(bin.lo, bin.hi);
    } else {
      score = l.LogPdf(x) - h.LogPdf(x);
    }
    if (score > best || c == 0) {
      best = score;
      best_x = x;
    }
  }
  return best_x;
}

std::vector<double> TpeSampler::SampleJoint(const TpeHistory::Group& group, const std::vector<size_t>& dims,
                                            const std::vector<char>& below, const std::vector<double>& weights,
                                            std::mt19937_64& rng) const {
  size_t d = dims.size();
  std::vector<ParzenPrior> priors;
  for (size_t i : dims) priors.push_back(group.dims[i].prior);
  std::vector<double> low_mus, low_w, high_mus, high_w;
  for (size_t p = 0; p < below.size(); ++p) {
    auto& mus = below[p] ? low_mus : high_mus;
    (below[p] ? low_w : high_w).push_back(weights[p]);
    for (size_t i : dims) mus.push_back(group.dims[i].values[p]);
  }
  KernelHeight height = options_.normalized_kernels ? KernelHeight::kDensity : KernelHeight::kPeak;
  MultivariateParzenEstimator l(low_mus, low_w, priors, options_.prior_weight, height);
  MultivariateParzenEstimator h(high_mus, high_w, priors, options_.prior_weight, height);
  std::vector<double> x(d), best_x(d);
  std::vector<ParzenBin> bins(d);
  double best = -std::numeric_limits<double>::infinity();
  for (int c = 0; c < options_.n_ei_candidates; ++c) {
    l.Sample(rng, x);
    for (size_t k = 0; k < d; ++k) {
      const TpeHistory::Dim& dim = group.dims[dims[k]];
      if (!dim.binned) continue;
      x[k] = Requantize(dim, x[k]);
      bins[k] = TpeHistory::BinOf(dim, x[k]);
    }
    double score = l.LogScore(x, bins) - h.LogScore(x, bins);
    if (score > best || c == 0) {
      best = score;
      best_x = x;
    }
  }
  return best_x;
}

double TpeSampler::SampleCategorical(const TpeHistory::Dim& dim, const std::vector<char>& below,
                                     const std::vector<double>& weights, std::mt19937_64& rng) const {
  // l(c) = (weight of below observations at c + prior_weight / K) / (their total + prior_weight),
  // g(c) alike over the rest: a smoothed histogram as hyperopt and Optuna use.
  double k = dim.categories;
  double pw = options_.prior_weight;
  bool dense = k <= kDenseCategories;
  std::vector<double> low_dense(dense ? static_cast<size_t>(k) : 0), high_dense(low_dense.size());
  std::unordered_map<int64_t, double> low_sparse, high_sparse;
  std::vector<double> low_values, low_cum;
  double low_total = 0, high_total = 0;
  for (size_t p = 0; p < below.size(); ++p) {
    double v = dim.values[p];
    double w = weights[p];
    if (below[p]) {
      low_total += w;
      low_values.push_back(v);
      low_cum.push_back(low_total);
      if (dense) low_dense[static_cast<size_t>(v)] += w; else low_sparse[static_cast<int64_t>(v)] += w;
    } else {
      high_total += w;
      if (dense) high_dense[static_cast<size_t>(v)] += w; else high_sparse[static_cast<int64_t>(v)] += w;
    }
  }
  auto count = [&](bool low, double c) {
    if (dense) return (low ? low_dense : high_dense)[static_cast<size_t>(c)];
    auto& m = low ? low_sparse : high_sparse;
    auto it = m.find(static_cast<int64_t>(c));
    return it == m.end() ? 0.0 : it->second;
  };
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_int_distribution<int64_t> uniform(0, static_cast<int64_t>(k) - 1);
  double best_c = 0, best = -std::numeric_limits<double>::infinity();
  for (int i = 0; i < options_.n_ei_candidates; ++i) {
    double c;
    if (unit(rng) * (low_total + pw) < low_total) {
      double u = unit(rng) * low_total;
      size_t j = std::upper_bound(low_cum.begin(), low_cum.end(), u) - low_cum.begin();
      c = low_values[std::min(j, low_values.size() - 1)];
    } else {
      c = static_cast<double>(uniform(rng));
    }
    double lp = std::log((count(true, c) + pw / k) / (low_total + pw));
    double hp = std::log((count(false, c) + pw / k) / (high_total + pw));
    if (lp - hp > best || i == 0) {
      best = lp - hp;
      best_c = c;
    }
  }
  return best_c;
}

}  // namespace hone
