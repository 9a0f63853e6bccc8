// Channel-dependency groups of a LayerGraph, for structured pruning with speedup: the
// output channels of layers that must be pruned together (a residual add joins the
// channel sets of its inputs; batch norm, activations, pooling and dropout carry their
// input's channels), the layers that read each group's channels (convolutions by input
// channel, a linear after flatten by blocks of features), and whether a group may be
// pruned at all: not when it reaches the model's output, a concat, an op hone does not
// understand, or a grouped or depthwise convolution. Torch-free.
//
//   auto groups = AnalyzeChannels(graph);
//   for (const ChannelGroup& g : groups->groups) if (g.prunable) ... g.producers ...
#pragma once

#include <string>
#include <vector>

#include "compress/graph/layer_graph.h"
#include "core/status.h"

namespace hone::compress {

struct ChannelConsumer {
  int node = -1;        // a conv2d or linear node
  int64_t spatial = 1;  // features per channel it reads (a linear after flatten: H x W)
};

struct ChannelGroup {
  int id = 0;
  int64_t channels = 0;
  std::vector<int> producers;   // conv2d / linear nodes whose output channels form the group
  std::vector<ChannelConsumer> consumers;
  std::vector<int> batch_norms; // batch norm nodes over the group's channels
  bool prunable = true;
  std::string reason;           // why not, when not prunable
};

struct ChannelAnalysis {
  std::vector<ChannelGroup> groups;
  std::vector<int> group_of_output;  // per node: the group of its output's channels, or -1
};

ChannelAnalysis AnalyzeChannels(const LayerGraph& graph);

}  // namespace hone::compress
