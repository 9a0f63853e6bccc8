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
    append(ga.gates, gb.gates);
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

// Walks the graph in execution order, giving every node's output its channel layout:
// producers (convolution, linear) start groups, channel-preserving ops pass their
// input's layout on, adds merge groups, concats join layouts, and a flatten to (batch,
// features) remembers the channels its features came from. Whatever hone cannot map
// blocks the groups involved.
class ChannelTracer {
 public:
  explicit ChannelTracer(const LayerGraph& graph)
      : graph_(graph),
        input_channels_(graph.input_shape.size() > 1 ? graph.input_shape[1] : 0),
        layout_(graph.nodes.size()),
        flat_(graph.nodes.size()),
        flat_spatial_(graph.nodes.size(), 0) {
    input_group_ = groups_.Add(input_channels_);
    groups_.Block(input_group_, "the model's input");
  }

  ChannelAnalysis Run() {
    for (const LayerNode& n : graph_.nodes) Visit(n);
    // Whatever the model returns keeps its channels (classes).
    if (graph_.output >= 0) Block(SourceLayout(graph_.output), "the model's output");
    // A flatten read by anything but a linear layer pins its channels.
    for (const LayerNode& n : graph_.nodes) {
      for (int in : n.inputs) {
        if (!IsFlat(in)) continue;
        bool ok = n.kind == OpKind::kLinear || n.kind == OpKind::kDropout || n.kind == OpKind::kActivation ||
                  n.kind == OpKind::kFlatten;
        if (!ok) Block(flat_[static_cast<size_t>(in)], n.op + " reads flattened features at " + n.value);
      }
    }
    return groups_.Finish(layout_);
  }

 private:
  void Visit(const LayerNode& n) {
    switch (n.kind) {
      case OpKind::kConv2d: Conv2d(n); break;
      case OpKind::kLinear: Linear(n); break;
      case OpKind::kBatchNorm:
      case OpKind::kActivation:
      case OpKind::kPool:
      case OpKind::kAdaptivePool:
      case OpKind::kDropout: PassThrough(n); break;
      case OpKind::kMean: Mean(n); break;
      case OpKind::kAdd:
      case OpKind::kMul: Elementwise(n); break;
      case OpKind::kConcat: Concat(n); break;
      case OpKind::kFlatten: Flatten(n); break;
      default: BlockInputs(n, n.op + " at " + n.value); break;
    }
  }

  // A convolution or linear op whose weight is not a layer's parameter (a functional
  // call on a computed tensor): its channels are kept on both sides.
  bool OpaqueWeights(const LayerNode& n) {
    if (n.in_channels > 0 && n.name.find('/') == std::string::npos) return false;
    const std::string why = n.op + " whose weight is not a layer's parameter at " + n.value;
    BlockInputs(n, why);
    groups_.Block(NewGroup(n, n.output_shape.empty() ? 0 : n.output_shape.back()), why);
    return true;
  }

  void Conv2d(const LayerNode& n) {
    if (OpaqueWeights(n)) return;
    if (n.inputs.empty()) {  // its input comes from an op hone does not follow (chunk): outputs only
      const int g = NewGroup(n, OutputChannels(n));
      if (n.groups != 1) groups_.Block(g, "grouped convolution " + n.name + " on an input hone does not follow");
      return;
    }
    const int src = n.inputs[0];
    if (IsFlat(src)) {
      BlockInputs(n, "convolution " + n.name + " reads flattened features");
      NewGroup(n, OutputChannels(n));
      return;
    }
    const ChannelLayout in = LayoutOf(src);
    const bool depthwise = n.groups > 1 && n.groups == n.in_channels && Channels(in) == n.in_channels;
    if (depthwise && n.out_channels == n.in_channels) {
      // Output channel c is input channel c filtered: it lives and dies with it.
      layout_[Index(n)] = in;
      Read(in, n.id, 1, /*follower=*/true);
      for (const ChannelSegment& s : in) groups_[s.group].depthwise.push_back(n.id);
    } else if (n.groups != 1) {
      const std::string why =
          depthwise ? "depthwise convolution " + n.name + " with a channel multiplier of " +
                          std::to_string(n.out_channels / std::max<int64_t>(1, n.in_channels)) +
                          " (hone removes channels only through multiplier 1)"
                    : "grouped convolution " + n.name + " (groups=" + std::to_string(n.groups) +
                          "; hone removes channels through ungrouped and depthwise convolutions only)";
      Block(in, why);
      groups_.Block(NewGroup(n, OutputChannels(n)), why);
    } else {
      Read(in, n.id, 1, /*follower=*/false);
      NewGroup(n, OutputChannels(n));
    }
  }

