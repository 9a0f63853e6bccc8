#include "compress/graph/model_profile.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include "compress/model/script_model_torch.h"

namespace hone::compress {
namespace {

double MedianMs(const std::function<void()>& run, const LatencyOptions& o) {
  for (int i = 0; i < o.warmup; ++i) run();
  std::vector<double> ms;
  for (int i = 0; i < std::max(1, o.repeats); ++i) {
    auto start = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

StatusOr<double> MeasureLatencyMs(const ScriptModel& model, const std::vector<int64_t>& input_shape,
                                  const LatencyOptions& options) {
  SetTorchThreads(options.threads);
  try {
    torch::jit::Module& module = ModuleOf(model);
    const bool was_training = module.is_training();
    module.eval();
    torch::NoGradGuard no_grad;
    at::Tensor x = torch::randn(input_shape);
    double ms = MedianMs([&] { module.forward({x}); }, options);
    module.train(was_training);
    return ms;
  } catch (const std::exception& e) {
    return InvalidArgument("cannot run the model: " + TorchErrorMessage(e));
  }
}

StatusOr<std::vector<double>> MeasureLayerLatencyMs(const ScriptModel& model, const LayerGraph& graph,
                                                    const LatencyOptions& options) {
  SetTorchThreads(options.threads);
  std::vector<double> ms(graph.nodes.size(), -1.0);
  try {
    torch::jit::Module& module = ModuleOf(model);
    const bool was_training = module.is_training();
    module.eval();
    torch::NoGradGuard no_grad;
    for (const LayerNode& n : graph.nodes) {
      const bool layer = n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear || n.kind == OpKind::kBatchNorm;
      if (!layer || n.input_shapes.empty() || n.name.find('/') != std::string::npos) continue;
      auto sub = FindSubmodule(module, n.name);
      if (!sub || !sub->find_method("forward").has_value()) continue;
      at::Tensor x = torch::randn(n.input_shapes[0]);
      ms[static_cast<size_t>(n.id)] = MedianMs([&] { sub->forward({x}); }, options);
    }
    module.train(was_training);
  } catch (const std::exception& e) {
    return InvalidArgument("cannot time the model's layers: " + TorchErrorMessage(e));
  }
  return ms;
}

}  // namespace hone::compress
