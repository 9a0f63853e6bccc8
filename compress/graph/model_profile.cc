#include "compress/graph/model_profile.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>

#include "compress/model/script_model_torch.h"

namespace hone::compress {
namespace {

std::vector<double> TimesMs(const std::function<void()>& run, const LatencyOptions& o) {
  for (int i = 0; i < o.warmup; ++i) run();
  std::vector<double> ms;
  for (int i = 0; i < std::max(1, o.repeats); ++i) {
    auto start = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return ms;
}

double MedianMs(const std::function<void()>& run, const LatencyOptions& o) {
  return SummarizeLatency(TimesMs(run, o), o.threads).median;
}

// Lays the module's 4-d parameters out NHWC while alive (when asked), then restores them.
class ParameterLayout {
 public:
  ParameterLayout(torch::jit::Module& module, bool channels_last) {
    if (!channels_last) return;
    for (at::Tensor p : module.parameters()) {
      if (p.dim() != 4) continue;
      saved_.push_back({p, p.data()});
      // A copy, so that tensors with one input channel (a first conv's weight) get NHWC
      // strides too: contiguous() keeps them as they are, and a convolution whose input
      // and weight both look NCHW runs NCHW.
      p.set_data(p.data().to(p.options(), /*non_blocking=*/false, /*copy=*/true, at::MemoryFormat::ChannelsLast));
    }
  }
  ~ParameterLayout() {
    for (auto& [p, data] : saved_) p.set_data(data);
  }
  ParameterLayout(const ParameterLayout&) = delete;
  ParameterLayout& operator=(const ParameterLayout&) = delete;

 private:
  std::vector<std::pair<at::Tensor, at::Tensor>> saved_;
};

at::Tensor RandomInput(const std::vector<int64_t>& shape, bool channels_last) {
  if (!channels_last || shape.size() != 4) return torch::randn(shape);
  return at::empty(shape, at::TensorOptions().memory_format(at::MemoryFormat::ChannelsLast)).normal_();
}

// Runs `body` with `module` in eval mode, without autograd and with the parameters laid
// out as `options` says; then restores the module's training mode (and, on leaving, the
// parameters' layout). Returns what `body` returns.
template <typename Body>
auto InTimingMode(torch::jit::Module& module, const LatencyOptions& options, Body body) {
  const bool was_training = module.is_training();
  module.eval();
  torch::NoGradGuard no_grad;
  ParameterLayout layout(module, options.channels_last);
  auto result = body();
  module.train(was_training);
  return result;
}

}  // namespace

LatencyStats SummarizeLatency(std::vector<double> ms, int threads) {
  LatencyStats s;
  s.threads = threads;
  s.runs = static_cast<int>(ms.size());
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  // Nearest rank: the smallest time with at least q of the runs at or below it.
  auto rank = [&](double q) { return ms[std::min(n - 1, static_cast<size_t>(std::max(1.0, std::ceil(q * n))) - 1)]; };
  s.median = n % 2 == 1 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  s.p10 = rank(0.1);
  s.p90 = rank(0.9);
  for (double v : ms) s.mean += v / static_cast<double>(n);
  double var = 0;
  for (double v : ms) var += (v - s.mean) * (v - s.mean);
  s.stdev = n > 1 ? std::sqrt(var / static_cast<double>(n - 1)) : 0;
  return s;
}

std::string LatencyText(const LatencyStats& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.3f ms (p10-p90 %.3f-%.3f, %d runs, %d thread%s)", s.median, s.p10, s.p90, s.runs,
                s.threads, s.threads == 1 ? "" : "s");
  return buf;
}

StatusOr<LatencyStats> MeasureLatency(const ScriptModel& model, const std::vector<int64_t>& input_shape,
                                      const LatencyOptions& options) {
  SetTorchThreads(options.threads);
  const int threads = at::get_num_threads();
  try {
    torch::jit::Module& module = ModuleOf(model);
    return InTimingMode(module, options, [&] {
      at::Tensor x = RandomInput(input_shape, options.channels_last);
      return SummarizeLatency(TimesMs([&] { module.forward({x}); }, options), threads);
    });
  } catch (const std::exception& e) {
    return InvalidArgument("cannot run the model: " + TorchErrorMessage(e));
  }
}

StatusOr<double> MeasureLatencyMs(const ScriptModel& model, const std::vector<int64_t>& input_shape,
                                  const LatencyOptions& options) {
  auto stats = MeasureLatency(model, input_shape, options);
  if (!stats.ok()) return stats.status();
  return stats->median;
}

StatusOr<std::vector<double>> MeasureLayerLatencyMs(const ScriptModel& model, const LayerGraph& graph,
                                                    const LatencyOptions& options) {
  SetTorchThreads(options.threads);
  std::vector<double> ms(graph.nodes.size(), -1.0);
  try {
    torch::jit::Module& module = ModuleOf(model);
    InTimingMode(module, options, [&] {
      for (const LayerNode& n : graph.nodes) {
        const bool layer = n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear || n.kind == OpKind::kBatchNorm;
        if (!layer || n.input_shapes.empty() || n.name.find('/') != std::string::npos) continue;
        auto sub = FindSubmodule(module, n.name);
        if (!sub || !sub->find_method("forward").has_value()) continue;
        at::Tensor x = RandomInput(n.input_shapes[0], options.channels_last);
        ms[static_cast<size_t>(n.id)] = MedianMs([&] { sub->forward({x}); }, options);
      }
      return 0;
    });
  } catch (const std::exception& e) {
    return InvalidArgument("cannot time the model's layers: " + TorchErrorMessage(e));
  }
  return ms;
}

}  // namespace hone::compress
