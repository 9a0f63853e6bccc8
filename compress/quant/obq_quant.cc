#include "compress/quant/obq_quant.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "compress/graph/layer_graph.h"
#include "compress/model/script_model_torch.h"
#include "compress/prune/layer_inputs_torch.h"
#include "compress/quant/fake_quant_torch.h"
#include "compress/quant/obq_solver_torch.h"
#include "compress/train/image_batches_torch.h"

namespace hone::compress {
namespace {

bool QuantizableWeight(const torch::jit::Module& m) {
  if (!m.hasattr("weight") || !m.attr("weight").isTensor()) return false;
  const at::Tensor w = m.attr("weight").toTensor();
  return w.dim() >= 2 && w.is_floating_point();
}

Status CheckOptions(const ImageSet& data, const Normalization& norm, const ObqOptions& o) {
  HONE_RETURN_IF_ERROR(ValidateQuantSpec(o.spec));
  if (o.spec.scheme != QuantScheme::kSymmetric || !o.spec.is_signed) {
    return InvalidArgument("obq quantizes weights on signed symmetric grids, not " + QuantSpecName(o.spec));
  }
  if (data.count <= 0) return InvalidArgument("obq needs calibration images: the data set has none");
  if (static_cast<int64_t>(norm.mean.size()) != data.channels || norm.std.size() != norm.mean.size()) {
    return InvalidArgument("obq: the normalization has " + std::to_string(norm.mean.size()) +
                           " channels, the images " + std::to_string(data.channels));
  }
  if (o.batches <= 0 || o.batch_size <= 0 || o.block <= 0 || o.damp < 0) {
    return InvalidArgument("obq: batches, batch_size and block must be positive and damp at least 0");
  }
  return Status::Ok();
}

// The rows' grids of group `g` of `groups`.
ChannelParams GroupGrid(const ChannelParams& all, int64_t g, int64_t groups) {
  const size_t per = all.scales.size() / static_cast<size_t>(groups);
  ChannelParams out = all;
  out.scales.assign(all.scales.begin() + g * per, all.scales.begin() + (g + 1) * per);
  out.zero_points.assign(all.zero_points.begin() + g * per, all.zero_points.begin() + (g + 1) * per);
  return out;
}

// A layer's input function and the module it runs on.
struct Probe {
  std::unique_ptr<torch::jit::GraphFunction> fn;
  torch::jit::Module module;
};

// One layer's calibration statistics per group: H = 2 X~ X~^T / n from its inputs X~ in
// the observed model and, when compensating, C = 2 X X~^T / n with X its inputs in the
// float model on the same images.
struct LayerStats {
  std::vector<at::Tensor> h, cross;
};

void Accumulate(std::vector<at::Tensor>& sums, size_t g, const at::Tensor& a, const at::Tensor& b) {
  at::Tensor gram = a.to(torch::kDouble).matmul(b.to(torch::kDouble).t());
  if (sums.size() <= g) sums.resize(g + 1);
  sums[g] = sums[g].defined() ? sums[g] + gram : gram;
}

LayerStats CollectStats(const LayerNode& node, Probe& observed, Probe* reference, const ImageBatches& images,
                        const std::vector<at::Tensor>& batches) {
  LayerStats stats;
  int64_t columns = 0;
  for (const at::Tensor& idx : batches) {
    at::Tensor x = images.Images(idx);
    std::vector<at::Tensor> now = InputColumns(node, ProbedLayerInput(*observed.fn, observed.module, x, 0));
    std::vector<at::Tensor> before;
    if (reference != nullptr) before = InputColumns(node, ProbedLayerInput(*reference->fn, reference->module, x, 0));
    for (size_t g = 0; g < now.size(); ++g) {
      Accumulate(stats.h, g, now[g], now[g]);
      if (reference != nullptr) Accumulate(stats.cross, g, before[g], now[g]);
    }
    columns += now.front().size(1);
  }
  const double scale = 2.0 / static_cast<double>(std::max<int64_t>(1, columns));
  for (at::Tensor& t : stats.h) t.mul_(scale);
  for (at::Tensor& t : stats.cross) t.mul_(scale);
  return stats;
}

// The weights that make up for what earlier layers' quantization changed in this layer's
// input: W* = W C (H + damp)^-1 minimises ||W X - W* X~||^2 (rows x d, one group). Weights
// of inputs that never vary keep their values.
at::Tensor Compensated(const at::Tensor& w, const at::Tensor& h, const at::Tensor& cross, double damp) {
  at::Tensor damped = h.clone();
  const double mean = h.diagonal().mean().item<double>();
  damped.diagonal().add_(mean > 0 ? damp * mean : 1.0);
  at::Tensor wd = w.to(torch::kDouble);
  at::Tensor solved = torch::cholesky_solve(wd.matmul(cross).t(), torch::linalg_cholesky(damped)).t();
  at::Tensor dead = h.diagonal().eq(0).unsqueeze(0).expand_as(solved);
  return torch::where(dead, wd, solved).to(torch::kFloat);
}

// Quantizes `weight` in place group by group with OBQ on `stats`; the grid (stored in
// `grid`) comes from the min-max of the weights quantized (compensated or not). Returns
// the layer's errors: output errors relative to those weights on the observed inputs.
LayerWeightError QuantizeLayer(const std::string& name, const at::Tensor& weight, const LayerStats& stats,
                               const ObqOptions& o, ChannelParams& grid) {
  const at::Tensor original = weight.detach().to(torch::kFloat).clone();
  const int64_t groups = static_cast<int64_t>(stats.h.size());
  const int64_t rows = weight.size(0) / groups;
  at::Tensor target = original.view({weight.size(0), -1}).clone();
  for (int64_t g = 0; g < groups && !stats.cross.empty(); ++g) {
    at::Tensor w = target.slice(0, g * rows, (g + 1) * rows);
    w.copy_(Compensated(w, stats.h[static_cast<size_t>(g)], stats.cross[static_cast<size_t>(g)], o.damp));
  }
  grid = ChoosePerChannelParams(target, 0, o.spec);
  const at::Tensor rtn = FakeQuantizePerChannel(original, ChoosePerChannelParams(original, 0, o.spec));
  at::Tensor rtn_flat = rtn.view({weight.size(0), -1});
  at::Tensor quantized = torch::empty_like(target);
  double err = 0, rtn_err = 0, base = 0;
  for (int64_t g = 0; g < groups; ++g) {
    at::Tensor w = target.slice(0, g * rows, (g + 1) * rows);
    const at::Tensor& h = stats.h[static_cast<size_t>(g)];
    at::Tensor q = ObqQuantizeRows(w, h, GroupGrid(grid, g, groups),
                                   {.damp = o.damp, .block = o.block, .act_order = o.act_order});
    quantized.slice(0, g * rows, (g + 1) * rows).copy_(q);
    const double b = (w.to(torch::kDouble).matmul(h) * w.to(torch::kDouble)).sum().item<double>();
    err += RelativeOutputError(q, w, h) * b;
    rtn_err += RelativeOutputError(rtn_flat.slice(0, g * rows, (g + 1) * rows), w, h) * b;
    base += b;
  }
  weight.copy_(quantized.view_as(weight).to(weight.scalar_type()));
  LayerWeightError e;
  e.layer = name;
  e.channels = weight.size(0);
  e.min_scale = *std::min_element(grid.scales.begin(), grid.scales.end());
  e.max_scale = *std::max_element(grid.scales.begin(), grid.scales.end());
  at::Tensor diff = quantized.view_as(original) - original;
  e.mse = diff.pow(2).mean().item<double>();
  const double norm = original.norm().item<double>();
  e.relative_error = norm > 0 ? diff.norm().item<double>() / norm : 0.0;
  e.output_error = base > 0 ? err / base : 0.0;
  e.rtn_output_error = base > 0 ? rtn_err / base : 0.0;
  return e;
}

void PrintLayer(std::FILE* out, size_t i, size_t n, const LayerWeightError& e, double seconds) {
  if (out == nullptr) return;
  std::fprintf(out, "obq: layer %zu/%zu %s: output error %.5f (round to nearest %.5f), %.2f s\n", i + 1, n,
               e.layer.c_str(), e.output_error, e.rtn_output_error, seconds);
  std::fflush(out);
}

// Round to nearest for a weight OBQ does not see in the graph (not called as a layer).
LayerWeightError RoundLayer(const std::string& name, const at::Tensor& weight, const QuantSpec& spec,
                            ChannelParams& grid) {
  grid = ChoosePerChannelParams(weight, 0, spec);
  const at::Tensor original = weight.detach().clone();
  weight.copy_(FakeQuantizePerChannel(original.to(torch::kFloat), grid).to(weight.scalar_type()));
  LayerWeightError e;
  e.layer = name;
  e.channels = weight.size(0);
  e.min_scale = *std::min_element(grid.scales.begin(), grid.scales.end());
  e.max_scale = *std::max_element(grid.scales.begin(), grid.scales.end());
  e.mse = (weight - original).pow(2).mean().item<double>();
  const double norm = original.norm().item<double>();
  e.relative_error = norm > 0 ? (weight - original).norm().item<double>() / norm : 0.0;
  return e;
}

// The convolution and linear layers of `graph` with a weight to quantize, in execution
// order, each module once.
std::vector<int> LayerNodes(const LayerGraph& graph, torch::jit::Module& root, const std::set<std::string>& exclude) {
  std::vector<int> nodes;
  std::set<std::string> seen;
  for (const LayerNode& n : graph.nodes) {
    if (n.kind != OpKind::kConv2d && n.kind != OpKind::kLinear) continue;
    if (exclude.count(n.name) > 0 || !seen.insert(n.name).second) continue;
    auto m = FindSubmodule(root, n.name);
    if (m && QuantizableWeight(*m)) nodes.push_back(n.id);
  }
  return nodes;
}

}  // namespace

StatusOr<ObqResult> QuantizeWeightsObq(const ScriptModel& folded, const ImageSet& data, const Normalization& norm,
                                       const ObqOptions& options) {
  HONE_RETURN_IF_ERROR(CheckOptions(data, norm, options));
  auto graph = BuildLayerGraph(folded, {1, data.channels, data.height, data.width});
  if (!graph.ok()) return graph.status();
  SetTorchThreads(options.threads);
  try {
    torch::NoGradGuard no_grad;
    torch::jit::Module root = ModuleOf(folded).clone();
    torch::jit::Module reference = ModuleOf(folded).clone();
    root.eval();
    reference.eval();
    for (const std::string& name : options.exclude) {
      auto m = FindSubmodule(root, name);
      if (!m || !QuantizableWeight(*m)) return InvalidArgument("obq: exclude names no layer with a weight: " + name);
    }
    ObqResult result{WrapModule(root), {}, {}};
    const std::vector<int> nodes = LayerNodes(*graph, root, options.exclude);
    ImageBatches images(data, norm);
    const std::vector<at::Tensor> batches = SeededBatchIndices(
        data.count, std::min(data.count, options.batches * options.batch_size), options.batch_size, options.seed);
    const bool compensate = options.sequential && options.compensate;
    for (size_t i = 0; i < nodes.size(); ++i) {
      const LayerNode& node = graph->nodes[static_cast<size_t>(nodes[i])];
      const auto start = std::chrono::steady_clock::now();
      Probe observed{nullptr, options.sequential ? root : reference}, before{nullptr, reference};
      auto probe = LayerInputsProbe(observed.module, *graph, {node.id}, "obq");
      if (!probe.ok()) continue;  // rounded to nearest below
      observed.fn = std::move(*probe);
      if (compensate) {
        auto reference_probe = LayerInputsProbe(reference, *graph, {node.id}, "obq");
        if (!reference_probe.ok()) continue;
        before.fn = std::move(*reference_probe);
      }
      LayerStats stats = CollectStats(node, observed, compensate ? &before : nullptr, images, batches);
      at::Tensor weight = FindSubmodule(root, node.name)->attr("weight").toTensor();
      LayerWeightError e = QuantizeLayer(node.name, weight, stats, options, result.weight_grids[node.name]);
      PrintLayer(options.progress, i, nodes.size(), e,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      result.layers.push_back(std::move(e));
    }
    for (const auto& named : root.named_modules()) {
      if (!QuantizableWeight(named.value) || options.exclude.count(named.name) > 0) continue;
      if (result.weight_grids.count(named.name) > 0) continue;
      at::Tensor weight = named.value.attr("weight").toTensor();
      result.layers.push_back(RoundLayer(named.name, weight, options.spec, result.weight_grids[named.name]));
    }
    if (result.layers.empty()) return InvalidArgument("obq: the model has no convolution or linear weight to quantize");
    return result;
  } catch (const std::exception& e) {
    const std::string what = TorchErrorMessage(e);
    const bool singular = what.find("positive-definite") != std::string::npos;
    return InvalidArgument("obq: " + what + (singular ? " (raise damp)" : ""));
  }
}

}  // namespace hone::compress