  void Linear(const LayerNode& n) {
    if (OpaqueWeights(n)) return;
    if (n.inputs.empty()) {
      NewGroup(n, n.out_channels);
      return;
    }
    const int src = n.inputs[0];
    if (IsFlat(src)) {
      Read(flat_[static_cast<size_t>(src)], n.id, flat_spatial_[static_cast<size_t>(src)], false);
    } else if (n.input_shapes.empty() || n.input_shapes[0].size() != 2) {
      Block(LayoutOf(src), "linear layer " + n.name + " on a tensor of more than 2 dimensions");
    } else {
      Read(LayoutOf(src), n.id, 1, false);
    }
    NewGroup(n, n.out_channels);
  }

  // Batch norm, activations, pooling, dropout: the input's channels pass through.
  void PassThrough(const LayerNode& n) {
    if (n.inputs.size() != 1) {
      BlockInputs(n, n.op + " at " + n.value);
      return;
    }
    const int src = n.inputs[0];
    if (IsFlat(src)) {  // dropout/activation after flatten
      CopyFlat(n, src);
      return;
    }
    const size_t i = Index(n);
    layout_[i] = LayoutOf(src);
    if (n.kind == OpKind::kBatchNorm) {
      Read(layout_[i], n.id, 1, /*follower=*/true);
      for (const ChannelSegment& s : layout_[i]) groups_[s.group].batch_norms.push_back(n.id);
    }
  }

  // A mean over spatial dimensions keeps (batch, channels): x.mean((2, 3)) of an SE block.
  void Mean(const LayerNode& n) {
    const int64_t rank = n.input_shapes.empty() ? 0 : static_cast<int64_t>(n.input_shapes[0].size());
    bool spatial = n.inputs.size() == 1 && !IsFlat(n.inputs[0]) && rank >= 3 && !n.dims.empty();
    for (int64_t d : n.dims) spatial = spatial && (d < 0 ? d + rank : d) >= 2;
    if (!spatial) {
      BlockInputs(n, n.op + " over the batch or channel dimension at " + n.value);
      return;
    }
    layout_[Index(n)] = LayoutOf(n.inputs[0]);
  }

  // Add, sub, mul, div. With one tensor operand (x * 0.5, x + 3) the channels pass
  // through; of two, channel c of one meets channel c of the other, so their groups
  // become one (a residual add; a squeeze-excitation gate, whose producers then follow
  // the gated channels); an operand of one channel broadcast over the other's keeps its own.
  void Elementwise(const LayerNode& n) {
    const size_t i = Index(n);
    const bool flat = std::any_of(n.inputs.begin(), n.inputs.end(), [&](int in) { return IsFlat(in); });
    if (n.inputs.size() == 1 && n.tensor_operands == 1 && !flat) {
      layout_[i] = LayoutOf(n.inputs[0]);
      return;
    }
    if (n.inputs.size() != 2 || n.tensor_operands != 2 || flat) {
      BlockInputs(n, n.op + " of " + std::to_string(n.tensor_operands) + " tensors at " + n.value);
      if (!n.inputs.empty() && !IsFlat(n.inputs[0])) layout_[i] = LayoutOf(n.inputs[0]);
      return;
    }
    const int broadcast = BroadcastChannelOperand(n);
    if (broadcast >= 0) {
      Block(LayoutOf(n.inputs[static_cast<size_t>(broadcast)]), "an operand broadcast over channels at " + n.value);
      layout_[i] = LayoutOf(n.inputs[static_cast<size_t>(1 - broadcast)]);
      return;
    }
    ChannelLayout a = LayoutOf(n.inputs[0]);
    const ChannelLayout b = LayoutOf(n.inputs[1]);
    if (!SameSegments(a, b) || Channels(a) != OutputChannels(n) || !SameRank(n)) {
      BlockInputs(n, n.op + " of tensors whose channels do not line up at " + n.value);
      layout_[i] = a;
      return;
    }
    const int gate = n.kind == OpKind::kMul ? GateOperand(n) : -1;
    for (size_t s = 0; s < a.size(); ++s) {
      if (gate >= 0) {
        const ChannelSegment& g = (gate == 0 ? a : b)[s];
        std::vector<int>& gates = groups_[g.group].gates;
        const std::vector<int>& producers = groups_[g.group].producers;
        for (int p : producers) {
          if (std::find(gates.begin(), gates.end(), p) == gates.end()) gates.push_back(p);
        }
      }
      a[s].group = groups_.Merge(a[s].group, b[s].group);
    }
    layout_[i] = a;
  }

