#include "compress/prune/channel_groups.h"

#include <algorithm>
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
    auto append = [](auto& to, const auto& from) { to.insert(to.end(), from.begin(), from.end()); };
    append(ga.producers, gb.producers);
    append(ga.consumers, gb.consumers);
    append(ga.batch_norms, gb.batch_norms);
    append(ga.depthwise, gb.depthwise);
    append(ga.followers, gb.followers);
    if (!gb.prunable) Block(a, gb.reason);
    return a;
  }
  ChannelGroup& operator[](int g) { return groups_[static_cast<size_t>(Find(g))]; }
  void Block(int g, const std::string& reason) {
    ChannelGroup& group = (*this)[g];
    if (group.prunable) group.reason = reason;
    group.prunable = false;
  }
  ChannelAnalysis Finish(const std::vector<ChannelLayout>& layouts) {
    ChannelAnalysis out;
    std::vector<int> new_id(groups_.size(), -1);
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (Find(static_cast<int>(g)) != static_cast<int>(g)) continue;
      new_id[g] = static_cast<int>(out.groups.size());
      out.groups.push_back(groups_[g]);
      out.groups.back().id = new_id[g];
    }
    for (const ChannelLayout& layout : layouts) {
      ChannelLayout mapped = layout;
      for (ChannelSegment& s : mapped) s.group = new_id[static_cast<size_t>(Find(s.group))];
      out.group_of_output.push_back(mapped.size() == 1 ? mapped[0].group : -1);
      out.layout_of_output.push_back(std::move(mapped));
    }
    return out;
  }

 private:
  std::vector<int> parent_;
  std::vector<ChannelGroup> groups_;
};

int64_t Channels(const ChannelLayout& layout) {
  int64_t n = 0;
  for (const ChannelSegment& s : layout) n += s.channels;
  return n;
}

bool SameSegments(const ChannelLayout& a, const ChannelLayout& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].channels != b[i].channels) return false;
  }
  return true;
}

}  // namespace

