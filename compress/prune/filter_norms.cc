#include "compress/prune/filter_norms_torch.h"

#include <algorithm>
#include <cmath>

#include "compress/model/script_model_torch.h"

namespace hone::compress {

at::Tensor WeightNormScores(PrunerKind pruner, const at::Tensor& weight, bool per_weight) {
  at::Tensor f = weight.reshape({weight.size(0), -1});
  const double n = static_cast<double>(f.size(1));
  if (pruner == PrunerKind::kL1) return per_weight ? f.abs().sum(1) / n : f.abs().sum(1);
  if (pruner == PrunerKind::kL2) return per_weight ? f.norm(2, 1) / std::sqrt(n) : f.norm(2, 1);
  at::Tensor dist = torch::cdist(f.unsqueeze(0), f.unsqueeze(0)).squeeze(0).sum(1);  // fpgm
  return per_weight ? dist / (std::sqrt(n) * static_cast<double>(std::max<int64_t>(1, f.size(0) - 1))) : dist;
}

}  // namespace hone::compress