  bool SameRank(const LayerNode& n) const {
    return n.input_shapes.size() == 2 && n.input_shapes[0].size() == n.output_shape.size() &&
           n.input_shapes[1].size() == n.output_shape.size() && n.output_shape.size() >= 2;
  }
  // The operand (0 or 1) with one channel broadcast over the other's several, or -1.
  int BroadcastChannelOperand(const LayerNode& n) const {
    if (!SameRank(n) || OutputChannels(n) <= 1) return -1;
    for (int k = 0; k < 2; ++k) {
      if (n.input_shapes[static_cast<size_t>(k)][1] == 1) return k;
    }
    return -1;
  }
  // The operand (0 or 1) that is one value per channel while the other has several
  // positions (a gate of shape (N, C, 1, 1) times x of (N, C, H, W)), or -1.
  int GateOperand(const LayerNode& n) const {
    auto positions = [](const std::vector<int64_t>& shape) {
      int64_t p = 1;
      for (size_t d = 2; d < shape.size(); ++d) p *= shape[d];
      return p;
    };
    const int64_t p0 = positions(n.input_shapes[0]), p1 = positions(n.input_shapes[1]);
    if (p0 == 1 && p1 > 1) return 0;
    if (p1 == 1 && p0 > 1) return 1;
    return -1;
  }

  void Concat(const LayerNode& n) {
    const int64_t rank = static_cast<int64_t>(n.output_shape.size());
    const int64_t dim = n.concat_dim < 0 ? n.concat_dim + rank : n.concat_dim;
    ChannelLayout joined;
    bool ok = dim == 1 && rank >= 3;
    for (int in : n.inputs) {
      if (IsFlat(in)) ok = false;
      for (const ChannelSegment& s : LayoutOf(in)) joined.push_back(s);
    }
    if (!ok || Channels(joined) != OutputChannels(n)) {
      BlockInputs(n, n.op + " along dimension " + std::to_string(n.concat_dim) +
                         " that hone cannot map to its inputs' channels at " + n.value);
      return;
    }
    layout_[Index(n)] = std::move(joined);
  }

  // flatten/view/reshape: to (batch, features), or keeping (batch, channels) and
  // reshaping only what follows ((N, C) <-> (N, C, 1, 1) around an SE block's linear layers).
  void Flatten(const LayerNode& n) {
    if (n.fixed_shape) {  // view(-1, 16, 1, 1): the sizes in the code would not follow pruning
      BlockInputs(n, n.op + " to sizes fixed in the model's code at " + n.value);
      return;
    }
    if (n.inputs.size() == 1 && KeepsBatchAndChannels(n)) {
      const int src = n.inputs[0];
      if (!IsFlat(src)) {
        layout_[Index(n)] = LayoutOf(src);
        return;
      }
      if (flat_spatial_[static_cast<size_t>(src)] == 1 && Channels(flat_[static_cast<size_t>(src)]) == OutputChannels(n)) {
        layout_[Index(n)] = flat_[static_cast<size_t>(src)];
        return;
      }
    }
    if (n.inputs.size() == 1 && n.output_shape.size() == 2) {
      const int src = n.inputs[0];
      if (IsFlat(src)) {
        CopyFlat(n, src);
        return;
      }
      const auto& in_shape = n.input_shapes[0];
      ChannelLayout l = LayoutOf(src);
      if (!l.empty() && in_shape.size() >= 2 && in_shape[1] == Channels(l)) {
        int64_t spatial = 1;
        for (size_t d = 2; d < in_shape.size(); ++d) spatial *= in_shape[d];
        flat_[Index(n)] = std::move(l);
        flat_spatial_[Index(n)] = spatial;
        return;
      }
    }
    BlockInputs(n, n.op + " that is not a flatten to (batch, features) at " + n.value);
  }

