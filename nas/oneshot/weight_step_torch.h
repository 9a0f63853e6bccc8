// One training step of a supernet's shared weights, as every one-shot strategy takes it:
// SGD at the cosine learning rate of the step (from `base_lr` at step 0 to 0 at step
// `total`), cross-entropy, gradients clipped to norm 5. Internal to nas/oneshot/.
//
//   correct += WeightStep(*sgd, opt.lr, step++, total, labels, [&] { return net.module.forward({x, w}).toTensor(); });
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>

namespace hone::nas {

// Returns how many of the batch's predictions were right (before the step).
int64_t WeightStep(torch::optim::SGD& sgd, double base_lr, int64_t step, int64_t total, const at::Tensor& labels,
                   const std::function<at::Tensor()>& logits);

}  // namespace hone::nas
