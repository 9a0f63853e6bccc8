// The layers AMC decides, in order, with their static state features: one decision per
// prunable channel group (a residual group's producers, or a convolution together with the
// depthwise convolution that filters its channels, are decided together, as
// channel_groups.h groups them). Torch-free.
//
//   GroupFlopsModel flops(graph, groups);
//   std::vector<AmcLayer> layers = AmcLayers(graph, groups, flops);
//   auto features = NormalizedStaticFeatures(layers);   // one row of kStaticFeatures per layer
//
// A decision is described by its representative layer (the group's first producer in
// execution order, gates of squeeze-excitation excluded): its input and output
// channels, stride and kernel (a linear layer: stride 0, kernel 1, as AMC's reference
// code encodes it); and by what the group's width scales on the output side: the
// weights of all its producers and depthwise followers, and the dense FLOPs of its
// producers and followers (GroupFlopsModel::OutputSideFlops). Each of these 8 features
// is min-max normalised over the layers (0 when all layers agree).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "compress/amc/group_flops.h"
#include "compress/graph/layer_graph.h"
#include "compress/prune/channel_groups.h"

namespace hone::compress {

// 0 a convolution, 1 a convolution whose channels a depthwise convolution filters (a
// MobileNet expansion), 2 a linear layer.
enum class AmcLayerType { kConv = 0, kDepthwise = 1, kLinear = 2 };

struct AmcLayer {
  int group = -1;     // in ChannelAnalysis::groups
  int node = -1;      // the representative producer
  std::string name;   // its module path
  AmcLayerType type = AmcLayerType::kConv;
  int64_t in_channels = 0;
  int64_t out_channels = 0;  // the group's channels
  int64_t stride = 0;
  int64_t kernel = 1;
  int64_t weights = 0;       // of its producers and depthwise followers (biases excluded)
  int64_t flops = 0;         // dense, on the output side
};

// index, type, in, out, stride, kernel, weights, flops.
inline constexpr int kStaticFeatures = 8;

// Every prunable group with a producer that is not a gate, ordered by that producer's
// position in the graph; `index` is not stored: it is the position in this list.
std::vector<AmcLayer> AmcLayers(const LayerGraph& graph, const ChannelAnalysis& groups, const GroupFlopsModel& flops);

// The raw static features of layer `index` of `layers`.
std::array<double, kStaticFeatures> StaticFeatures(const AmcLayer& layer, int index);

// Per layer, the static features min-max normalised over `layers`.
std::vector<std::array<double, kStaticFeatures>> NormalizedStaticFeatures(const std::vector<AmcLayer>& layers);

}  // namespace hone::compress