  // A reshape whose output has the input's batch and channel sizes (and elements) and
  // more than (batch, features): (N, C) -> (N, C, 1, 1), (N, C, H, W) -> (N, C, H * W).
  static bool KeepsBatchAndChannels(const LayerNode& n) {
    if (n.input_shapes.size() != 1) return false;
    const std::vector<int64_t>& in = n.input_shapes[0];
    const std::vector<int64_t>& out = n.output_shape;
    if (in.size() < 2 || out.size() < 2 || in[0] != out[0] || in[1] != out[1]) return false;
    if (out.size() == 2 && in.size() > 2) return false;  // a flatten to (batch, features)
    int64_t a = 1, b = 1;
    for (int64_t d : in) a *= d;
    for (int64_t d : out) b *= d;
    return a == b;
  }

  static size_t Index(const LayerNode& n) { return static_cast<size_t>(n.id); }
  static int64_t OutputChannels(const LayerNode& n) { return n.output_shape.size() > 1 ? n.output_shape[1] : 0; }
  bool IsFlat(int p) const { return p >= 0 && !flat_[static_cast<size_t>(p)].empty(); }
  ChannelLayout LayoutOf(int p) const {
    return p < 0 ? ChannelLayout{{input_group_, input_channels_}} : layout_[static_cast<size_t>(p)];
  }
  // The channels a node's output carries: its flatten source's, or its layout.
  ChannelLayout SourceLayout(int p) const { return IsFlat(p) ? flat_[static_cast<size_t>(p)] : LayoutOf(p); }
  void CopyFlat(const LayerNode& n, int src) {
    flat_[Index(n)] = flat_[static_cast<size_t>(src)];
    flat_spatial_[Index(n)] = flat_spatial_[static_cast<size_t>(src)];
  }
  void Block(const ChannelLayout& l, const std::string& reason) {
    for (const ChannelSegment& s : l) groups_.Block(s.group, reason);
  }
  void BlockInputs(const LayerNode& n, const std::string& reason) {
    for (int in : n.inputs) Block(SourceLayout(in), reason);
  }
  // Every segment of `l` is read by `node`, at its offset among the channels it reads.
  void Read(const ChannelLayout& l, int node, int64_t spatial, bool follower) {
    int64_t offset = 0;
    for (const ChannelSegment& s : l) {
      ChannelGroup& g = groups_[s.group];
      (follower ? g.followers : g.consumers).push_back({node, spatial, offset});
      offset += s.channels;
    }
  }
  // A group of `channels` produced by `n`, its output's layout.
  int NewGroup(const LayerNode& n, int64_t channels) {
    int g = groups_.Add(channels);
    groups_[g].producers.push_back(n.id);
    layout_[Index(n)] = {{g, channels}};
    return g;
  }

  const LayerGraph& graph_;
  Groups groups_;
  const int64_t input_channels_;
  int input_group_ = 0;
  std::vector<ChannelLayout> layout_;  // each node's output channels
  // A flatten's (batch, features) output: the channels it came from and the features per channel.
  std::vector<ChannelLayout> flat_;
  std::vector<int64_t> flat_spatial_;
};

}  // namespace

ChannelAnalysis AnalyzeChannels(const LayerGraph& graph) { return ChannelTracer(graph).Run(); }

std::vector<int> RankedProducers(const ChannelGroup& group) {
  std::vector<int> out;
  for (int p : group.producers) {
    if (std::find(group.gates.begin(), group.gates.end(), p) == group.gates.end()) out.push_back(p);
  }
  return out;
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
