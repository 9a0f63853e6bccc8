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

}  // namespace

StatusOr<GroupPruneResult> PruneChannelGroupsByScore(ScriptModel& model, const LayerGraph& graph,
                                                     const ChannelAnalysis& groups, const PruneConfig& config,
                                                     const FilterScoreMap& scores) {
  if (IsUnstructuredPruner(config.pruner)) {
    return InvalidArgument("speedup removes whole channels and needs a structured pruner, but got '" + config.pruner + "'");
  }
  HONE_RETURN_IF_ERROR(RequireStructuredSupport(graph));
  std::map<int, const PruneRule*> rule_of;
  for (const SelectedLayer& l : SelectLayers(graph, config)) rule_of[l.node] = l.rule;
  GroupPruneResult out;
  out.kept.resize(groups.groups.size());
  std::string blocked;
  // Pools of groups ranked together, by key.
  std::map<std::string, std::vector<GroupPlan>> pools;
  for (const ChannelGroup& g : groups.groups) {
    GroupPlan plan{&g, 1, 1, {}, {}};
    bool selected = !g.producers.empty();
    std::string global;
    bool same_global = true;
    const PruneRule* first = nullptr;
    for (int p : g.producers) {
      auto it = rule_of.find(p);
      if (it == rule_of.end()) {
        selected = false;
        break;
      }
      const PruneRule* r = it->second;
      if (first == nullptr) {
        first = r;
        global = r->global_group_id;
      }
      same_global = same_global && r->global_group_id == global;
      plan.ratio = std::min(plan.ratio, r->sparse_ratio);
      plan.max_ratio = std::min(plan.max_ratio, r->max_sparse_ratio);
    }
    if (!selected) continue;
    if (!g.prunable) {
      blocked += "\n  " + graph.nodes[static_cast<size_t>(g.producers.front())].name + ": " + g.reason;
      continue;
    }
    plan.score.assign(static_cast<size_t>(g.channels), 0.0);
    for (int p : g.producers) {
      const std::string& name = graph.nodes[static_cast<size_t>(p)].name;
      auto it = scores.find(name);
      if (it == scores.end() || static_cast<int64_t>(it->second.size()) != g.channels) {
        return InvalidArgument("no " + config.pruner + " score for each of the " + std::to_string(g.channels) +
                               " channels of layer " + name);
      }
      for (size_t c = 0; c < plan.score.size(); ++c) plan.score[c] += it->second[c] / static_cast<double>(g.producers.size());
    }
    std::string key = "group:" + std::to_string(g.id);
    if (same_global && !global.empty()) {
      key = "global:" + global;
    } else if (config.pruner == "slim") {
      key = "entry:" + std::to_string(first - config.rules.data());
    }
    pools[key].push_back(std::move(plan));
  }

  for (auto& [key, pool] : pools) {
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

  try {
    torch::NoGradGuard no_grad;
    // Reported in the order of the groups.
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
  } catch (const std::exception& e) {
    return InvalidArgument("pruning failed: " + TorchErrorMessage(e));
  }
  if (out.report.layers.empty()) {
    return InvalidArgument("the config_list selects no layer whose channels can be removed" +
                           (blocked.empty() ? std::string() : ":" + blocked));
  }
  return out;
}

}  // namespace hone::compress
