#include "compress/data/image_set.h"

#include <cmath>

namespace hone::compress {

void TruncateImageSet(ImageSet& set, int64_t n) {
  if (n <= 0 || n >= set.count) return;
  set.count = n;
  set.pixels.resize(static_cast<size_t>(n * set.image_size()));
  set.labels.resize(static_cast<size_t>(n));
}

Normalization ComputeNormalization(const ImageSet& set) {
  Normalization norm;
  const int64_t plane = set.height * set.width;
  for (int64_t c = 0; c < set.channels; ++c) {
    double sum = 0, sum_sq = 0;
    for (int64_t i = 0; i < set.count; ++i) {
      const uint8_t* p = set.pixels.data() + i * set.image_size() + c * plane;
      for (int64_t k = 0; k < plane; ++k) {
        double v = p[k] / 255.0;
        sum += v;
        sum_sq += v * v;
      }
    }
    double n = static_cast<double>(set.count * plane);
    double mean = n > 0 ? sum / n : 0.0;
    double var = n > 0 ? sum_sq / n - mean * mean : 0.0;
    norm.mean.push_back(static_cast<float>(mean));
    norm.std.push_back(static_cast<float>(std::sqrt(std::max(var, 1e-12))));
  }
  return norm;
}

}  // namespace hone::compress
