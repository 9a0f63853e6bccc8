#include "compress/prune/speedup.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "compress/model/script_model_torch.h"
#include "compress/prune/conv_groups_torch.h"
#include "compress/prune/filter_norms_torch.h"

namespace hone::compress {
namespace {

void Replace(torch::jit::Module& root, const std::string& layer, const std::string& name, const at::Tensor& value) {
  auto owner = FindSubmodule(root, layer);
  at::Tensor old = owner->attr(name).toTensor();
  owner->setattr(name, value.detach().clone().requires_grad_(old.requires_grad()));
}

at::Tensor Index(const std::vector<int64_t>& idx) { return torch::tensor(idx, torch::kInt64); }

// clone() under no-grad leaves every parameter with requires_grad off; the sped-up
// model stays as trainable as `model` (in C++ and in Python after saving).
void KeepTrainability(const torch::jit::Module& model, torch::jit::Module& copy) {
  std::map<std::string, bool> trainable;
  for (const auto& p : model.named_parameters(/*recurse=*/true)) trainable[p.name] = p.value.requires_grad();
  for (const auto& p : copy.named_parameters(/*recurse=*/true)) p.value.requires_grad_(trainable[p.name]);
}

// Per node: the groups of its input channels (or features) in order, and the features
// each channel spans (H x W for a linear layer after a flatten).
struct InputLayouts {
  std::vector<ChannelLayout> reads;
  std::vector<int64_t> spatial;
};

InputLayouts ReadLayouts(const LayerGraph& graph, const ChannelAnalysis& groups) {
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
  InputLayouts out{std::vector<ChannelLayout>(graph.nodes.size()), std::vector<int64_t>(graph.nodes.size(), 1)};
  for (size_t i = 0; i < read_by.size(); ++i) {
    std::sort(read_by[i].begin(), read_by[i].end(), [](const Read& a, const Read& b) { return a.offset < b.offset; });
    for (const Read& r : read_by[i]) {
      out.reads[i].push_back({r.group, groups.groups[static_cast<size_t>(r.group)].channels});
      out.spatial[i] = r.spatial;
    }
  }
  return out;
}

// A depthwise convolution: filter c is channel c's, so the kept channels keep their
// filters, one per group.
void CutDepthwise(torch::jit::Module& copy, const LayerNode& n, const std::vector<int64_t>& idx,
                  std::vector<std::pair<std::string, int64_t>>& new_groups) {
  at::Tensor w = TensorAttr(copy, n.name, "weight");
  if (!w.defined() || static_cast<int64_t>(idx.size()) == w.size(0)) return;
  Replace(copy, n.name, "weight", w.index_select(0, Index(idx)));
  at::Tensor b = TensorAttr(copy, n.name, "bias");
  if (b.defined()) Replace(copy, n.name, "bias", b.index_select(0, Index(idx)));
  new_groups.emplace_back(n.name, static_cast<int64_t>(idx.size()));
}

// A convolution or linear layer: its outputs (when they form one group) and its inputs.
void CutWeighted(torch::jit::Module& copy, const LayerNode& n, const ChannelLayout& out_layout,
                 const ChannelLayout& in_layout, int64_t spatial, const std::vector<std::vector<int64_t>>& kept) {
  at::Tensor w = TensorAttr(copy, n.name, "weight");
  at::Tensor b = TensorAttr(copy, n.name, "bias");
  if (!w.defined()) return;
  if (out_layout.size() == 1) {
    const std::vector<int64_t> idx = KeptIndices(out_layout, kept);
    if (static_cast<int64_t>(idx.size()) != w.size(0)) {
      w = w.index_select(0, Index(idx));
      if (b.defined()) Replace(copy, n.name, "bias", b.index_select(0, Index(idx)));
    }
  }
  if (!in_layout.empty()) {
    const std::vector<int64_t> idx = KeptIndices(in_layout, kept, spatial);
    if (static_cast<int64_t>(idx.size()) != w.size(1)) w = w.index_select(1, Index(idx));
  }
  Replace(copy, n.name, "weight", w);
}

void CutBatchNorm(torch::jit::Module& copy, const LayerNode& n, const std::vector<int64_t>& idx) {
  for (const char* attr : {"weight", "bias", "running_mean", "running_var"}) {
    at::Tensor t = TensorAttr(copy, n.name, attr);
    if (t.defined() && t.dim() == 1 && t.size(0) != static_cast<int64_t>(idx.size())) {
      Replace(copy, n.name, attr, t.index_select(0, Index(idx)));
    }
  }
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
    r.op_type = PrunableOpType(n);
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
  if (PrunerTraitsOf(config.pruner).scoring != PrunerScoring::kWeightNorm) {
    return InvalidArgument("speedup removes whole channels and needs a structured pruner (l1, l2 or fpgm), but got '" +
                           PrunerName(config.pruner) + "'");
  }
  GroupPruneResult out;
  out.kept.resize(groups.groups.size());
  std::string blocked;
  try {
    torch::NoGradGuard no_grad;
    torch::jit::Module& module = ModuleOf(model);
    for (const ChannelGroup& g : groups.groups) {
      double ratio = 1;
      const std::vector<int> ranked = RankedProducers(g);
      bool selected = !ranked.empty();
      for (int p : ranked) {
        const PruneRule* rule = RuleFor(config, graph.nodes[static_cast<size_t>(p)]);
        if (rule == nullptr) selected = false;
        else ratio = std::min(ratio, rule->sparse_ratio);
      }
      if (!selected) continue;
      if (!g.prunable) {
        blocked += BlockedGroupLine(graph, g);
        continue;
      }
      at::Tensor score = torch::zeros({g.channels});
      for (int p : ranked) {
        score += WeightNormScores(config.pruner, TensorAttr(module, graph.nodes[static_cast<size_t>(p)].name, "weight"),
                                  /*per_weight=*/true);
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
  HONE_RETURN_IF_ERROR(RequireSomethingPruned(out.report, blocked));
  out.report.kept_whole = blocked;
  return out;
}

StatusOr<ScriptModel> Speedup(const ScriptModel& model, const LayerGraph& graph, const ChannelAnalysis& groups,
                              const std::vector<std::vector<int64_t>>& kept) {
  try {
    torch::NoGradGuard no_grad;
    torch::jit::Module copy = ModuleOf(model).clone();
    KeepTrainability(ModuleOf(model), copy);
    const InputLayouts inputs = ReadLayouts(graph, groups);
    std::set<int> depthwise;
    for (const ChannelGroup& g : groups.groups) depthwise.insert(g.depthwise.begin(), g.depthwise.end());
    std::vector<std::pair<std::string, int64_t>> new_groups;
    std::set<std::string> done;
    for (const LayerNode& n : graph.nodes) {
      if (n.name.find('/') != std::string::npos || !done.insert(n.name).second) continue;
      const ChannelLayout& out_layout = groups.layout_of_output[static_cast<size_t>(n.id)];
      if (n.kind == OpKind::kConv2d && depthwise.count(n.id)) {
        CutDepthwise(copy, n, KeptIndices(out_layout, kept), new_groups);
      } else if (n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear) {
        const size_t i = static_cast<size_t>(n.id);
        CutWeighted(copy, n, out_layout, inputs.reads[i], inputs.spatial[i], kept);
      } else if (n.kind == OpKind::kBatchNorm && !out_layout.empty()) {
        CutBatchNorm(copy, n, KeptIndices(out_layout, kept));
      }
    }
    HONE_RETURN_IF_ERROR(SetConvGroups(copy, new_groups));
    return WrapModule(std::move(copy));
  } catch (const std::exception& e) {
    return InvalidArgument("speedup failed: " + TorchErrorMessage(e));
  }
}

std::string BlockedGroupLine(const LayerGraph& graph, const ChannelGroup& group) {
  return "\n  " + graph.nodes[static_cast<size_t>(group.producers.front())].name + ": " + group.reason;
}

Status RequireSomethingPruned(const PruneResult& report, const std::string& blocked) {
  if (!report.layers.empty()) return Status::Ok();
  return InvalidArgument("the config_list selects no layer whose channels can be removed" +
                         (blocked.empty() ? std::string() : ":" + blocked));
}

}  // namespace hone::compress
