// Channel-dependency groups of a LayerGraph, for structured pruning with speedup: the
// output channels of layers that must be pruned together (a residual add joins the
// channel sets of its inputs, and so does an element-wise mul: a squeeze-excitation gate
// x * sigmoid(fc2(relu(fc1(mean(x))))) ties fc2's outputs to x's channels; batch norm,
// activations, pooling, spatial means, reshapes that keep (batch, channels), dropout
// and depthwise convolutions carry their input's channels), the layers that read each
// group's channels (convolutions by input channel, a linear after flatten by blocks of
// features), and
// whether a group may be pruned at all: not when it reaches the model's output, an op
// hone does not understand (only the groups that op reads are kept; the others stay
// prunable), a grouped convolution (groups > 1, not depthwise) or a
// depthwise convolution with a channel multiplier. A concat along channels lays its
// inputs' groups side by side: its output's channel c maps back to one input's channel,
// and a layer reading it reads each group at that group's offset. Torch-free.
//
//   auto groups = AnalyzeChannels(graph);
//   for (const ChannelGroup& g : groups.groups) if (g.prunable) ... g.producers ...
#pragma once

#include <string>
#include <vector>

#include "compress/graph/layer_graph.h"
#include "core/status.h"

namespace hone::compress {

// A layer that reads a group's channels: they are its input channels (or, after a
// flatten, its input features) [offset, offset + channels) x spatial.
struct ChannelConsumer {
  int node = -1;        // a conv2d or linear node (consumers); batch norm or depthwise conv (followers)
  int64_t spatial = 1;  // features per channel it reads (a linear after flatten: H x W)
  int64_t offset = 0;   // the index of the group's first channel among the channels it reads
};

struct ChannelGroup {
  int id = 0;
  int64_t channels = 0;
  std::vector<int> producers;   // conv2d / linear nodes whose output channels form the group
  // The producers among them whose outputs reach the group only as a per-channel gate
  // (the last layer of a squeeze-excitation branch): they follow the group's pruning, as
  // batch norms do, and take no part in choosing it (selection, scores).
  std::vector<int> gates;
  std::vector<ChannelConsumer> consumers;
  std::vector<int> batch_norms; // batch norm nodes over the group's channels
  std::vector<int> depthwise;   // depthwise convolutions whose filters follow the group's channels
  // Batch norms and depthwise convolutions, with where the group's channels sit in theirs
  // (not at 0 after a concat).
  std::vector<ChannelConsumer> followers;
  bool prunable = true;
  std::string reason;           // why not, when not prunable
};

// Consecutive channels of a tensor that belong to one group.
struct ChannelSegment {
  int group = -1;
  int64_t channels = 0;
};
using ChannelLayout = std::vector<ChannelSegment>;

struct ChannelAnalysis {
  std::vector<ChannelGroup> groups;
  std::vector<int> group_of_output;  // per node: the group of its output's channels, or -1
  // Per node: its output's channels (dimension 1) as segments of groups, in order: one
  // segment for most nodes, one per input for a concat; empty for a flatten's
  // (batch, features) output and for nodes whose channels hone does not follow.
  std::vector<ChannelLayout> layout_of_output;
};

ChannelAnalysis AnalyzeChannels(const LayerGraph& graph);

// The producers of `group` that decide its pruning: all but its gates.
std::vector<int> RankedProducers(const ChannelGroup& group);

// The channels of `layout` that survive when group g keeps kept[g] (empty: all of it),
// as indices into the layout's channels, each expanded to `spatial` consecutive features.
std::vector<int64_t> KeptIndices(const ChannelLayout& layout, const std::vector<std::vector<int64_t>>& kept,
                                 int64_t spatial = 1);

}  // namespace hone::compress
