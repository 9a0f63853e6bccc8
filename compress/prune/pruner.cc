#include "compress/prune/pruner.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "compress/model/script_model_torch.h"
#include "compress/prune/filter_norms_torch.h"

namespace hone::compress {
namespace {

struct Target {
  const LayerNode* node;
  const PruneRule* rule;
  at::Tensor weight;
  at::Tensor bias;
  LayerPruneResult result;
  at::Tensor scores;  // structured pruners given scores: one per filter
};

// How many of `n` items a layer may lose at most under its rule (filters keep >= 1).
int64_t MaxRemovable(int64_t n, double max_ratio, bool structured) {
  int64_t cap = static_cast<int64_t>(std::floor(max_ratio * static_cast<double>(n)));
  return structured ? std::min(cap, n - 1) : std::min(cap, n);
}

void ZeroFilters(Target& t, const std::vector<int64_t>& removed) {
  if (removed.empty()) {
    t.result.kept_channels.resize(static_cast<size_t>(t.weight.size(0)));
    std::iota(t.result.kept_channels.begin(), t.result.kept_channels.end(), 0);
    return;
  }
  at::Tensor idx = torch::tensor(removed, torch::kInt64);
  t.weight.index_fill_(0, idx, 0.0);
  if (t.bias.defined()) t.bias.index_fill_(0, idx, 0.0);
  std::set<int64_t> gone(removed.begin(), removed.end());
  for (int64_t c = 0; c < t.weight.size(0); ++c) {
    if (!gone.count(c)) t.result.kept_channels.push_back(c);
  }
}

// level's choice for a group: the flat indices of the weights each layer loses. Alone,
// a layer loses floor(ratio x size) of its smallest weights; in a global group exactly
// floor(ratio x group size) weights go, smallest magnitude first, and a layer over its
// cap loses its cap of smallest weights instead.
std::vector<at::Tensor> LevelChoice(const std::vector<Target*>& group) {
  const double ratio = group.front()->rule->sparse_ratio;
  std::vector<at::Tensor> out(group.size());
  auto smallest = [](const at::Tensor& w, int64_t k) { return w.abs().flatten().argsort().slice(0, 0, k); };
  if (group.size() == 1) {
    Target& t = *group.front();
    int64_t k = std::min(static_cast<int64_t>(std::floor(ratio * static_cast<double>(t.weight.numel()))),
                         MaxRemovable(t.weight.numel(), t.rule->max_sparse_ratio, false));
    out[0] = smallest(t.weight, std::max<int64_t>(0, k));
    return out;
  }
  std::vector<at::Tensor> all;
  for (Target* t : group) all.push_back(t->weight.abs().flatten());
  at::Tensor joined = torch::cat(all);
  int64_t k = std::max<int64_t>(0, static_cast<int64_t>(std::floor(ratio * static_cast<double>(joined.numel()))));
  at::Tensor chosen = joined.argsort().slice(0, 0, k);
  int64_t offset = 0;
  for (size_t i = 0; i < group.size(); ++i) {
    Target& t = *group[i];
    const int64_t n = t.weight.numel();
    at::Tensor mine = chosen.masked_select(chosen.ge(offset).logical_and(chosen.lt(offset + n))) - offset;
    const int64_t cap = MaxRemovable(n, t.rule->max_sparse_ratio, false);
    out[i] = mine.numel() > cap ? smallest(t.weight, cap) : mine;
    offset += n;
  }
  return out;
}

void PruneFilterGroup(PrunerKind pruner, std::vector<Target*>& group) {
  const double ratio = group.front()->rule->sparse_ratio;
  const bool global = group.size() > 1;
  // (score, target, channel) for every filter of the group.
  std::vector<std::tuple<double, size_t, int64_t>> filters;
  int64_t total = 0;
  for (size_t i = 0; i < group.size(); ++i) {
    at::Tensor s = group[i]->scores.defined() ? group[i]->scores
                                              : WeightNormScores(pruner, group[i]->weight, global).to(torch::kDouble).contiguous();
    for (int64_t c = 0; c < s.size(0); ++c) filters.emplace_back(s[c].item<double>(), i, c);
    total += s.size(0);
  }
  std::stable_sort(filters.begin(), filters.end(),
                   [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  std::vector<std::vector<int64_t>> removed(group.size());
  if (global) {
    int64_t k = static_cast<int64_t>(std::floor(ratio * static_cast<double>(total)));
    for (const auto& [score, i, c] : filters) {
      if (k <= 0) break;
      const int64_t n = group[i]->weight.size(0);
      if (static_cast<int64_t>(removed[i].size()) >= MaxRemovable(n, group[i]->rule->max_sparse_ratio, true)) continue;
      removed[i].push_back(c);
      --k;
    }
  } else {
    const int64_t n = group.front()->weight.size(0);
    int64_t k = std::min(static_cast<int64_t>(std::floor(ratio * static_cast<double>(n))),
                         MaxRemovable(n, group.front()->rule->max_sparse_ratio, true));
    for (int64_t j = 0; j < k; ++j) removed[0].push_back(std::get<2>(filters[static_cast<size_t>(j)]));
  }
  for (size_t i = 0; i < group.size(); ++i) {
    std::sort(removed[i].begin(), removed[i].end());
    ZeroFilters(*group[i], removed[i]);
  }
}

Status CheckPrunerInputs(const PrunerTraits& pruner, const FilterScoreMap* scores, const WeightRemover& remover) {
  if (pruner.scoring == PrunerScoring::kObsCalibration && !remover) {
    return InvalidArgument("the obs pruner updates weights from calibration data: run it through PruneWeightsObs");
  }
  if (pruner.scoring == PrunerScoring::kData && scores == nullptr) {
    return InvalidArgument("the " + std::string(pruner.name) +
                           " pruner ranks filters from data: score them first (DataFilterScores)");
  }
  return Status::Ok();
}

// The selected layers of `module` with their weights (and, for structured pruners given
// `scores`, their filters' scores), in execution order.
StatusOr<std::vector<Target>> CollectTargets(torch::jit::Module& module, const LayerGraph& graph,
                                             const PruneConfig& config, const PrunerTraits& pruner,
                                             const FilterScoreMap* scores) {
  std::vector<Target> targets;
  for (const SelectedLayer& l : SelectLayers(graph, config)) {
    const LayerNode& n = graph.nodes[static_cast<size_t>(l.node)];
    auto owner = FindSubmodule(module, n.name);
    if (!owner || !owner->hasattr("weight")) continue;
    Target t{&n, l.rule, owner->attr("weight").toTensor(), at::Tensor(), {}, at::Tensor()};
    if (owner->hasattr("bias") && owner->attr("bias").isTensor()) t.bias = owner->attr("bias").toTensor();
    t.result.name = n.name;
    t.result.op_type = PrunableOpType(n);
    t.result.target_ratio = l.rule->sparse_ratio;
    t.result.channels = t.weight.size(0);
    if (scores != nullptr && pruner.structured) {
      auto it = scores->find(n.name);
      if (it == scores->end() || static_cast<int64_t>(it->second.size()) != t.weight.size(0)) {
        return InvalidArgument("no " + std::string(pruner.name) + " score for each of the " +
                               std::to_string(t.weight.size(0)) + " filters of layer " + n.name);
      }
      t.scores = torch::tensor(it->second, torch::kDouble);
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

// The layers ranked together: one group per global_group_id, per config_list entry for
// slim, else per layer.
std::map<std::string, std::vector<Target*>> RankingGroups(std::vector<Target>& targets, const PruneConfig& config,
                                                         const PrunerTraits& pruner) {
  std::map<std::string, std::vector<Target*>> groups;
  for (Target& t : targets) {
    std::string key = t.rule->global_group_id.empty() ? "layer:" + t.result.name : "group:" + t.rule->global_group_id;
    if (pruner.ranks_entry_together && t.rule->global_group_id.empty()) {
      key = "entry:" + std::to_string(t.rule - config.rules.data());
    }
    groups[key].push_back(&t);
  }
  return groups;
}

// Unstructured pruners: removes level's choice from each layer, in execution order (a
// remover may look at what earlier layers became), through `remover` when given.
Status RemoveChosenWeights(const std::vector<Target>& targets, const std::map<const Target*, at::Tensor>& chosen,
                           const WeightRemover& remover) {
  for (const Target& t : targets) {
    auto it = chosen.find(&t);
    if (it == chosen.end()) continue;
    if (remover) {
      HONE_RETURN_IF_ERROR(remover(t.result.name, it->second.numel()));
    } else if (it->second.numel() > 0) {
      t.weight.view(-1).index_fill_(0, it->second, 0.0);
    }
  }
  return Status::Ok();
}

PruneResult Summarize(std::vector<Target>& targets) {
  PruneResult out;
  for (Target& t : targets) {
    t.result.weights = t.weight.numel();
    t.result.zero_weights = t.weight.eq(0).sum().item<int64_t>();
    out.weights += t.result.weights;
    out.zero_weights += t.result.zero_weights;
    out.layers.push_back(std::move(t.result));
  }
  return out;
}

}  // namespace

std::string PrunableOpType(const LayerNode& node) { return node.kind == OpKind::kConv2d ? "Conv2d" : "Linear"; }

const PruneRule* RuleFor(const PruneConfig& config, const LayerNode& node) {
  return ActiveRule(config, PrunableOpType(node), node.name);
}

std::vector<SelectedLayer> SelectLayers(const LayerGraph& graph, const PruneConfig& config) {
  std::vector<SelectedLayer> out;
  std::set<std::string> seen;
  for (const LayerNode& n : graph.nodes) {
    if (n.kind != OpKind::kConv2d && n.kind != OpKind::kLinear) continue;
    if (n.name.find('/') != std::string::npos || !seen.insert(n.name).second) continue;
    if (const PruneRule* rule = RuleFor(config, n)) out.push_back({n.id, rule});
  }
  return out;
}

StatusOr<FilterScoreMap> WeightFilterScores(const ScriptModel& model, const LayerGraph& graph,
                                            const PruneConfig& config) {
  if (PrunerTraitsOf(config.pruner).scoring != PrunerScoring::kWeightNorm) {
    return InvalidArgument("weight-norm scores need l1, l2 or fpgm, but got '" + PrunerName(config.pruner) + "'");
  }
  FilterScoreMap out;
  try {
    torch::NoGradGuard no_grad;
    for (const SelectedLayer& l : SelectLayers(graph, config)) {
      const std::string& name = graph.nodes[static_cast<size_t>(l.node)].name;
      auto owner = FindSubmodule(ModuleOf(model), name);
      if (!owner || !owner->hasattr("weight")) continue;
      at::Tensor s =
          WeightNormScores(config.pruner, owner->attr("weight").toTensor(), true).to(torch::kDouble).contiguous();
      out[name] = std::vector<double>(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
    }
  } catch (const std::exception& e) {
    return InvalidArgument("scoring failed: " + TorchErrorMessage(e));
  }
  return out;
}

StatusOr<PruneResult> PruneWeights(ScriptModel& model, const LayerGraph& graph, const PruneConfig& config,
                                   const FilterScoreMap* scores, const WeightRemover& remover) {
  const PrunerTraits& pruner = PrunerTraitsOf(config.pruner);
  HONE_RETURN_IF_ERROR(CheckPrunerInputs(pruner, scores, remover));
  try {
    torch::NoGradGuard no_grad;
    auto targets = CollectTargets(ModuleOf(model), graph, config, pruner, scores);
    if (!targets.ok()) return targets.status();
    if (targets->empty()) return InvalidArgument("the config_list selects no Conv2d or Linear layer of this model");
    std::map<const Target*, at::Tensor> chosen;  // unstructured: level's choice per layer
    for (auto& [key, group] : RankingGroups(*targets, config, pruner)) {
      if (pruner.structured) {
        PruneFilterGroup(config.pruner, group);
        continue;
      }
      std::vector<at::Tensor> c = LevelChoice(group);
      for (size_t i = 0; i < group.size(); ++i) chosen[group[i]] = c[i];
    }
    HONE_RETURN_IF_ERROR(RemoveChosenWeights(*targets, chosen, remover));
    return Summarize(*targets);
  } catch (const std::exception& e) {
    return InvalidArgument("pruning failed: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
