#include "compress/prune/speedup.h"

#include <cmath>
#include <set>

#include "compress/model/script_model_torch.h"

namespace hone::compress {
namespace {

at::Tensor Attr(torch::jit::Module& root, const std::string& layer, const std::string& name) {
  auto owner = FindSubmodule(root, layer);
  if (!owner || !owner->hasattr(name)) return at::Tensor();
  c10::IValue v = owner->attr(name);
  return v.isTensor() ? v.toTensor() : at::Tensor();
}

// Per-filter score over a weight, per weight (so that layers of any fan-in add up fairly).
at::Tensor Scores(const std::string& pruner, const at::Tensor& w) {
  at::Tensor f = w.reshape({w.size(0), -1});
  const double n = static_cast<double>(f.size(1));
  if (pruner == "l1") return f.abs().sum(1) / n;
  if (pruner == "l2") return f.norm(2, 1) / std::sqrt(n);
  return torch::cdist(f.unsqueeze(0), f.unsqueeze(0)).squeeze(0).sum(1) /
         (std::sqrt(n) * static_cast<double>(std::max<int64_t>(1, f.size(0) - 1)));
}

const PruneRule* RuleFor(const PruneConfig& config, const LayerNode& n) {
  const std::string type = n.kind == OpKind::kConv2d ? "Conv2d" : "Linear";
  const PruneRule* rule = nullptr;
  for (const PruneRule& r : config.rules) {
    if (RuleMatches(r, type, n.name)) rule = &r;
  }
  return rule == nullptr || rule->exclude || rule->sparse_ratio <= 0 ? nullptr : rule;
}

// Channel c of a group expands to features [c * spatial, (c + 1) * spatial).
at::Tensor Expand(const std::vector<int64_t>& kept, int64_t spatial) {
  std::vector<int64_t> idx;
  for (int64_t c : kept) {
    for (int64_t s = 0; s < spatial; ++s) idx.push_back(c * spatial + s);
  }
  return torch::tensor(idx, torch::kInt64);
}

void Replace(torch::jit::Module& root, const std::string& layer, const std::string& name, const at::Tensor& value) {
  auto owner = FindSubmodule(root, layer);
  at::Tensor old = owner->attr(name).toTensor();
  owner->setattr(name, value.detach().clone().requires_grad_(old.requires_grad()));
}

}  // namespace

StatusOr<GroupPruneResult> PruneChannelGroups(ScriptModel& model, const LayerGraph& graph,
                                              const ChannelAnalysis& groups, const PruneConfig& config) {
  if (config.pruner != "l1" && config.pruner != "l2" && config.pruner != "fpgm") {
    return InvalidArgument("speedup removes whole channels and needs a structured pruner (l1, l2 or fpgm), but got '" +
                           config.pruner + "'");
  }
  GroupPruneResult out;
  out.kept.resize(groups.groups.size());
  std::string blocked;
  try {
    torch::NoGradGuard no_grad;
    torch::jit::Module& module = ModuleOf(model);
    for (const ChannelGroup& g : groups.groups) {
      double ratio = 1;
      bool selected = !g.producers.empty();
      for (int p : g.producers) {
        const PruneRule* rule = RuleFor(config, graph.nodes[static_cast<size_t>(p)]);
        if (rule == nullptr) selected = false;
        else ratio = std::min(ratio, rule->sparse_ratio);
      }
      if (!selected) continue;
      if (!g.prunable) {
        blocked += "\n  " + graph.nodes[static_cast<size_t>(g.producers.front())].name + ": " + g.reason;
        continue;
      }
      at::Tensor score = torch::zeros({g.channels});
      for (int p : g.producers) {
        score += Scores(config.pruner, Attr(module, graph.nodes[static_cast<size_t>(p)].name, "weight"));
      }
      const int64_t k = std::min(static_cast<int64_t>(std::floor(ratio * static_cast<double>(g.channels))), g.channels - 1);
      if (k <= 0) continue;
      at::Tensor removed = std::get<1>(score.sort(/*stable=*/true, 0, false)).slice(0, 0, k);
      std::set<int64_t> gone;
      for (int64_t i = 0; i < k; ++i) gone.insert(removed[i].item<int64_t>());
      std::vector<int64_t>& kept = out.kept[static_cast<size_t>(g.id)];
      for (int64_t c = 0; c < g.channels; ++c) {
        if (!gone.count(c)) kept.push_back(c);
      }
      for (int p : g.producers) {
        const LayerNode& n = graph.nodes[static_cast<size_t>(p)];
        at::Tensor w = Attr(module, n.name, "weight");
        at::Tensor b = Attr(module, n.name, "bias");
        w.index_fill_(0, removed, 0.0);
        if (b.defined()) b.index_fill_(0, removed, 0.0);
        LayerPruneResult r;
        r.name = n.name;
        r.op_type = n.kind == OpKind::kConv2d ? "Conv2d" : "Linear";
        r.target_ratio = ratio;
        r.weights = w.numel();
        r.zero_weights = w.eq(0).sum().item<int64_t>();
        r.channels = g.channels;
        r.kept_channels = kept;
        out.report.weights += r.weights;
        out.report.zero_weights += r.zero_weights;
        out.report.layers.push_back(std::move(r));
      }
      for (int bn : g.batch_norms) {
        const std::string& name = graph.nodes[static_cast<size_t>(bn)].name;
        for (const char* attr : {"weight", "bias"}) {
          at::Tensor t = Attr(module, name, attr);
          if (t.defined()) t.index_fill_(0, removed, 0.0);
        }
      }
    }
  } catch (const std::exception& e) {
    return InvalidArgument("pruning failed: " + TorchErrorMessage(e));
  }
  if (out.report.layers.empty()) {
    return InvalidArgument("the config_list selects no layer whose channels can be removed" +
                           (blocked.empty() ? std::string() : ":" + blocked));
  }
  return out;
}

StatusOr<ScriptModel> Speedup(const ScriptModel& model, const LayerGraph& graph, const ChannelAnalysis& groups,
                              const std::vector<std::vector<int64_t>>& kept) {
  try {
    torch::NoGradGuard no_grad;
    torch::jit::Module copy = ModuleOf(model).clone();
    // Which group each layer reads, and with how many features per channel.
    std::vector<std::pair<int, int64_t>> reads(graph.nodes.size(), {-1, 1});
    for (const ChannelGroup& g : groups.groups) {
      for (const ChannelConsumer& c : g.consumers) reads[static_cast<size_t>(c.node)] = {g.id, c.spatial};
    }
    auto kept_of = [&](int g) -> const std::vector<int64_t>* {
      if (g < 0 || kept[static_cast<size_t>(g)].empty()) return nullptr;
      return &kept[static_cast<size_t>(g)];
    };
    std::set<std::string> done;
    for (const LayerNode& n : graph.nodes) {
      if (n.name.find('/') != std::string::npos || !done.insert(n.name).second) continue;
      if (n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear) {
        at::Tensor w = Attr(copy, n.name, "weight");
        at::Tensor b = Attr(copy, n.name, "bias");
        if (!w.defined()) continue;
        if (const auto* out = kept_of(groups.group_of_output[static_cast<size_t>(n.id)])) {
          at::Tensor idx = torch::tensor(*out, torch::kInt64);
          w = w.index_select(0, idx);
          if (b.defined()) Replace(copy, n.name, "bias", b.index_select(0, idx));
        }
        auto [in_group, spatial] = reads[static_cast<size_t>(n.id)];
        if (const auto* in = kept_of(in_group)) w = w.index_select(1, Expand(*in, spatial));
        Replace(copy, n.name, "weight", w);
      } else if (n.kind == OpKind::kBatchNorm) {
        const auto* in = kept_of(groups.group_of_output[static_cast<size_t>(n.id)]);
        if (in == nullptr) continue;
        at::Tensor idx = torch::tensor(*in, torch::kInt64);
        for (const char* attr : {"weight", "bias", "running_mean", "running_var"}) {
          at::Tensor t = Attr(copy, n.name, attr);
          if (t.defined()) Replace(copy, n.name, attr, t.index_select(0, idx));
        }
      }
    }
    return WrapModule(std::move(copy));
  } catch (const std::exception& e) {
    return InvalidArgument("speedup failed: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
