#include "compress/prune/channel_groups.h"

#include <numeric>

namespace hone::compress {
namespace {

// Union-find over provisional groups; merged groups keep the smallest id.
class Groups {
 public:
  int Add(int64_t channels) {
    parent_.push_back(static_cast<int>(parent_.size()));
    ChannelGroup group;
    group.id = static_cast<int>(groups_.size());
    group.channels = channels;
    groups_.push_back(std::move(group));
    return parent_.back();
  }
  int Find(int g) {
    while (parent_[static_cast<size_t>(g)] != g) g = parent_[static_cast<size_t>(g)];
    return g;
  }
  int Merge(int a, int b) {
    a = Find(a);
    b = Find(b);
    if (a == b) return a;
    if (b < a) std::swap(a, b);
    parent_[static_cast<size_t>(b)] = a;
    ChannelGroup& ga = groups_[static_cast<size_t>(a)];
    ChannelGroup& gb = groups_[static_cast<size_t>(b)];
    ga.producers.insert(ga.producers.end(), gb.producers.begin(), gb.producers.end());
    ga.consumers.insert(ga.consumers.end(), gb.consumers.begin(), gb.consumers.end());
    ga.batch_norms.insert(ga.batch_norms.end(), gb.batch_norms.begin(), gb.batch_norms.end());
    if (!gb.prunable) Block(a, gb.reason);
    return a;
  }
  ChannelGroup& operator[](int g) { return groups_[static_cast<size_t>(Find(g))]; }
  void Block(int g, const std::string& reason) {
    ChannelGroup& group = (*this)[g];
    if (group.prunable) group.reason = reason;
    group.prunable = false;
  }
  ChannelAnalysis Finish(const std::vector<int>& group_of_output) {
    ChannelAnalysis out;
    std::vector<int> new_id(groups_.size(), -1);
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (Find(static_cast<int>(g)) != static_cast<int>(g)) continue;
      new_id[g] = static_cast<int>(out.groups.size());
      out.groups.push_back(groups_[g]);
      out.groups.back().id = new_id[g];
    }
    for (int g : group_of_output) out.group_of_output.push_back(g < 0 ? -1 : new_id[static_cast<size_t>(Find(g))]);
    return out;
  }

 private:
  std::vector<int> parent_;
  std::vector<ChannelGroup> groups_;
};

}  // namespace

