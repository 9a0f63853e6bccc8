#include "compress/quant/weight_quant.h"

#include <algorithm>

#include "compress/model/script_model_torch.h"
#include "compress/quant/fake_quant_torch.h"

namespace hone::compress {

StatusOr<WeightQuantResult> QuantizeWeightsRtn(const ScriptModel& model, const QuantSpec& spec) {
  HONE_RETURN_IF_ERROR(ValidateQuantSpec(spec));
  try {
    torch::jit::Module root = ModuleOf(model).clone();
    WeightQuantResult result{WrapModule(root), {}};
    torch::NoGradGuard no_grad;
    for (const auto& named : root.named_modules()) {
      torch::jit::Module m = named.value;
      if (!m.hasattr("weight") || !m.attr("weight").isTensor()) continue;
      const at::Tensor w = m.attr("weight").toTensor();
      if (w.dim() < 2 || !w.is_floating_point()) continue;
      ChannelParams p = ChoosePerChannelParams(w, 0, spec);
      at::Tensor q = FakeQuantizePerChannel(w.to(at::kFloat), p).to(w.scalar_type());
      LayerWeightError e;
      e.layer = named.name;
      e.channels = w.size(0);
      e.min_scale = *std::min_element(p.scales.begin(), p.scales.end());
      e.max_scale = *std::max_element(p.scales.begin(), p.scales.end());
      e.mse = (q - w).pow(2).mean().item<double>();
      const double norm = w.norm().item<double>();
      e.relative_error = norm > 0 ? (q - w).norm().item<double>() / norm : 0.0;
      m.setattr("weight", q.set_requires_grad(w.requires_grad()));
      result.layers.push_back(std::move(e));
    }
    if (result.layers.empty()) {
      return InvalidArgument("quantize weights: the model has no convolution or linear weight");
    }
    return result;
  } catch (const std::exception& e) {
    return InvalidArgument("quantize weights: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
