#include "compress/quant/quant_aware_training.h"

#include <algorithm>
#include <limits>

#include "compress/model/script_model_torch.h"
#include "compress/quant/fake_quant_torch.h"
#include "compress/quant/qat_graph_torch.h"

namespace hone::compress {
namespace {

constexpr float kEps = std::numeric_limits<float>::epsilon();

// The final grid of layer `site.layer` in the trained module.
ChannelParams FinalWeightGrid(torch::jit::Module& trained, const WeightSite& site, const QuantSpec& spec) {
  at::Tensor w = TensorAttr(trained, site.layer, "weight").detach().to(at::kFloat);
  if (site.step.empty()) return ChoosePerChannelParams(w, 0, spec);
  at::Tensor steps = trained.attr(site.step).toTensor().detach().to(at::kFloat).clamp_min(kEps).contiguous();
  ChannelParams p;
  p.scales.assign(steps.data_ptr<float>(), steps.data_ptr<float>() + steps.numel());
  p.zero_points.assign(p.scales.size(), 0);
  p.qmin = spec.qmin();
  p.qmax = spec.qmax();
  return p;
}

// `folded` with the trained module's parameters and buffers, every quantized weight snapped
// onto its grid, and any other weight of rank >= 2 onto its min-max grid (recorded too).
ScriptModel SnappedWeights(const ScriptModel& folded, torch::jit::Module& trained, const QuantSpec& spec,
                           std::map<std::string, ChannelParams>& grids) {
  torch::NoGradGuard no_grad;
  torch::jit::Module out = ModuleOf(folded).clone();
  for (const auto& named : out.named_modules()) {
    torch::jit::Module m = named.value;
    std::optional<torch::jit::Module> source = named.name.empty() ? trained : FindSubmodule(trained, named.name);
    std::optional<torch::jit::Module> original =
        named.name.empty() ? ModuleOf(folded) : FindSubmodule(ModuleOf(folded), named.name);
    if (!source || !original) continue;
    for (const auto& p : m.named_parameters(/*recurse=*/false)) {
      const bool requires_grad = original->attr(p.name).toTensor().requires_grad();
      m.setattr(p.name, source->attr(p.name).toTensor().detach().clone().set_requires_grad(requires_grad));
    }
    if (!m.hasattr("weight") || !m.attr("weight").isTensor()) continue;
    at::Tensor w = m.attr("weight").toTensor();
    if (w.dim() < 2 || !w.is_floating_point()) continue;
    auto grid = grids.find(named.name);
    if (grid == grids.end()) grid = grids.emplace(named.name, ChoosePerChannelParams(w, 0, spec)).first;
    at::Tensor q = FakeQuantizePerChannel(w.to(at::kFloat), grid->second).to(w.scalar_type());
    m.setattr("weight", q.set_requires_grad(w.requires_grad()));
  }
  return WrapModule(out);
}

// The input points with the grids they ended on.
std::vector<ActivationPoint> FinalPoints(const std::vector<ActivationPoint>& points, const QuantizerSites& sites,
                                         torch::jit::Module& trained) {
  std::vector<ActivationPoint> out = points;
  for (size_t i = 0; i < out.size(); ++i) {
    const ActivationSite& site = sites.activations[sites.point_site[i]];
    QuantParams p = site.params;
    if (!site.step.empty()) {
      p.scale = std::max(trained.attr(site.step).toTensor().item<float>(), kEps);
      p.zero_point = static_cast<int64_t>(trained.attr(site.zero_point).toTensor().item<float>());
    }
    out[i].params = p;
    out[i].range = {static_cast<float>(p.qmin - p.zero_point) * p.scale,
                    static_cast<float>(p.qmax - p.zero_point) * p.scale};
  }
  return out;
}

}  // namespace

StatusOr<QatMethod> ParseQatMethod(std::string_view name) {
  if (name == "qat") return QatMethod::kSte;
  if (name == "lsq") return QatMethod::kLsq;
  return InvalidArgument("unknown quantization-aware training method '" + std::string(name) +
                         "' (expected qat or lsq)");
}

std::string_view QatMethodName(QatMethod method) { return method == QatMethod::kSte ? "qat" : "lsq"; }

StatusOr<QatResult> TrainQuantAware(const ScriptModel& folded, const std::vector<ActivationPoint>& points,
                                    const ImageSet& train, const ImageSet* test, const Normalization& norm,
                                    const QatOptions& options, const EpochCallback& on_epoch) {
  HONE_RETURN_IF_ERROR(ValidateQuantSpec(options.weights));
  HONE_RETURN_IF_ERROR(ValidateQuantSpec(options.activations));
  HONE_RETURN_IF_ERROR(ValidateTrainOptions(options.train));
  torch::jit::Module module;
  QuantizerSites sites;
  try {
    {
      // Module::clone deep-copies tensors with Tensor::clone: without this guard the
      // copies are not leaves and no optimizer takes them.
      torch::NoGradGuard no_grad;
      module = ModuleOf(folded).clone();
    }
    auto installed = InstallQuantizers(module, points,
                                       {.kind = options.method == QatMethod::kSte ? QuantizerKind::kSte
                                                                                  : QuantizerKind::kLsq,
                                        .weights = options.weights,
                                        .activations = options.activations,
                                        .weight_init = options.lsq_weight_init});
    if (!installed.ok()) return InvalidArgument("quantization-aware training: " + installed.status().message());
    sites = std::move(*installed);
  } catch (const std::exception& e) {
    return InvalidArgument("quantization-aware training: " + TorchErrorMessage(e));
  }
  QatResult result{WrapModule(module), folded, {}, {}, {}};
  auto history = Train(result.model, train, test, norm, options.train, on_epoch);
  if (!history.ok()) return history.status();
  result.history = std::move(*history);
  try {
    for (const WeightSite& site : sites.weights) {
      result.weight_grids[site.layer] = FinalWeightGrid(module, site, options.weights);
    }
    result.weights = SnappedWeights(folded, module, options.weights, result.weight_grids);
    result.points = FinalPoints(points, sites, module);
  } catch (const std::exception& e) {
    return InvalidArgument("quantization-aware training: " + TorchErrorMessage(e));
  }
  return result;
}

}  // namespace hone::compress
