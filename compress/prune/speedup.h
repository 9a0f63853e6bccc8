// Structured pruning with channel-dependency groups, and speedup: the pruned channels
// physically removed, giving a smaller, faster TorchScript module that loads in C++ and
// Python like the original. Torch-free.
//
//   auto groups = AnalyzeChannels(graph);
//   auto pruned = PruneChannelGroups(model, graph, groups, config);  // masks `model`
//   auto small = Speedup(model, graph, groups, pruned->kept);        // a new module
//
// The masked model and the sped-up model compute the same function: masking zeroes a
// removed channel's filters, biases, the batch-norm scale and shift over it and the
// depthwise filters that follow it, so the channel carries zeros everywhere it goes.
// Speedup cuts depthwise convolutions to the channels they keep (their groups with
// them) and the layers that read a concat at each input group's offset.
#pragma once

#include <vector>

#include "compress/graph/layer_graph.h"
#include "compress/model/script_model.h"
#include "compress/prune/channel_groups.h"
#include "compress/prune/prune_config.h"
#include "compress/prune/pruner.h"
#include "core/status.h"

namespace hone::compress {

struct GroupPruneResult {
  PruneResult report;
  std::vector<std::vector<int64_t>> kept;  // per channel group: the channels kept; empty: all
};

// For every prunable group whose producing layers the config selects (all of them, not
// excluded; a squeeze-excitation gate's layer follows, see ChannelGroup::gates), ranks
// channels by the structured pruner's per-weight filter scores summed over those
// producers, removes floor(ratio x channels) of them (the smallest ratio among the
// producers' rules; at least one channel stays), and masks them in `model`. Groups that
// an op hone does not understand reads are kept whole; the others are pruned.
// Errors: the level pruner (speedup needs l1, l2 or fpgm); no prunable group selected
// (the message says why the selected layers' groups cannot be pruned).
StatusOr<GroupPruneResult> PruneChannelGroups(ScriptModel& model, const LayerGraph& graph,
                                              const ChannelAnalysis& groups, const PruneConfig& config);

// Zeroes the `removed` output filters (and biases) of every producer of `group` and adds
// one report line per producer to `report`, with `kept_channels` as its kept filters and
// `ratio` as its target.
void MaskProducers(ScriptModel& model, const LayerGraph& graph, const ChannelGroup& group,
                   const std::vector<int64_t>& removed, const std::vector<int64_t>& kept_channels, double ratio,
                   PruneResult& report);

// Zeroes in `model` what follows `group`'s `removed` channels: the scale and shift of
// the batch norms and the filters and biases of the depthwise convolutions over them, each
// at the group's offset among that layer's channels (not 0 after a concat). Pruners that
// mask a group's producers call it so that masked and sped-up models agree.
Status MaskFollowers(ScriptModel& model, const LayerGraph& graph, const ChannelGroup& group,
                     const std::vector<int64_t>& removed);

// "\n  <layer>: <reason>": why `group` (selected, not prunable) cannot be pruned, named by
// its first producer; the lines of RequireSomethingPruned's `blocked`.
std::string BlockedGroupLine(const LayerGraph& graph, const ChannelGroup& group);

// OK when `report` has a layer; else the error that the config_list selects no layer
// whose channels can be removed, followed by the `blocked` lines.
Status RequireSomethingPruned(const PruneResult& report, const std::string& blocked);

// A copy of `model` with every layer's weights cut to the kept channels: convolution
// filters and input channels, linear outputs and input features, batch-norm statistics,
// depthwise filters (and the groups in the convolution's code, see conv_groups_torch.h).
StatusOr<ScriptModel> Speedup(const ScriptModel& model, const LayerGraph& graph, const ChannelAnalysis& groups,
                              const std::vector<std::vector<int64_t>>& kept);

}  // namespace hone::compress
