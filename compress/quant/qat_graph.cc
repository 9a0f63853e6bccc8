#include <cmath>
#include <limits>
#include <map>

#include "compress/graph/eval_graph_torch.h"
#include "compress/model/script_model_torch.h"
#include "compress/quant/fake_quant_torch.h"
#include "compress/quant/qat_graph_torch.h"

namespace hone::compress {
namespace {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

constexpr double kEps = std::numeric_limits<float>::epsilon();

std::string RootName(const std::string& path) {
  std::string out = "qat_";
  for (char c : path) out += c == '.' ? '_' : c;
  return out;
}

// The point right after `v` is defined (the first node for graph inputs).
Node* After(Graph& graph, Value* v) {
  return v->node()->kind() == c10::prim::Param ? *graph.nodes().begin() : v->node()->next();
}

// max|w| per output channel / ((qmax - qmin) / 2), at least epsilon: the symmetric scales
// of a per-channel min-max observer, detached from the weight.
Value* MinMaxScales(Graph& graph, Value* w, int64_t dims, const QuantSpec& spec) {
  std::vector<int64_t> reduce;
  for (int64_t d = 1; d < dims; ++d) reduce.push_back(d);
  Value* a = graph.insert(c10::aten::abs, {graph.insert(c10::aten::detach, {w})});
  Value* m = graph.insert(c10::aten::amax, {a, graph.insertConstant(reduce), graph.insertConstant(false)});
  Value* s = graph.insert(c10::aten::div, {m, graph.insertConstant(static_cast<double>(spec.qmax() - spec.qmin()) / 2)});
  return graph.insert(c10::aten::clamp_min, {s, graph.insertConstant(kEps)});
}

// Initial LSQ weight steps, one per output channel.
at::Tensor InitialWeightSteps(const at::Tensor& w, const QuantizerConfig& config) {
  at::Tensor f = w.detach().to(at::kFloat).flatten(1);
  if (config.weight_init == LsqWeightInit::kMeanAbs) {
    return (f.abs().mean(1) * (2.0 / std::sqrt(static_cast<double>(config.weights.qmax())))).clamp_min(kEps);
  }
  ChannelParams p = ChoosePerChannelParams(f, 0, config.weights);
  return torch::tensor(p.scales, torch::kFloat32);
}

// Inserts the weight quantizer after the read `v` of layer `site.layer`'s weight `w`.
void QuantizeWeightRead(torch::jit::Module& root, Graph& graph, Value* v, const at::Tensor& w,
                        const QuantizerConfig& config, WeightSite& site) {
  torch::jit::WithInsertPoint guard(After(graph, v));
  Value* self = graph.inputs()[0];
  const QuantSpec& spec = config.weights;
  Value* q = nullptr;
  if (config.kind == QuantizerKind::kSte) {
    Value* scales = MinMaxScales(graph, v, w.dim(), spec);
    Value* zp = graph.insert(c10::aten::zeros_like, {scales},
                             {torch::jit::NamedValue("dtype", static_cast<int64_t>(at::kInt))});
    q = graph.insert(c10::aten::fake_quantize_per_channel_affine,
                     {v, scales, zp, graph.insertConstant(int64_t{0}),
                      graph.insertConstant(spec.qmin()), graph.insertConstant(spec.qmax())});
  } else {
    site.step = RootName(site.layer) + "_weight_step";
    if (!root.hasattr(site.step)) root.register_parameter(site.step, InitialWeightSteps(w, config), false);
    Value* step = graph.insert(c10::aten::clamp_min, {graph.insertGetAttr(self, site.step), graph.insertConstant(kEps)});
    Value* zp = graph.insert(c10::aten::zeros_like, {step});  // on the weight's device, unlike a constant
    const double per_channel = static_cast<double>(w.numel() / w.size(0));
    const double grad_factor = 1.0 / std::sqrt(per_channel * static_cast<double>(spec.qmax()));
    q = graph.insert(c10::aten::_fake_quantize_learnable_per_channel_affine,
                     {v, step, zp, graph.insertConstant(int64_t{0}), graph.insertConstant(spec.qmin()),
                      graph.insertConstant(spec.qmax()), graph.insertConstant(grad_factor)});
  }
  v->replaceAllUsesAfterNodeWith(q->node(), q);
}

// The per-sample feature count of `x` times qmax, as 1 / sqrt(.) (LSQ's gradient scale).
Value* ActivationGradFactor(Graph& graph, Value* x, int64_t qmax) {
  Value* n = graph.insert(c10::Symbol::fromQualString("aten::numel"), {x});
  Value* b = graph.insert(c10::aten::size, {x, graph.insertConstant(int64_t{0})});
  Value* per_sample = graph.insert(c10::aten::floordiv, {n, b});
  Value* prod = graph.insert(c10::aten::mul, {per_sample, graph.insertConstant(qmax)});
  Value* root = graph.insert(c10::aten::sqrt, {prod});
  return graph.insert(c10::aten::div, {graph.insertConstant(1.0), root});
}

// Inserts the activation quantizer after `v`, which its readers then read.
void QuantizeActivation(torch::jit::Module& root, Graph& graph, Value* v, size_t index, const QuantizerConfig& config,
                        ActivationSite& site) {
  torch::jit::WithInsertPoint guard(After(graph, v));
  const QuantParams& p = site.params;
  Value* q = nullptr;
  if (config.kind != QuantizerKind::kLsq) {
    q = graph.insert(c10::aten::fake_quantize_per_tensor_affine,
                     {v, graph.insertConstant(static_cast<double>(p.scale)), graph.insertConstant(p.zero_point),
                      graph.insertConstant(p.qmin), graph.insertConstant(p.qmax)});
  } else {
    site.step = "qat_act" + std::to_string(index) + "_step";
    site.zero_point = "qat_act" + std::to_string(index) + "_zero_point";
    if (!root.hasattr(site.step)) {
      root.register_parameter(site.step, torch::full({1}, p.scale, torch::kFloat32), false);
      root.register_buffer(site.zero_point, torch::full({1}, static_cast<float>(p.zero_point), torch::kFloat32));
    }
    Value* self = graph.inputs()[0];
    Value* step = graph.insert(c10::aten::clamp_min, {graph.insertGetAttr(self, site.step), graph.insertConstant(kEps)});
    q = graph.insert(c10::aten::_fake_quantize_learnable_per_tensor_affine,
                     {v, step, graph.insertGetAttr(self, site.zero_point), graph.insertConstant(p.qmin),
                      graph.insertConstant(p.qmax), ActivationGradFactor(graph, v, p.qmax)});
  }
  v->replaceAllUsesAfterNodeWith(q->node(), q);
}

// Every read of a floating-point weight of rank >= 2 in the top-level graph.
std::vector<std::pair<Value*, std::string>> WeightReads(Graph& graph) {
  std::vector<std::pair<Value*, std::string>> out;
  for (Node* n : graph.nodes()) {
    if (n->kind() != c10::prim::GetAttr || n->s(c10::attr::name) != "weight") continue;
    std::string path = AttrPath(n->output(), graph.inputs()[0]);
    if (path.empty()) continue;
    out.emplace_back(n->output(), path.substr(0, path.size() - std::string(".weight").size()));
  }
  return out;
}

Status InstallWeightQuantizers(torch::jit::Module& module, Graph& graph, const QuantizerConfig& config,
                               QuantizerSites& sites) {
  std::map<std::string, size_t> seen;
  for (auto& [v, layer] : WeightReads(graph)) {
    at::Tensor w = TensorAttr(module, layer, "weight");
    if (!w.defined() || w.dim() < 2 || !w.is_floating_point()) continue;
    auto [it, added] = seen.emplace(layer, sites.weights.size());
    if (added) sites.weights.push_back({layer, ""});
    QuantizeWeightRead(module, graph, v, w, config, sites.weights[it->second]);
  }
  if (sites.weights.empty()) return InvalidArgument("the model has no convolution or linear weight");
  return Status::Ok();
}

Status InstallActivationQuantizers(torch::jit::Module& module, Graph& graph,
                                   const std::vector<ActivationPoint>& points, const QuantizerConfig& config,
                                   QuantizerSites& sites) {
  std::map<std::string, Value*> by_name;
  for (Value* in : graph.inputs()) by_name["%" + in->debugName()] = in;
  for (Node* n : graph.nodes()) {
    for (Value* out : n->outputs()) by_name["%" + out->debugName()] = out;
  }
  std::map<std::string, size_t> site_of;
  for (const ActivationPoint& p : points) {
    auto [it, added] = site_of.emplace(p.value, sites.activations.size());
    sites.point_site.push_back(it->second);
    if (!added) continue;
    auto value = by_name.find(p.value);
    if (value == by_name.end()) {
      return InvalidArgument("no value " + p.value + " (of layer " + p.layer + ") in the model's forward");
    }
    ActivationSite site{p.value, config.kind == QuantizerKind::kStatic ? p.params
                                                                         : ChooseQuantParams(p.range, config.activations),
                        "", ""};
    QuantizeActivation(module, graph, value->second, it->second, config, site);
    sites.activations.push_back(std::move(site));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<QuantizerSites> InstallQuantizers(torch::jit::Module& module, const std::vector<ActivationPoint>& points,
                                           const QuantizerConfig& config) {
  try {
    std::shared_ptr<Graph> graph = EvalGraph(module);
    QuantizerSites sites;
    // Activations first: their values are looked up by the names of the unchanged graph.
    HONE_RETURN_IF_ERROR(InstallActivationQuantizers(module, *graph, points, config, sites));
    if (config.kind != QuantizerKind::kStatic) {
      HONE_RETURN_IF_ERROR(InstallWeightQuantizers(module, *graph, config, sites));
    }
    InstallForwardGraph(module, *graph);
    return sites;
  } catch (const std::exception& e) {
    return InvalidArgument(TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
