#include "compress/prune/data_pruners.h"

#include <algorithm>

#include "compress/model/script_model_torch.h"
#include "compress/prune/graph_probe_torch.h"
#include "compress/train/image_batches_torch.h"
#include "compress/train/trainer.h"

namespace hone::compress {
namespace {

std::vector<double> ToVector(const at::Tensor& t) {
  at::Tensor d = t.detach().to(torch::kDouble).contiguous();
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

// The first node after `from` in execution order that reads `from`'s output and has one of `kinds`.
int NextReader(const LayerGraph& graph, int from, std::initializer_list<OpKind> kinds) {
  for (const LayerNode& n : graph.nodes) {
    if (n.id <= from) continue;
    if (std::find(n.inputs.begin(), n.inputs.end(), from) == n.inputs.end()) continue;
    if (std::find(kinds.begin(), kinds.end(), n.kind) != kinds.end()) return n.id;
  }
  return -1;
}

StatusOr<FilterScoreMap> TaylorScores(torch::jit::Module& module, const LayerGraph& graph,
                                      const std::vector<SelectedLayer>& layers, const ImageBatches& data,
                                      const std::vector<at::Tensor>& batches) {
  std::vector<std::pair<std::string, at::Tensor>> weights;
  for (const SelectedLayer& l : layers) {
    const std::string& name = graph.nodes[static_cast<size_t>(l.node)].name;
    auto owner = FindSubmodule(module, name);
    if (!owner || !owner->hasattr("weight")) return InvalidArgument("layer " + name + " has no weight");
    at::Tensor w = owner->attr("weight").toTensor();
    if (!w.is_leaf()) {
      return InvalidArgument("layer " + name + "'s weight is computed from another tensor (not a leaf): no gradient reaches it");
    }
    weights.emplace_back(name, w);
  }
  std::vector<at::Tensor> params;
  std::vector<bool> had_grad;
  for (const at::Tensor& p : module.parameters(/*recurse=*/true)) {
    params.push_back(p);
    had_grad.push_back(p.requires_grad());
    p.requires_grad_(true);
  }
  std::vector<at::Tensor> sums(weights.size());
  module.eval();
  for (const at::Tensor& idx : batches) {
    for (const at::Tensor& p : params) p.mutable_grad() = at::Tensor();
    at::Tensor out = module.forward({data.Images(idx)}).toTensor();
    torch::nn::functional::cross_entropy(out, data.Labels(idx)).backward();
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < weights.size(); ++i) {
      const at::Tensor& w = weights[i].second;
      at::Tensor g = w.grad().defined() ? w.grad() : torch::zeros_like(w);
      at::Tensor s = (w * g).reshape({w.size(0), -1}).sum(1).to(torch::kDouble).pow(2);
      sums[i] = sums[i].defined() ? sums[i] + s : s;
    }
  }
  for (size_t i = 0; i < params.size(); ++i) {
    params[i].mutable_grad() = at::Tensor();
    params[i].requires_grad_(had_grad[i]);
  }
  FilterScoreMap scores;
  for (size_t i = 0; i < weights.size(); ++i) scores[weights[i].first] = ToVector(sums[i]);
  return scores;
}

// apoz and mean_activation: the activation after each selected layer, recorded by running
// the model's inlined forward graph with those values as extra outputs.
StatusOr<FilterScoreMap> ActivationScores(PrunerKind pruner, torch::jit::Module& module,
                                          const LayerGraph& graph, const std::vector<SelectedLayer>& layers,
                                          const ImageBatches& data, const std::vector<at::Tensor>& batches) {
  GraphProbe probe(module);
  std::vector<torch::jit::Value*> probes;
  std::vector<bool> apply_relu;  // no activation follows: relu of the layer's (batch-normed) output
  for (const SelectedLayer& l : layers) {
    const LayerNode& layer = graph.nodes[static_cast<size_t>(l.node)];
    int out = l.node;
    int bn = NextReader(graph, out, {OpKind::kBatchNorm});
    if (bn >= 0 && graph.nodes[static_cast<size_t>(bn)].inputs.front() == out) out = bn;
    int act = NextReader(graph, out, {OpKind::kActivation});
    if (act >= 0 && graph.nodes[static_cast<size_t>(act)].inputs.front() != out) act = -1;
    const LayerNode& observed = graph.nodes[static_cast<size_t>(act >= 0 ? act : out)];
    torch::jit::Value* v = probe.Find(observed.value);
    if (v == nullptr) {
      return InvalidArgument("cannot observe the activation after layer " + layer.name + " (" + observed.value + ")");
    }
    probes.push_back(v);
    apply_relu.push_back(act < 0);
  }
  std::unique_ptr<torch::jit::GraphFunction> fn = probe.Returning(probes, "hone_activation_probe");
  torch::NoGradGuard no_grad;
  module.eval();
  std::vector<at::Tensor> sums(layers.size());
  int64_t images = 0;
  for (const at::Tensor& idx : batches) {
    c10::IValue result = (*fn)({module._ivalue(), data.Images(idx)});
    const auto& values = result.toTupleRef().elements();
    for (size_t i = 0; i < layers.size(); ++i) {
      at::Tensor a = values[i].toTensor().to(torch::kDouble);
      if (apply_relu[i]) a = a.relu();
      // Per image and channel: the fraction of zeros, or the mean.
      at::Tensor per = pruner == PrunerKind::kApoz ? a.eq(0).to(torch::kDouble) : a;
      per = per.dim() > 2 ? per.flatten(2).mean(2) : per;
      at::Tensor s = per.sum(0);
      sums[i] = sums[i].defined() ? sums[i] + s : s;
    }
    images += idx.size(0);
  }
  FilterScoreMap scores;
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerNode& layer = graph.nodes[static_cast<size_t>(layers[i].node)];
    at::Tensor mean = sums[i] / static_cast<double>(images);
    if (mean.numel() != layer.out_channels) {
      return InvalidArgument("the activation after layer " + layer.name + " has " + std::to_string(mean.numel()) +
                             " channels, not the layer's " + std::to_string(layer.out_channels));
    }
    scores[layer.name] = ToVector(pruner == PrunerKind::kApoz ? 1.0 - mean : mean);
  }
  return scores;
}

StatusOr<FilterScoreMap> SlimScores(ScriptModel& model, const LayerGraph& graph,
                                    const std::vector<SelectedLayer>& layers, const PruneConfig& config,
                                    const ScoringData& data) {
  torch::jit::Module& module = ModuleOf(model);
  std::vector<std::pair<std::string, at::Tensor>> gammas;
  for (const SelectedLayer& l : layers) {
    const LayerNode& layer = graph.nodes[static_cast<size_t>(l.node)];
    int bn = NextReader(graph, l.node, {OpKind::kBatchNorm});
    if (bn < 0 || graph.nodes[static_cast<size_t>(bn)].inputs.front() != l.node) {
      return InvalidArgument("slim ranks batch-norm scales, but layer " + layer.name +
                             " has no batch norm after it; select only layers followed by one (op_types, op_names)");
    }
    auto owner = FindSubmodule(module, graph.nodes[static_cast<size_t>(bn)].name);
    if (!owner || !owner->hasattr("weight") || !owner->attr("weight").isTensor()) {
      return InvalidArgument("the batch norm after layer " + layer.name + " has no scale (affine=False)");
    }
    gammas.emplace_back(layer.name, owner->attr("weight").toTensor());
  }
  const PrunerOptions& o = config.options;
  if (o.sparsity_epochs > 0) {
    TrainOptions train;
    train.optimizer = "sgd";
    train.lr = o.lr;
    train.schedule = "constant";
    train.epochs = o.sparsity_epochs;
    train.batch_size = o.batch_size;
    train.threads = data.threads;
    train.seed = data.seed;
    train.progress = data.progress;
    const double lambda = o.sparsity_lambda;
    train.after_backward = [&gammas, lambda] {
      torch::NoGradGuard no_grad;
      for (auto& [name, gamma] : gammas) {
        if (gamma.grad().defined()) gamma.mutable_grad().add_(gamma.sign() * lambda);
      }
    };
    auto trained = Train(model, *data.train, nullptr, data.norm, train);
    if (!trained.ok()) return trained.status();
  }
  FilterScoreMap scores;
  for (auto& [name, gamma] : gammas) scores[name] = ToVector(gamma.abs());
  return scores;
}

}  // namespace

