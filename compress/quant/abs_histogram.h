// A histogram of |x| over bins of equal width, grown as larger values arrive, for the
// percentile and entropy observers. The first batch with a nonzero value sets the width
// to max|x| / bins; a later larger value appends bins of the same width, so counts are
// never re-interpolated; past 16 x bins, neighbouring bins merge pairwise (the width
// doubles), which is exact too. Exact zeros (most of a relu's output) are counted apart:
// every grid holds 0 exactly, so they cost no error and must not pull the entropy
// threshold down. Torch-free.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "compress/quant/quant_params.h"

namespace hone::compress {

class AbsHistogram {
 public:
  explicit AbsHistogram(int bins) : bins_(bins) {}

  void Add(std::span<const float> values);

  // Bin i counts nonzero |x| in [i * width, (i + 1) * width); the last bin also its upper edge.
  const std::vector<double>& counts() const { return counts_; }
  double zeros() const { return zeros_; }
  double width() const { return width_; }
  double total() const { return total_; }  // zeros included
  // The signed extremes seen ({0, 0} before any value).
  ValueRange extremes() const { return seen_ ? extremes_ : ValueRange{}; }
  // extremes() clipped to [-threshold, threshold].
  ValueRange Clipped(double threshold) const;
  // The upper edge of the first bin at which the cumulative count reaches `percentile`
  // percent of all values (0 when empty).
  double Percentile(double percentile) const;

 private:
  void Grow(double max_abs);

  int bins_;
  std::vector<double> counts_;
  double width_ = 0.0;
  double total_ = 0.0;
  double zeros_ = 0.0;
  bool seen_ = false;
  ValueRange extremes_;
};

// TensorRT's entropy calibration, over the nonzero values: for each candidate i >=
// quant_bins bins, P is the first i bins with the counts beyond added to bin i - 1, Q
// the same i bins (without
// those outliers) merged into `quant_bins` levels and spread back over P's nonzero bins;
// returns the upper edge i x width of the i minimizing KL(P || Q). With fewer than
// `quant_bins` bins in use, the largest |x|.
double EntropyThreshold(const AbsHistogram& histogram, int quant_bins);

}  // namespace hone::compress