ChannelAnalysis AnalyzeChannels(const LayerGraph& graph) {
  Groups groups;
  const int input_group = groups.Add(graph.input_shape.size() > 1 ? graph.input_shape[1] : 0);
  groups.Block(input_group, "the model's input");
  std::vector<int> group_of(graph.nodes.size(), -1);
  // A flatten's output: the group it came from and the features per channel.
  std::vector<std::pair<int, int64_t>> flattened(graph.nodes.size(), {-1, 0});
  auto input_group_of = [&](int producer) { return producer < 0 ? input_group : group_of[static_cast<size_t>(producer)]; };

  for (const LayerNode& n : graph.nodes) {
    const size_t i = static_cast<size_t>(n.id);
    const int64_t channels = n.output_shape.size() > 1 ? n.output_shape[1] : 0;
    auto block_inputs = [&](const std::string& reason) {
      for (int in : n.inputs) {
        int g = in >= 0 && flattened[static_cast<size_t>(in)].first >= 0 ? flattened[static_cast<size_t>(in)].first
                                                                          : input_group_of(in);
        if (g >= 0) groups.Block(g, reason);
      }
    };
    switch (n.kind) {
      case OpKind::kConv2d: {
        if (n.inputs.empty()) break;
        int in = input_group_of(n.inputs[0]);
        group_of[i] = groups.Add(channels);
        groups[group_of[i]].producers.push_back(n.id);
        if (n.groups != 1) {
          const std::string why = (n.groups == n.in_channels ? "depthwise" : "grouped") + std::string(" convolution ") + n.name;
          groups.Block(group_of[i], why);
          if (in >= 0) groups.Block(in, why);
        } else if (in >= 0) {
          groups[in].consumers.push_back({n.id, 1});
        }
        break;
      }
      case OpKind::kLinear: {
        if (n.inputs.empty()) break;
        const int src = n.inputs[0];
        if (src >= 0 && flattened[static_cast<size_t>(src)].first >= 0) {
          auto [g, spatial] = flattened[static_cast<size_t>(src)];
          groups[g].consumers.push_back({n.id, spatial});
        } else if (int in = input_group_of(src); in >= 0) {
          if (n.input_shapes.empty() || n.input_shapes[0].size() != 2) {
            groups.Block(in, "linear layer " + n.name + " on a tensor of more than 2 dimensions");
          } else {
            groups[in].consumers.push_back({n.id, 1});
          }
        }
        group_of[i] = groups.Add(n.out_channels);
        groups[group_of[i]].producers.push_back(n.id);
        break;
      }
      case OpKind::kBatchNorm:
      case OpKind::kActivation:
      case OpKind::kPool:
      case OpKind::kAdaptivePool:
      case OpKind::kDropout: {
        if (n.inputs.size() != 1) {
          block_inputs(n.op + " at " + n.value);
          break;
        }
        const int src = n.inputs[0];
        if (src >= 0 && flattened[static_cast<size_t>(src)].first >= 0) {
          flattened[i] = flattened[static_cast<size_t>(src)];  // dropout/activation after flatten
          break;
        }
        group_of[i] = input_group_of(src);
        if (n.kind == OpKind::kBatchNorm && group_of[i] >= 0) groups[group_of[i]].batch_norms.push_back(n.id);
        break;
      }
      case OpKind::kAdd: {
        int merged = -1;
        for (int in : n.inputs) {
          int g = input_group_of(in);
          if (g < 0) continue;
          merged = merged < 0 ? g : groups.Merge(merged, g);
        }
        if (n.inputs.size() != 2) block_inputs("an add of " + std::to_string(n.inputs.size()) + " tensors at " + n.value);
        group_of[i] = merged;
        break;
      }
      case OpKind::kFlatten: {
        if (n.inputs.size() == 1 && n.output_shape.size() == 2) {
          const int src = n.inputs[0];
          if (src >= 0 && flattened[static_cast<size_t>(src)].first >= 0) {
            flattened[i] = flattened[static_cast<size_t>(src)];
            break;
          }
          const auto& in_shape = n.input_shapes[0];
          int g = input_group_of(src);
          if (g >= 0 && in_shape.size() >= 2 && in_shape[1] > 0) {
            int64_t spatial = 1;
            for (size_t d = 2; d < in_shape.size(); ++d) spatial *= in_shape[d];
            flattened[i] = {g, spatial};
            break;
          }
        }
        block_inputs(n.op + " that is not a flatten to (batch, features) at " + n.value);
        break;
      }
      default:
        block_inputs(n.op + " at " + n.value);
        break;
    }
  }
  // Whatever the model returns keeps its channels (classes).
  if (graph.output >= 0) {
    const size_t o = static_cast<size_t>(graph.output);
    int g = flattened[o].first >= 0 ? flattened[o].first : group_of[o];
    if (g >= 0) groups.Block(g, "the model's output");
  }
  // A flatten read by anything but a linear layer pins its channels.
  for (const LayerNode& n : graph.nodes) {
    for (int in : n.inputs) {
      if (in < 0 || flattened[static_cast<size_t>(in)].first < 0) continue;
      bool ok = n.kind == OpKind::kLinear || n.kind == OpKind::kDropout || n.kind == OpKind::kActivation ||
                n.kind == OpKind::kFlatten;
      if (!ok) groups.Block(flattened[static_cast<size_t>(in)].first, n.op + " reads flattened features at " + n.value);
    }
  }
  return groups.Finish(group_of);
}

}  // namespace hone::compress
