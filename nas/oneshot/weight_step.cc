#include "nas/oneshot/weight_step_torch.h"

#include <cmath>

namespace hone::nas {

int64_t WeightStep(torch::optim::SGD& sgd, double base_lr, int64_t step, int64_t total, const at::Tensor& labels,
                   const std::function<at::Tensor()>& logits) {
  double lr = 0.5 * base_lr * (1 + std::cos(M_PI * static_cast<double>(step) / static_cast<double>(total)));
  for (auto& group : sgd.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
  sgd.zero_grad();
  at::Tensor out = logits();
  torch::nn::functional::cross_entropy(out, labels).backward();
  torch::nn::utils::clip_grad_norm_(sgd.param_groups()[0].params(), 5.0);
  sgd.step();
  return (out.argmax(1) == labels).sum().item<int64_t>();
}

}  // namespace hone::nas
