#include "compress/train/batchnorm_calibration.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "compress/model/script_model_torch.h"
#include "compress/train/image_batches_torch.h"

namespace hone::compress {
namespace {

// The image indices of `batches` batches: the training set shuffled (seeded), repeated as
// often as needed.
std::vector<at::Tensor> CalibrationBatches(int64_t n, const BatchNormCalibration& o) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(o.seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<at::Tensor> out;
  size_t next = 0;
  for (int64_t b = 0; b < o.batches; ++b) {
    std::vector<int64_t> batch;
    for (int64_t i = 0; i < std::min(o.batch_size, n); ++i) {
      batch.push_back(order[next]);
      next = (next + 1) % order.size();
    }
    out.push_back(torch::tensor(batch, torch::kInt64));
  }
  return out;
}

}  // namespace

StatusOr<int> CalibrateBatchNorm(ScriptModel& model, const ImageSet& train, const Normalization& norm,
                                 const BatchNormCalibration& options) {
  if (options.batches < 1) return InvalidArgument("batch-norm calibration needs at least one batch");
  if (options.batch_size < 2) return InvalidArgument("batch-norm calibration needs batches of at least 2 images");
  if (train.count < 2) return InvalidArgument("batch-norm calibration needs at least 2 training images");
  SetTorchThreads(options.threads);
  torch::jit::Module& module = ModuleOf(model);
  try {
    torch::NoGradGuard no_grad;
    module.eval();
    std::vector<torch::jit::Module> norms;
    for (const auto& named : module.named_modules()) {
      torch::jit::Module m = named.value;
      if (!m.hasattr("running_mean") || !m.hasattr("running_var")) continue;
      m.attr("running_mean").toTensor().zero_();
      m.attr("running_var").toTensor().fill_(1);
      if (m.hasattr("num_batches_tracked")) m.attr("num_batches_tracked").toTensor().zero_();
      m.train(true);
      norms.push_back(m);
    }
    if (!norms.empty()) {
      ImageBatches data(train, norm);
      for (const at::Tensor& idx : CalibrationBatches(train.count, options)) module.forward({data.Images(idx)});
    }
    module.eval();
    return static_cast<int>(norms.size());
  } catch (const std::exception& e) {
    module.eval();
    return InvalidArgument("cannot recalibrate batch norms: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
