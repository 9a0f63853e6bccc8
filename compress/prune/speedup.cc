#include "compress/prune/speedup.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "compress/model/script_model_torch.h"
#include "compress/prune/conv_groups_torch.h"

namespace hone::compress {
namespace {

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

void Replace(torch::jit::Module& root, const std::string& layer, const std::string& name, const at::Tensor& value) {
  auto owner = FindSubmodule(root, layer);
  at::Tensor old = owner->attr(name).toTensor();
  owner->setattr(name, value.detach().clone().requires_grad_(old.requires_grad()));
}

}  // namespace

void MaskProducers(ScriptModel& model, const LayerGraph& graph, const ChannelGroup& group,
                   const std::vector<int64_t>& removed, const std::vector<int64_t>& kept_channels, double ratio,
                   PruneResult& report) {
  torch::NoGradGuard no_grad;
  torch::jit::Module& module = ModuleOf(model);
  at::Tensor index = torch::tensor(removed, torch::kInt64);
  for (int p : group.producers) {
    const LayerNode& n = graph.nodes[static_cast<size_t>(p)];
    at::Tensor w = TensorAttr(module, n.name, "weight");
    at::Tensor b = TensorAttr(module, n.name, "bias");
    if (!removed.empty()) {
      w.index_fill_(0, index, 0.0);
      if (b.defined()) b.index_fill_(0, index, 0.0);
    }
    LayerPruneResult r;
    r.name = n.name;
    r.op_type = n.kind == OpKind::kConv2d ? "Conv2d" : "Linear";
    r.target_ratio = ratio;
    r.weights = w.numel();
    r.zero_weights = w.eq(0).sum().item<int64_t>();
    r.channels = group.channels;
    r.kept_channels = kept_channels;
    report.weights += r.weights;
    report.zero_weights += r.zero_weights;
    report.layers.push_back(std::move(r));
  }
}

Status MaskFollowers(ScriptModel& model, const LayerGraph& graph, const ChannelGroup& group,
                     const std::vector<int64_t>& removed) {
  if (removed.empty()) return Status::Ok();
  try {
    torch::NoGradGuard no_grad;
    torch::jit::Module& module = ModuleOf(model);
    const at::Tensor idx = torch::tensor(removed, torch::kInt64);
    for (const ChannelConsumer& f : group.followers) {
      const std::string& name = graph.nodes[static_cast<size_t>(f.node)].name;
      for (const char* attr : {"weight", "bias"}) {
        at::Tensor t = TensorAttr(module, name, attr);
        if (t.defined()) t.index_fill_(0, idx + f.offset, 0.0);
      }
    }
  } catch (const std::exception& e) {
    return InvalidArgument("masking the layers that follow pruned channels failed: " + TorchErrorMessage(e));
  }
  return Status::Ok();
}

StatusOr<GroupPruneResult> PruneChannelGroups(ScriptModel& model, const LayerGraph& graph,
                                              const ChannelAnalysis& groups, const PruneConfig& config) {
  if (config.pruner != "l1" && config.pruner != "l2" && config.pruner != "fpgm") {
    return InvalidArgument("speedup removes whole channels and needs a structured pruner (l1, l2 or fpgm), but got '" +
                           config.pruner + "'");
  }
  HONE_RETURN_IF_ERROR(RequireStructuredSupport(graph));
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
        score += Scores(config.pruner, TensorAttr(module, graph.nodes[static_cast<size_t>(p)].name, "weight"));
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
      std::vector<int64_t> removed_list(gone.begin(), gone.end());
      MaskProducers(model, graph, g, removed_list, kept, ratio, out.report);
      HONE_RETURN_IF_ERROR(MaskFollowers(model, graph, g, removed_list));
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
    // clone() under no-grad leaves every parameter with requires_grad off; the sped-up
    // model stays as trainable as `model` (in C++ and in Python after saving).
    std::map<std::string, bool> trainable;
    for (const auto& p : ModuleOf(model).named_parameters(/*recurse=*/true)) trainable[p.name] = p.value.requires_grad();
    for (const auto& p : copy.named_parameters(/*recurse=*/true)) p.value.requires_grad_(trainable[p.name]);
    // What each layer reads: the groups of its input channels (or features), in order.
    struct Read {
      int64_t offset;
      int group;
      int64_t spatial;
    };
    std::vector<std::vector<Read>> read_by(graph.nodes.size());
    for (const ChannelGroup& g : groups.groups) {
      for (const ChannelConsumer& c : g.consumers) {
        read_by[static_cast<size_t>(c.node)].push_back({c.offset, g.id, c.spatial});
      }
    }
    std::vector<ChannelLayout> reads(graph.nodes.size());
    std::vector<int64_t> spatial(graph.nodes.size(), 1);
    for (size_t i = 0; i < read_by.size(); ++i) {
      std::sort(read_by[i].begin(), read_by[i].end(),
                [](const Read& a, const Read& b) { return a.offset < b.offset; });
      for (const Read& r : read_by[i]) {
        reads[i].push_back({r.group, groups.groups[static_cast<size_t>(r.group)].channels});
        spatial[i] = r.spatial;
      }
    }
    std::set<int> depthwise;
    for (const ChannelGroup& g : groups.groups) depthwise.insert(g.depthwise.begin(), g.depthwise.end());
    auto index = [](const std::vector<int64_t>& idx) { return torch::tensor(idx, torch::kInt64); };
    std::vector<std::pair<std::string, int64_t>> new_groups;
    std::set<std::string> done;
    for (const LayerNode& n : graph.nodes) {
      if (n.name.find('/') != std::string::npos || !done.insert(n.name).second) continue;
      const ChannelLayout& out_layout = groups.layout_of_output[static_cast<size_t>(n.id)];
      if (n.kind == OpKind::kConv2d && depthwise.count(n.id)) {
        // Filter c is channel c's: the kept channels keep their filters, one per group.
        const std::vector<int64_t> idx = KeptIndices(out_layout, kept);
        at::Tensor w = TensorAttr(copy, n.name, "weight");
        if (!w.defined() || static_cast<int64_t>(idx.size()) == w.size(0)) continue;
        Replace(copy, n.name, "weight", w.index_select(0, index(idx)));
        at::Tensor b = TensorAttr(copy, n.name, "bias");
        if (b.defined()) Replace(copy, n.name, "bias", b.index_select(0, index(idx)));
        new_groups.emplace_back(n.name, static_cast<int64_t>(idx.size()));
      } else if (n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear) {
        at::Tensor w = TensorAttr(copy, n.name, "weight");
        at::Tensor b = TensorAttr(copy, n.name, "bias");
        if (!w.defined()) continue;
        if (out_layout.size() == 1) {
          const std::vector<int64_t> idx = KeptIndices(out_layout, kept);
          if (static_cast<int64_t>(idx.size()) != w.size(0)) {
            w = w.index_select(0, index(idx));
            if (b.defined()) Replace(copy, n.name, "bias", b.index_select(0, index(idx)));
          }
        }
        const ChannelLayout& in_layout = reads[static_cast<size_t>(n.id)];
        if (!in_layout.empty()) {
          const std::vector<int64_t> idx = KeptIndices(in_layout, kept, spatial[static_cast<size_t>(n.id)]);
          if (static_cast<int64_t>(idx.size()) != w.size(1)) w = w.index_select(1, index(idx));
        }
        Replace(copy, n.name, "weight", w);
      } else if (n.kind == OpKind::kBatchNorm && !out_layout.empty()) {
        const std::vector<int64_t> idx = KeptIndices(out_layout, kept);
        for (const char* attr : {"weight", "bias", "running_mean", "running_var"}) {
          at::Tensor t = TensorAttr(copy, n.name, attr);
          if (t.defined() && t.dim() == 1 && t.size(0) != static_cast<int64_t>(idx.size())) {
            Replace(copy, n.name, attr, t.index_select(0, index(idx)));
          }
        }
      }
    }
    HONE_RETURN_IF_ERROR(SetConvGroups(copy, new_groups));
    return WrapModule(std::move(copy));
  } catch (const std::exception& e) {
    return InvalidArgument("speedup failed: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