ChannelAnalysis AnalyzeChannels(const LayerGraph& graph) {
  Groups groups;
  const int64_t input_channels = graph.input_shape.size() > 1 ? graph.input_shape[1] : 0;
  const int input_group = groups.Add(input_channels);
  groups.Block(input_group, "the model's input");
  const size_t count = graph.nodes.size();
  std::vector<ChannelLayout> layout(count);  // each node's output channels
  // A flatten's (batch, features) output: the channels it came from and the features per channel.
  std::vector<ChannelLayout> flat(count);
  std::vector<int64_t> flat_spatial(count, 0);
  auto is_flat = [&](int p) { return p >= 0 && !flat[static_cast<size_t>(p)].empty(); };
  auto layout_of = [&](int p) {
    return p < 0 ? ChannelLayout{{input_group, input_channels}} : layout[static_cast<size_t>(p)];
  };
  auto block = [&](const ChannelLayout& l, const std::string& reason) {
    for (const ChannelSegment& s : l) groups.Block(s.group, reason);
  };
  // Every segment of `l` is read by `node`, at its offset among the channels it reads.
  auto read = [&](const ChannelLayout& l, int node, int64_t spatial, bool follower) {
    int64_t offset = 0;
    for (const ChannelSegment& s : l) {
      ChannelGroup& g = groups[s.group];
      (follower ? g.followers : g.consumers).push_back({node, spatial, offset});
      offset += s.channels;
    }
  };

  for (const LayerNode& n : graph.nodes) {
    const size_t i = static_cast<size_t>(n.id);
    const int64_t channels = n.output_shape.size() > 1 ? n.output_shape[1] : 0;
    auto block_inputs = [&](const std::string& reason) {
      for (int in : n.inputs) block(is_flat(in) ? flat[static_cast<size_t>(in)] : layout_of(in), reason);
    };
    auto new_group = [&]() {
      int g = groups.Add(channels);
      groups[g].producers.push_back(n.id);
      layout[i] = {{g, channels}};
      return g;
    };
    switch (n.kind) {
      case OpKind::kConv2d: {
        if (n.inputs.empty()) break;
        const int src = n.inputs[0];
        if (is_flat(src)) {
          block_inputs("convolution " + n.name + " reads flattened features");
          new_group();
          break;
        }
        const ChannelLayout in = layout_of(src);
        const bool depthwise = n.groups > 1 && n.groups == n.in_channels && Channels(in) == n.in_channels;
        if (depthwise && n.out_channels == n.in_channels) {
          // Output channel c is input channel c filtered: it lives and dies with it.
          layout[i] = in;
          read(in, n.id, 1, /*follower=*/true);
          for (const ChannelSegment& s : in) groups[s.group].depthwise.push_back(n.id);
        } else if (n.groups != 1) {
          const std::string why =
              depthwise ? "depthwise convolution " + n.name + " with a channel multiplier of " +
                              std::to_string(n.out_channels / std::max<int64_t>(1, n.in_channels)) +
                              " (hone removes channels only through multiplier 1)"
                        : "grouped convolution " + n.name + " (groups=" + std::to_string(n.groups) +
                              "; hone removes channels through ungrouped and depthwise convolutions only)";
          block(in, why);
          groups.Block(new_group(), why);
        } else {
          read(in, n.id, 1, /*follower=*/false);
          new_group();
        }
        break;
      }
      case OpKind::kLinear: {
        if (n.inputs.empty()) break;
        const int src = n.inputs[0];
        if (is_flat(src)) {
          read(flat[static_cast<size_t>(src)], n.id, flat_spatial[static_cast<size_t>(src)], false);
        } else if (n.input_shapes.empty() || n.input_shapes[0].size() != 2) {
          block(layout_of(src), "linear layer " + n.name + " on a tensor of more than 2 dimensions");
        } else {
          read(layout_of(src), n.id, 1, false);
        }
        int g = groups.Add(n.out_channels);
        groups[g].producers.push_back(n.id);
        layout[i] = {{g, n.out_channels}};
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
        if (is_flat(src)) {  // dropout/activation after flatten
          flat[i] = flat[static_cast<size_t>(src)];
          flat_spatial[i] = flat_spatial[static_cast<size_t>(src)];
          break;
        }
        layout[i] = layout_of(src);
        if (n.kind == OpKind::kBatchNorm) {
          read(layout[i], n.id, 1, /*follower=*/true);
          for (const ChannelSegment& s : layout[i]) groups[s.group].batch_norms.push_back(n.id);
        }
        break;
      }
      case OpKind::kAdd: {
        if (n.inputs.size() != 2 || is_flat(n.inputs[0]) || is_flat(n.inputs[1])) {
          block_inputs("an add of " + std::to_string(n.inputs.size()) + " tensors at " + n.value);
          if (!n.inputs.empty() && !is_flat(n.inputs[0])) layout[i] = layout_of(n.inputs[0]);
          break;
        }
        ChannelLayout a = layout_of(n.inputs[0]);
        const ChannelLayout b = layout_of(n.inputs[1]);
        if (!SameSegments(a, b) || Channels(a) != channels) {
          block_inputs("an add of tensors whose channels do not line up at " + n.value);
          layout[i] = a;
          break;
        }
        for (size_t s = 0; s < a.size(); ++s) a[s].group = groups.Merge(a[s].group, b[s].group);
        layout[i] = a;
        break;
      }
      case OpKind::kConcat: {
        const int64_t rank = static_cast<int64_t>(n.output_shape.size());
        const int64_t dim = n.concat_dim < 0 ? n.concat_dim + rank : n.concat_dim;
        ChannelLayout joined;
        bool ok = dim == 1 && rank >= 3;
        for (int in : n.inputs) {
          if (is_flat(in)) ok = false;
          for (const ChannelSegment& s : layout_of(in)) joined.push_back(s);
        }
        if (!ok || Channels(joined) != channels) {
          block_inputs(n.op + " along dimension " + std::to_string(n.concat_dim) +
                       " that hone cannot map to its inputs' channels at " + n.value);
          break;
        }
        layout[i] = std::move(joined);
        break;
      }
      case OpKind::kFlatten: {
        if (n.inputs.size() == 1 && n.output_shape.size() == 2) {
          const int src = n.inputs[0];
          if (is_flat(src)) {
            flat[i] = flat[static_cast<size_t>(src)];
            flat_spatial[i] = flat_spatial[static_cast<size_t>(src)];
            break;
          }
          const auto& in_shape = n.input_shapes[0];
          ChannelLayout l = layout_of(src);
          if (!l.empty() && in_shape.size() >= 2 && in_shape[1] == Channels(l)) {
            int64_t spatial = 1;
            for (size_t d = 2; d < in_shape.size(); ++d) spatial *= in_shape[d];
            flat[i] = std::move(l);
            flat_spatial[i] = spatial;
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
    block(is_flat(graph.output) ? flat[static_cast<size_t>(graph.output)] : layout_of(graph.output),
          "the model's output");
  }
  // A flatten read by anything but a linear layer pins its channels.
  for (const LayerNode& n : graph.nodes) {
    for (int in : n.inputs) {
      if (!is_flat(in)) continue;
      bool ok = n.kind == OpKind::kLinear || n.kind == OpKind::kDropout || n.kind == OpKind::kActivation ||
                n.kind == OpKind::kFlatten;
      if (!ok) block(flat[static_cast<size_t>(in)], n.op + " reads flattened features at " + n.value);
    }
  }
  return groups.Finish(layout);
}

std::vector<int64_t> KeptIndices(const ChannelLayout& layout, const std::vector<std::vector<int64_t>>& kept,
                                 int64_t spatial) {
  std::vector<int64_t> idx;
  int64_t offset = 0;
  for (const ChannelSegment& s : layout) {
    const std::vector<int64_t>* k =
        s.group >= 0 && static_cast<size_t>(s.group) < kept.size() && !kept[static_cast<size_t>(s.group)].empty()
            ? &kept[static_cast<size_t>(s.group)]
            : nullptr;
    const int64_t n = k ? static_cast<int64_t>(k->size()) : s.channels;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t c = offset + (k ? (*k)[static_cast<size_t>(j)] : j);
      for (int64_t f = 0; f < spatial; ++f) idx.push_back(c * spatial + f);
    }
    offset += s.channels;
  }
  return idx;
}

}  // namespace hone::compress
