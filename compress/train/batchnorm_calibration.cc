#include "compress/train/batchnorm_calibration.h"

#include <algorithm>
#include <vector>

#include "compress/model/script_model_torch.h"
#include "compress/train/image_batches_torch.h"

namespace hone::compress {

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
      const int64_t batch_size = std::min(options.batch_size, train.count);
      for (const at::Tensor& idx :
           SeededBatchIndices(train.count, options.batches * batch_size, batch_size, options.seed)) {
        module.forward({data.Images(idx)});
      }
    }
    module.eval();
    return static_cast<int>(norms.size());
  } catch (const std::exception& e) {
    module.eval();
    return InvalidArgument("cannot recalibrate batch norms: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
