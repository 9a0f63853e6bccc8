#include "compress/amc/group_flops.h"

#include <algorithm>

namespace hone::compress {
namespace {

int64_t Numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return shape.empty() ? 0 : n;
}

bool Contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

GroupFlopsModel::GroupFlopsModel(const LayerGraph& graph, const ChannelAnalysis& groups) {
  std::vector<int> term_of(graph.nodes.size(), -1);
  for (const LayerNode& n : graph.nodes) {
    if (n.flops == 0) continue;
    Term t;
    t.node = n.id;
    t.dense = n.flops;
    const int64_t out_elements = Numel(n.output_shape);
    if (n.kind == OpKind::kBatchNorm) {
      t.kind = TermKind::kBatchNorm;
      t.out_channels = n.output_shape.size() > 1 ? n.output_shape[1] : 1;
    } else {
      t.out_channels = n.out_channels;
      t.in_features = n.in_channels;
      t.groups = std::max<int64_t>(1, n.groups);
      t.bias = n.has_bias ? 1 : 0;
      if (n.kind == OpKind::kConv2d && n.kernel.size() >= 2) t.kernel_area = n.kernel[0] * n.kernel[1];
    }
    t.spatial = t.out_channels > 0 ? out_elements / t.out_channels : 0;
    term_of[static_cast<size_t>(n.id)] = static_cast<int>(terms_.size());
    terms_.push_back(std::move(t));
  }
  for (const ChannelGroup& g : groups.groups) {
    dense_widths_.push_back(g.channels);
    for (int p : g.producers) {
      const int t = term_of[static_cast<size_t>(p)];
      if (t >= 0) terms_[static_cast<size_t>(t)].out_groups.push_back(g.id);
    }
    for (const ChannelConsumer& f : g.followers) {
      const int t = term_of[static_cast<size_t>(f.node)];
      if (t < 0) continue;
      Term& term = terms_[static_cast<size_t>(t)];
      term.out_groups.push_back(g.id);
      // A depthwise filter reads one channel whatever the width: only its outputs scale.
      if (Contains(g.depthwise, f.node)) term.kind = TermKind::kDepthwise;
    }
    for (const ChannelConsumer& c : g.consumers) {
      const int t = term_of[static_cast<size_t>(c.node)];
      if (t >= 0) terms_[static_cast<size_t>(t)].in_groups.emplace_back(g.id, c.spatial);
    }
  }
  for (const Term& t : terms_) dense_flops_ += t.dense;
}

int64_t GroupFlopsModel::Flops(const std::vector<int64_t>& kept) const {
  auto removed = [&](int g) { return dense_widths_[static_cast<size_t>(g)] - kept[static_cast<size_t>(g)]; };
  int64_t total = 0;
  for (const Term& t : terms_) {
    int64_t out = t.out_channels;
    for (int g : t.out_groups) out -= removed(g);
    switch (t.kind) {
      case TermKind::kBatchNorm: total += 2 * t.spatial * out; break;
      case TermKind::kDepthwise:
        total += out * t.spatial * (t.in_features / t.groups * t.kernel_area + t.bias);
        break;
      case TermKind::kWeighted: {
        int64_t in = t.in_features;
        for (const auto& [g, features] : t.in_groups) in -= removed(g) * features;
        total += out * t.spatial * (in / t.groups * t.kernel_area + t.bias);
        break;
      }
    }
  }
  return total;
}

int64_t GroupFlopsModel::OutputSideFlops(int group) const {
  int64_t total = 0;
  for (const Term& t : terms_) {
    if (Contains(t.out_groups, group)) total += t.dense;
  }
  return total;
}

}  // namespace hone::compress
