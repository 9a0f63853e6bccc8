// Re-estimates the batch-norm statistics of a model whose weights changed without
// training (pruning): every module with `running_mean` and `running_var` buffers gets its
// statistics reset (mean 0, variance 1) and then updated over `batches` training batches
// in a seeded order, with only those modules in training mode (dropout stays off) and no
// gradients. The modules keep their own momentum, so the result is their moving average
// over the last batches; 100 batches leave less than 1e-4 of the reset values at
// PyTorch's default momentum of 0.1. Weights do not change. Torch-free.
//
//   auto n = CalibrateBatchNorm(model, train, norm, {.batches = 100});
#pragma once

#include <cstdint>

#include "compress/data/image_set.h"
#include "compress/model/script_model.h"
#include "core/status.h"

namespace hone::compress {

struct BatchNormCalibration {
  int64_t batches = 100;     // cycles through `train` when it holds fewer images
  int64_t batch_size = 128;
  uint64_t seed = 0;
  int threads = 0;           // libtorch intra-op threads; <= 0: one per core
};

// Returns how many batch-norm modules were recalibrated (0 leaves the model unchanged).
// The model ends in eval mode. Errors: options out of range, an empty training set,
// images the model does not accept.
StatusOr<int> CalibrateBatchNorm(ScriptModel& model, const ImageSet& train, const Normalization& norm,
                                 const BatchNormCalibration& options = {});

}  // namespace hone::compress
