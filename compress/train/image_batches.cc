#include "compress/train/image_batches_torch.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace hone::compress {

std::vector<at::Tensor> SeededBatchIndices(int64_t n, int64_t count, int64_t batch_size, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<at::Tensor> out;
  std::vector<int64_t> batch;
  for (int64_t i = 0; i < count; ++i) {
    batch.push_back(order[static_cast<size_t>(i % n)]);
    if (static_cast<int64_t>(batch.size()) == batch_size || i + 1 == count) {
      out.push_back(torch::tensor(batch, torch::kInt64));
      batch.clear();
    }
  }
  return out;
}

ImageBatches::ImageBatches(const ImageSet& data, const Normalization& norm) {
  pixels_ = torch::from_blob(const_cast<uint8_t*>(data.pixels.data()),
                             {data.count, data.channels, data.height, data.width}, torch::kUInt8)
                .clone();
  labels_ = torch::from_blob(const_cast<uint8_t*>(data.labels.data()), {data.count}, torch::kUInt8)
                .to(torch::kInt64);
  const int64_t k = static_cast<int64_t>(norm.mean.size());
  mean_ = torch::tensor(norm.mean).view({1, k, 1, 1});
  inv_std_ = 1.0 / torch::tensor(norm.std).view({1, k, 1, 1});
}

at::Tensor ImageBatches::Normalize(const at::Tensor& bytes) const {
  return (bytes.to(torch::kFloat32).div_(255.0f) - mean_).mul_(inv_std_);
}

at::Tensor ImageBatches::Images(const at::Tensor& indices) const {
  return Normalize(pixels_.index_select(0, indices));
}

at::Tensor ImageBatches::AugmentedImages(const at::Tensor& indices, int64_t padding, bool flip,
                                         std::mt19937_64& rng) const {
  at::Tensor bytes = pixels_.index_select(0, indices);
  const int64_t n = bytes.size(0), h = bytes.size(2), w = bytes.size(3);
  at::Tensor padded = padding > 0 ? torch::constant_pad_nd(bytes, {padding, padding, padding, padding}, 0) : bytes;
  std::uniform_int_distribution<int64_t> offset(0, 2 * std::max<int64_t>(padding, 0));
  std::bernoulli_distribution mirror(0.5);
  std::vector<at::Tensor> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t dy = offset(rng), dx = offset(rng);
    at::Tensor image = padded[i].narrow(1, dy, h).narrow(2, dx, w);
    if (flip && mirror(rng)) image = image.flip({2});
    out.push_back(image);
  }
  return Normalize(torch::stack(out));
}

at::Tensor ImageBatches::Range(int64_t begin, int64_t end) const {
  return Normalize(pixels_.slice(0, begin, end));
}

}  // namespace hone::compress
