// Batches of an ImageSet as normalised float tensors (N x C x H x W) and int64 labels.
#pragma once

#include <torch/torch.h>

#include <random>

#include "compress/data/image_set.h"

namespace hone::compress {

// `count` indices from a shuffle of [0, n) seeded by `seed` (the shuffle repeats when
// count > n), as int64 tensors of `batch_size` indices (the last one may be shorter).
// REQUIRES: n > 0, batch_size > 0.
std::vector<at::Tensor> SeededBatchIndices(int64_t n, int64_t count, int64_t batch_size, uint64_t seed);

class ImageBatches {
 public:
  // REQUIRES: norm has one mean and std per channel of `data`.
  ImageBatches(const ImageSet& data, const Normalization& norm);

  int64_t size() const { return pixels_.size(0); }
  // Images at `indices` (int64 tensor), normalised.
  at::Tensor Images(const at::Tensor& indices) const;
  at::Tensor Labels(const at::Tensor& indices) const { return labels_.index_select(0, indices); }
  // Images at `indices`, each shifted by a random crop of the image padded with
  // `padding` black pixels on every side (the padded image's size back), and mirrored
  // left-right with probability 1/2 when `flip`; then normalised. The draws come from
  // `rng` (two per image for the crop, one for the flip), so a seeded run repeats.
  at::Tensor AugmentedImages(const at::Tensor& indices, int64_t padding, bool flip, std::mt19937_64& rng) const;
  // Images [begin, end) in order.
  at::Tensor Range(int64_t begin, int64_t end) const;
  at::Tensor LabelRange(int64_t begin, int64_t end) const { return labels_.slice(0, begin, end); }

 private:
  at::Tensor Normalize(const at::Tensor& bytes) const;

  at::Tensor pixels_;  // uint8, N x C x H x W
  at::Tensor labels_;  // int64, N
  at::Tensor mean_;    // 1 x C x 1 x 1
  at::Tensor inv_std_;
};

}  // namespace hone::compress
