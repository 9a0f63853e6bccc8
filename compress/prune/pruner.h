// Pruners: choose which weights (level) or which output filters (all others) of the
// Conv2d and Linear layers a PruneConfig selects to remove, and zero them in the model
// (a masked model: same shapes, zeros where pruned). Torch-free.
//
//   level  unstructured: the weights of smallest magnitude
//   obs    unstructured, from calibration data: as many weights per layer as level
//          removes, chosen and compensated for by the layer-wise Optimal Brain Surgeon
//          (compress/prune/obs_pruner.h)
//   l1/l2  structured: the output filters of smallest L1 / L2 norm
//   fpgm   structured: the filters nearest the layer's geometric median (He et al. 2019),
//          the most replaceable ones: smallest sum of L2 distances to the other filters
//   taylor, slim, apoz, mean_activation: structured, ranked from data by
//          compress/prune/data_pruners.h; PruneWeights takes their scores
//
// Layers sharing a global_group_id are ranked together: level by magnitude, structured
// pruners by the norm per weight (mean |w| for l1, RMS for l2, the mean distance for
// fpgm), so that layers of different fan-in compare fairly; no layer goes beyond its
// max_sparse_ratio, and every layer keeps at least one filter. slim ranks the layers of
// one config_list entry together even without a global_group_id (network slimming
// removes the smallest batch-norm scales network-wide).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "compress/graph/layer_graph.h"
#include "compress/model/script_model.h"
#include "compress/prune/prune_config.h"
#include "core/status.h"

namespace hone::compress {

struct LayerPruneResult {
  std::string name;
  std::string op_type;       // Conv2d | Linear
  double target_ratio = 0;   // the configured sparse_ratio
  int64_t weights = 0;
  int64_t zero_weights = 0;  // after pruning
  int64_t channels = 0;      // output channels (filters)
  std::vector<int64_t> kept_channels;  // structured pruners: the filters kept, ascending
};

struct PruneResult {
  std::vector<LayerPruneResult> layers;
  int64_t weights = 0;       // in the pruned layers
  int64_t zero_weights = 0;
  // Channel pruning: "\n  <layer>: <reason>" for each selected layer whose channels stay
  // whole (they reach the model's output, an op hone does not follow, ...).
  std::string kept_whole;
};

// Per layer (module path): one score per output filter; lower scores are removed first.
using FilterScoreMap = std::map<std::string, std::vector<double>>;

// "Conv2d" or "Linear": the op type config_list entries name a prunable layer by.
std::string PrunableOpType(const LayerNode& node);

// The config_list entry that rules `node` (ActiveRule in prune_config.h), or nullptr.
const PruneRule* RuleFor(const PruneConfig& config, const LayerNode& node);

// A Conv2d or Linear layer the config selects, with the config_list entry that rules it.
struct SelectedLayer {
  int node = -1;  // in the LayerGraph
  const PruneRule* rule = nullptr;
};
// Every module's first Conv2d or Linear node (functional ops, named "<module>/<op>#<n>",
// excluded) that RuleFor gives a rule, in execution order.
std::vector<SelectedLayer> SelectLayers(const LayerGraph& graph, const PruneConfig& config);

// Removes `count` weights of the named layer in the model (and may update the others):
// the unstructured pruners' alternative to zeroing level's choice. Called once per
// selected layer, in the forward graph's execution order.
using WeightRemover = std::function<Status(const std::string& layer, int64_t count)>;

// Structured pruners: filters are ranked by `scores` when given (every selected layer
// must have one score per filter), else by config.pruner's weight norms; the data-driven
// pruners need `scores`. Unstructured pruners: each layer loses as many weights as
// level's magnitude ranking takes from it (per layer or over its global group), through
// `remover` when given (obs needs one), else the weights level chose are zeroed.
// Errors: a config that selects no layer, a data-driven pruner
// without scores (obs without a remover), scores missing or of the wrong length, the
// remover's errors.
StatusOr<PruneResult> PruneWeights(ScriptModel& model, const LayerGraph& graph, const PruneConfig& config,
                                   const FilterScoreMap* scores = nullptr, const WeightRemover& remover = {});

// The weight-norm scores (per weight, as global groups rank them) of l1, l2 or fpgm for
// every selected layer.
StatusOr<FilterScoreMap> WeightFilterScores(const ScriptModel& model, const LayerGraph& graph,
                                            const PruneConfig& config);

}  // namespace hone::compress