StatusOr<FilterScoreMap> DataFilterScores(ScriptModel& model, const LayerGraph& graph, const PruneConfig& config,
                                          const ScoringData& data) {
  const std::string name = PrunerName(config.pruner);
  if (!PrunerTraitsOf(config.pruner).needs_data) {
    return InvalidArgument("the " + name + " pruner does not rank filters from data");
  }
  if (data.train == nullptr || data.train->count <= 0) {
    return InvalidArgument("the " + name + " pruner needs training data (--data)");
  }
  std::vector<SelectedLayer> layers = SelectLayers(graph, config);
  if (layers.empty()) return InvalidArgument("the config_list selects no Conv2d or Linear layer of this model");
  if (config.pruner == PrunerKind::kSlim) return SlimScores(model, graph, layers, config, data);
  SetTorchThreads(data.threads);
  try {
    ImageBatches batches(*data.train, data.norm);
    const PrunerOptions& o = config.options;
    std::vector<at::Tensor> idx = SeededBatchIndices(batches.size(), std::min(batches.size(), o.batches * o.batch_size),
                                                         o.batch_size, data.seed);
    torch::jit::Module& module = ModuleOf(model);
    if (config.pruner == PrunerKind::kTaylor) return TaylorScores(module, graph, layers, batches, idx);
    return ActivationScores(config.pruner, module, graph, layers, batches, idx);
  } catch (const std::exception& e) {
    return InvalidArgument(name + " scoring failed: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
