// FLOPs of a network as a function of how many channels each channel group keeps: the
// cost model of AMC's budget. A group's width changes the outputs of its producers and
// followers (batch norms, depthwise convolutions) AND the inputs of its consumers, so a
// layer's FLOPs is a product of two groups' widths. Counts follow LayerGraph's convention
// (multiply-accumulates; batch norm 2 per element) and are exact: the FLOPs of the graph
// of the sped-up model. Torch-free.
//
//   ChannelAnalysis groups = AnalyzeChannels(graph);
//   GroupFlopsModel flops(graph, groups);
//   std::vector<int64_t> kept = flops.DenseWidths();   // one entry per channel group
//   kept[g] = 8;                                        // group g keeps 8 channels
//   int64_t f = flops.Flops(kept);                      // == BuildLayerGraph(Speedup(...)).total_flops
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "compress/graph/layer_graph.h"
#include "compress/prune/channel_groups.h"

namespace hone::compress {

class GroupFlopsModel {
 public:
  GroupFlopsModel(const LayerGraph& graph, const ChannelAnalysis& groups);

  // Every group at its full width (groups.groups[g].channels).
  const std::vector<int64_t>& DenseWidths() const { return dense_widths_; }
  int64_t DenseFlops() const { return dense_flops_; }

  // FLOPs with group g keeping kept[g] channels (0 < kept[g] <= its channels).
  int64_t Flops(const std::vector<int64_t>& kept) const;

  // The dense FLOPs of the layers whose output channels are group g's (its producers
  // and followers): what the group's width scales on the output side.
  int64_t OutputSideFlops(int group) const;

 private:
  enum class TermKind { kWeighted, kDepthwise, kBatchNorm };
  // One node with FLOPs: out_width x spatial x (in_width / groups x kernel_area + bias).
  struct Term {
    int node = -1;
    TermKind kind = TermKind::kWeighted;
    int64_t out_channels = 0;
    int64_t spatial = 1;       // output elements per output channel
    int64_t in_features = 0;   // conv: input channels; linear: input features
    int64_t groups = 1;
    int64_t kernel_area = 1;
    int64_t bias = 0;          // 1 with a bias
    int64_t dense = 0;         // its FLOPs at full width
    std::vector<int> out_groups;                      // groups whose removal narrows its outputs
    std::vector<std::pair<int, int64_t>> in_groups;   // (group, features per channel) it reads
  };

  std::vector<Term> terms_;
  std::vector<int64_t> dense_widths_;
  int64_t dense_flops_ = 0;
};

}  // namespace hone::compress
