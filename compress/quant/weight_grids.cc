#include "compress/quant/weight_grids.h"

#include <algorithm>

#include "compress/model/script_model_torch.h"
#include "compress/quant/fake_quant_torch.h"

namespace hone::compress {

StatusOr<SnappedWeights> SnapWeights(const ScriptModel& model, const std::vector<LayerGrid>& layers) {
  try {
    torch::jit::Module root = ModuleOf(model).clone();
    SnappedWeights out{WrapModule(root), {}, {}};
    torch::NoGradGuard no_grad;
    for (const LayerGrid& l : layers) {
      HONE_RETURN_IF_ERROR(ValidateQuantSpec(l.spec));
      std::optional<torch::jit::Module> m = FindSubmodule(root, l.layer);
      if (!m || !m->hasattr("weight") || !m->attr("weight").isTensor() || m->attr("weight").toTensor().dim() < 2) {
        return InvalidArgument("snap weights: '" + l.layer + "' is no convolution or linear layer of the model");
      }
      const at::Tensor w = m->attr("weight").toTensor();
      ChannelParams p = ChoosePerChannelParams(w.to(at::kFloat), 0, l.spec);
      if (l.per_tensor) std::fill(p.scales.begin(), p.scales.end(), *std::max_element(p.scales.begin(), p.scales.end()));
      at::Tensor q = FakeQuantizePerChannel(w.to(at::kFloat), p).to(w.scalar_type());
      LayerWeightError e;
      e.layer = l.layer;
      e.channels = w.size(0);
      e.min_scale = *std::min_element(p.scales.begin(), p.scales.end());
      e.max_scale = *std::max_element(p.scales.begin(), p.scales.end());
      e.mse = (q - w).pow(2).mean().item<double>();
      const double norm = w.norm().item<double>();
      e.relative_error = norm > 0 ? (q - w).norm().item<double>() / norm : 0.0;
      m->setattr("weight", q.set_requires_grad(w.requires_grad()));
      out.grids[l.layer] = std::move(p);
      out.layers.push_back(std::move(e));
    }
    return out;
  } catch (const std::exception& e) {
    return InvalidArgument("snap weights: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
