// ImageSet: a labelled image data set held in memory as bytes (N x C x H x W, row-major),
// the common form every reader in compress/data produces. Torch-free, so that code
// without libtorch can read and inspect data sets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hone::compress {

struct ImageSet {
  int64_t count = 0;
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t num_classes = 0;
  std::vector<uint8_t> pixels;  // count * channels * height * width bytes, NCHW
  std::vector<uint8_t> labels;  // count labels in [0, num_classes)

  int64_t image_size() const { return channels * height * width; }
};

// Per-channel normalisation applied when bytes become floats: (x / 255 - mean) / std.
struct Normalization {
  std::vector<float> mean;
  std::vector<float> std;
};

// Keeps the first `n` images (all of them when n <= 0 or n >= count).
void TruncateImageSet(ImageSet& set, int64_t n);

// Mean and standard deviation per channel of the pixels scaled to [0, 1].
Normalization ComputeNormalization(const ImageSet& set);

}  // namespace hone::compress
