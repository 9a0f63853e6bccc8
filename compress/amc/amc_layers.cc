#include "compress/amc/amc_layers.h"

#include <algorithm>

namespace hone::compress {
namespace {

int64_t WeightCount(const LayerNode& n) {
  int64_t area = 1;
  for (int64_t k : n.kernel) area *= k;
  return n.out_channels * (n.in_channels / std::max<int64_t>(1, n.groups)) * area;
}

AmcLayer LayerOf(const LayerGraph& graph, const ChannelGroup& g, int representative, const GroupFlopsModel& flops) {
  const LayerNode& n = graph.nodes[static_cast<size_t>(representative)];
  AmcLayer l;
  l.group = g.id;
  l.node = n.id;
  l.name = n.name;
  l.in_channels = n.in_channels;
  l.out_channels = g.channels;
  if (n.kind == OpKind::kLinear) {
    l.type = AmcLayerType::kLinear;
    l.stride = 0;
    l.kernel = 1;
  } else {
    l.type = g.depthwise.empty() ? AmcLayerType::kConv : AmcLayerType::kDepthwise;
    l.stride = n.stride.empty() ? 1 : n.stride[0];
    l.kernel = n.kernel.empty() ? 1 : n.kernel[0];
  }
  for (int p : g.producers) l.weights += WeightCount(graph.nodes[static_cast<size_t>(p)]);
  for (int d : g.depthwise) l.weights += WeightCount(graph.nodes[static_cast<size_t>(d)]);
  l.flops = flops.OutputSideFlops(g.id);
  return l;
}

}  // namespace

std::vector<AmcLayer> AmcLayers(const LayerGraph& graph, const ChannelAnalysis& groups, const GroupFlopsModel& flops) {
  std::vector<AmcLayer> out;
  for (const ChannelGroup& g : groups.groups) {
    if (!g.prunable) continue;
    std::vector<int> ranked = RankedProducers(g);
    if (ranked.empty()) continue;
    out.push_back(LayerOf(graph, g, *std::min_element(ranked.begin(), ranked.end()), flops));
  }
  std::sort(out.begin(), out.end(), [](const AmcLayer& a, const AmcLayer& b) { return a.node < b.node; });
  return out;
}

std::array<double, kStaticFeatures> StaticFeatures(const AmcLayer& l, int index) {
  return {static_cast<double>(index),       static_cast<double>(static_cast<int>(l.type)),
          static_cast<double>(l.in_channels), static_cast<double>(l.out_channels),
          static_cast<double>(l.stride),      static_cast<double>(l.kernel),
          static_cast<double>(l.weights),     static_cast<double>(l.flops)};
}

std::vector<std::array<double, kStaticFeatures>> NormalizedStaticFeatures(const std::vector<AmcLayer>& layers) {
  std::vector<std::array<double, kStaticFeatures>> rows;
  for (size_t i = 0; i < layers.size(); ++i) rows.push_back(StaticFeatures(layers[i], static_cast<int>(i)));
  for (int f = 0; f < kStaticFeatures; ++f) {
    double lo = 0, hi = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      lo = i == 0 ? rows[i][f] : std::min(lo, rows[i][f]);
      hi = i == 0 ? rows[i][f] : std::max(hi, rows[i][f]);
    }
    for (auto& row : rows) row[f] = hi > lo ? (row[f] - lo) / (hi - lo) : 0.0;
  }
  return rows;
}

}  // namespace hone::compress
