#include "compress/quant/abs_histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hone::compress {

void AbsHistogram::Add(std::span<const float> values) {
  float max_abs = 0.0f;
  for (float v : values) {
    if (std::isnan(v)) continue;
    if (!seen_) extremes_ = {v, v};
    seen_ = true;
    extremes_.min = std::min(extremes_.min, v);
    extremes_.max = std::max(extremes_.max, v);
    max_abs = std::max(max_abs, std::abs(v));
  }
  if (max_abs > 0.0f) Grow(max_abs);
  for (float v : values) {
    if (std::isnan(v)) continue;
    total_ += 1.0;
    if (v == 0.0f) {
      zeros_ += 1.0;
      continue;
    }
    const auto at = static_cast<size_t>(std::abs(v) / width_);
    counts_[std::min(at, counts_.size() - 1)] += 1.0;
  }
}

void AbsHistogram::Grow(double max_abs) {
  if (width_ == 0.0) {
    width_ = max_abs / bins_;
    counts_.assign(static_cast<size_t>(bins_), 0.0);
    return;
  }
  if (max_abs <= width_ * static_cast<double>(counts_.size())) return;
  size_t needed = static_cast<size_t>(std::ceil(max_abs / width_));
  const auto cap = static_cast<size_t>(bins_) * 16;
  while (needed > cap) {
    std::vector<double> merged((counts_.size() + 1) / 2, 0.0);
    for (size_t i = 0; i < counts_.size(); ++i) merged[i / 2] += counts_[i];
    counts_ = std::move(merged);
    width_ *= 2.0;
    needed = static_cast<size_t>(std::ceil(max_abs / width_));
  }
  counts_.resize(std::max(needed, counts_.size()), 0.0);
}

ValueRange AbsHistogram::Clipped(double threshold) const {
  ValueRange r = extremes();
  const auto t = static_cast<float>(threshold);
  return {std::max(r.min, -t), std::min(r.max, t)};
}

double AbsHistogram::Percentile(double percentile) const {
  const double target = total_ * percentile / 100.0;
  double cumulative = zeros_;
  if (cumulative >= target) return 0.0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i];
    if (cumulative >= target) return static_cast<double>(i + 1) * width_;
  }
  return static_cast<double>(counts_.size()) * width_;
}

namespace {

// KL(P || Q) for the first `i` bins; infinity when Q misses mass that P has.
double Divergence(const std::vector<double>& counts, size_t i, size_t quant_bins, double outliers) {
  std::vector<double> p(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(i));
  p[i - 1] += outliers;
  std::vector<double> q(i, 0.0);
  const size_t merged = i / quant_bins;
  for (size_t j = 0; j < quant_bins; ++j) {
    const size_t start = j * merged;
    const size_t stop = j + 1 == quant_bins ? i : start + merged;
    double sum = 0.0;
    double nonzero = 0.0;
    for (size_t k = start; k < stop; ++k) {
      sum += counts[k];
      nonzero += p[k] != 0.0;
    }
    if (nonzero == 0.0) continue;
    for (size_t k = start; k < stop; ++k) q[k] = p[k] != 0.0 ? sum / nonzero : 0.0;
  }
  double p_sum = 0.0, q_sum = 0.0;
  for (size_t k = 0; k < i; ++k) p_sum += p[k], q_sum += q[k];
  if (p_sum == 0.0 || q_sum == 0.0) return std::numeric_limits<double>::infinity();
  double kl = 0.0;
  for (size_t k = 0; k < i; ++k) {
    if (p[k] == 0.0) continue;
    if (q[k] == 0.0) return std::numeric_limits<double>::infinity();
    const double pk = p[k] / p_sum;
    kl += pk * std::log(pk / (q[k] / q_sum));
  }
  return kl;
}

}  // namespace

double EntropyThreshold(const AbsHistogram& histogram, int quant_bins) {
  const std::vector<double>& counts = histogram.counts();
  const auto levels = static_cast<size_t>(quant_bins);
  if (counts.size() <= levels) return static_cast<double>(counts.size()) * histogram.width();
  // At most ~2048 candidates, so that a histogram grown by outliers stays quick.
  const size_t stride = std::max<size_t>(1, (counts.size() - levels) / 2048);
  double outliers = 0.0;
  for (size_t k = levels; k < counts.size(); ++k) outliers += counts[k];
  size_t best = counts.size();
  double best_kl = std::numeric_limits<double>::infinity();
  size_t counted_from = levels;  // `outliers` sums counts[counted_from..]
  for (size_t i = levels; i <= counts.size(); i += stride) {
    for (; counted_from < i; ++counted_from) outliers -= counts[counted_from];
    const double kl = Divergence(counts, i, levels, std::max(outliers, 0.0));
    if (kl < best_kl) best_kl = kl, best = i;
  }
  return static_cast<double>(best) * histogram.width();
}

}  // namespace hone::compress
