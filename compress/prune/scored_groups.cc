#include "compress/prune/scored_groups.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "compress/model/script_model_torch.h"

namespace hone::compress {
namespace {

struct GroupPlan {
  const ChannelGroup* group = nullptr;
  double ratio = 1;
  double max_ratio = 1;
  std::vector<double> score;  // per channel
  std::set<int64_t> removed;
};

using Pools = std::map<std::string, std::vector<GroupPlan>>;  // groups ranked together, by key

// A group's plan when every producer is selected: the smallest ratio and max ratio of
// their rules, and whether they share one global_group_id (`global`, when non-empty).
struct GroupRules {
  bool selected = false;
  GroupPlan plan;
  std::string global;
  bool same_global = true;
  const PruneRule* first = nullptr;
};

GroupRules RulesOf(const ChannelGroup& g, const std::map<int, const PruneRule*>& rule_of) {
  GroupRules out;
  out.plan = GroupPlan{&g, 1, 1, {}, {}};
  const std::vector<int> ranked = RankedProducers(g);
  out.selected = !ranked.empty();
  for (int p : ranked) {
    auto it = rule_of.find(p);
    if (it == rule_of.end()) {
      out.selected = false;
      break;
    }
    const PruneRule* r = it->second;
    if (out.first == nullptr) {
      out.first = r;
      out.global = r->global_group_id;
    }
    out.same_global = out.same_global && r->global_group_id == out.global;
    out.plan.ratio = std::min(out.plan.ratio, r->sparse_ratio);
    out.plan.max_ratio = std::min(out.plan.max_ratio, r->max_sparse_ratio);
  }
  return out;
}

// The mean over the group's producers of their scores, per channel.
Status AverageScores(const LayerGraph& graph, const FilterScoreMap& scores, PrunerKind pruner, GroupPlan& plan) {
  const ChannelGroup& g = *plan.group;
  plan.score.assign(static_cast<size_t>(g.channels), 0.0);
  const std::vector<int> ranked = RankedProducers(g);
  for (int p : ranked) {
    const std::string& name = graph.nodes[static_cast<size_t>(p)].name;
    auto it = scores.find(name);
    if (it == scores.end() || static_cast<int64_t>(it->second.size()) != g.channels) {
      return InvalidArgument("no " + PrunerName(pruner) + " score for each of the " + std::to_string(g.channels) +
                             " channels of layer " + name);
    }
    for (size_t c = 0; c < plan.score.size(); ++c) plan.score[c] += it->second[c] / static_cast<double>(ranked.size());
  }
  return Status::Ok();
}

// The selected, prunable groups with their scores, pooled for ranking; `blocked` gets a
// line per selected group that cannot be pruned.
StatusOr<Pools> PlanPools(const LayerGraph& graph, const ChannelAnalysis& groups, const PruneConfig& config,
                          const FilterScoreMap& scores, std::string& blocked) {
  std::map<int, const PruneRule*> rule_of;
  for (const SelectedLayer& l : SelectLayers(graph, config)) rule_of[l.node] = l.rule;
  Pools pools;
  for (const ChannelGroup& g : groups.groups) {
    GroupRules rules = RulesOf(g, rule_of);
    if (!rules.selected) continue;
    if (!g.prunable) {
      blocked += BlockedGroupLine(graph, g);
      continue;
    }
    HONE_RETURN_IF_ERROR(AverageScores(graph, scores, config.pruner, rules.plan));
    std::string key = "group:" + std::to_string(g.id);
    if (rules.same_global && !rules.global.empty()) {
      key = "global:" + rules.global;
    } else if (PrunerTraitsOf(config.pruner).ranks_entry_together) {
      key = "entry:" + std::to_string(rules.first - config.rules.data());
    }
    pools[key].push_back(std::move(rules.plan));
  }
  return pools;
}

// Marks the pool's lowest-scored channels removed: floor(ratio x its channels) with the
// smallest ratio of its groups, no group beyond its cap.
void ChooseRemoved(std::vector<GroupPlan>& pool) {
  double ratio = 1;
  int64_t total = 0;
  std::vector<std::tuple<double, size_t, int64_t>> channels;  // (score, plan, channel)
  for (size_t i = 0; i < pool.size(); ++i) {
    ratio = std::min(ratio, pool[i].ratio);
    total += pool[i].group->channels;
    for (int64_t c = 0; c < pool[i].group->channels; ++c) channels.emplace_back(pool[i].score[static_cast<size_t>(c)], i, c);
  }
  std::stable_sort(channels.begin(), channels.end(),
                   [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  int64_t k = static_cast<int64_t>(std::floor(ratio * static_cast<double>(total)));
  for (const auto& [score, i, c] : channels) {
    if (k <= 0) break;
    GroupPlan& plan = pool[i];
    const int64_t n = plan.group->channels;
    const int64_t cap = std::min(static_cast<int64_t>(std::floor(plan.max_ratio * static_cast<double>(n))), n - 1);
    if (static_cast<int64_t>(plan.removed.size()) >= cap) continue;
    plan.removed.insert(c);
    --k;
  }
}

// Masks every plan's removed channels, reported in the order of the groups.
Status MaskPlans(ScriptModel& model, const LayerGraph& graph, const Pools& pools, GroupPruneResult& out) {
  torch::NoGradGuard no_grad;
  std::vector<const GroupPlan*> plans;
  for (const auto& [key, pool] : pools) {
    for (const GroupPlan& p : pool) plans.push_back(&p);
  }
  std::sort(plans.begin(), plans.end(), [](const GroupPlan* a, const GroupPlan* b) { return a->group->id < b->group->id; });
  for (const GroupPlan* plan : plans) {
    const ChannelGroup& g = *plan->group;
    std::vector<int64_t>& kept = out.kept[static_cast<size_t>(g.id)];
    if (!plan->removed.empty()) {
      for (int64_t c = 0; c < g.channels; ++c) {
        if (!plan->removed.count(c)) kept.push_back(c);
      }
    }
    std::vector<int64_t> gone(plan->removed.begin(), plan->removed.end());
    std::vector<int64_t> reported = kept;
    if (reported.empty()) {
      for (int64_t c = 0; c < g.channels; ++c) reported.push_back(c);
    }
    MaskProducers(model, graph, g, gone, reported, plan->ratio, out.report);
    if (!gone.empty()) HONE_RETURN_IF_ERROR(MaskFollowers(model, graph, g, gone));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<GroupPruneResult> PruneChannelGroupsByScore(ScriptModel& model, const LayerGraph& graph,
                                                     const ChannelAnalysis& groups, const PruneConfig& config,
                                                     const FilterScoreMap& scores) {
  if (!PrunerTraitsOf(config.pruner).structured) {
    return InvalidArgument("speedup removes whole channels and needs a structured pruner, but got '" +
                           PrunerName(config.pruner) + "'");
  }
  std::string blocked;
  auto pools = PlanPools(graph, groups, config, scores, blocked);
  if (!pools.ok()) return pools.status();
  for (auto& [key, pool] : *pools) ChooseRemoved(pool);
  GroupPruneResult out;
  out.kept.resize(groups.groups.size());
  try {
    HONE_RETURN_IF_ERROR(MaskPlans(model, graph, *pools, out));
  } catch (const std::exception& e) {
    return InvalidArgument("pruning failed: " + TorchErrorMessage(e));
  }
  HONE_RETURN_IF_ERROR(RequireSomethingPruned(out.report, blocked));
  out.report.kept_whole = blocked;
  return out;
}

}  // namespace hone::compress
