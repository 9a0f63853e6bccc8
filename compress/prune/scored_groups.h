// Channel-group pruning (for speedup) ranked by given filter scores: the data-driven
// pruners and pruning schedules use it where PruneChannelGroups (speedup.h) ranks by
// weight norms. Torch-free.
//
//   auto groups = AnalyzeChannels(graph);
//   auto scores = DataFilterScores(model, graph, config, data);      // data_pruners.h
//   auto pruned = PruneChannelGroupsByScore(model, graph, groups, config, *scores);
//   auto small = Speedup(model, graph, groups, pruned->kept);
#pragma once

#include "compress/prune/pruner.h"
#include "compress/prune/speedup.h"

namespace hone::compress {

// As PruneChannelGroups, with a group's channels ranked by the mean over its producers
// of their scores (lowest removed first), and groups pooled for ranking when all their
// producers' rules share a global_group_id (slim: when they share a config_list entry);
// a pool removes floor(ratio x its channels) with the smallest ratio of its rules, no
// group beyond its max_sparse_ratio, every group keeping at least one channel. Masking
// zeroes the removed channels' filters and biases, and MaskFollowers (speedup.h) what
// follows them (batch norms, depthwise convolutions).
// Errors: as PruneChannelGroups; a producer without a score per channel.
StatusOr<GroupPruneResult> PruneChannelGroupsByScore(ScriptModel& model, const LayerGraph& graph,
                                                     const ChannelAnalysis& groups, const PruneConfig& config,
                                                     const FilterScoreMap& scores);

}  // namespace hone::compress
