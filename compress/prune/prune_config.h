// The pruning configuration of `hone compress prune`, in NNI v3's config-list form:
//
//   pruner: l1                 # level | l1 | l2 | fpgm
//   config_list:
//     - op_types: [Conv2d]     # Conv2d, Linear; "default" means both
//       op_names: ['layer*']   # globs over module paths (optional)
//       exclude_op_names: ['conv1']
//       sparse_ratio: 0.5      # fraction of weights (level) or filters (l1, l2, fpgm) to remove
//     - op_names: [fc]
//       exclude: true          # never prune these
//     - op_types: [Conv2d]
//       sparse_ratio: 0.7
//       global_group_id: g1    # rank all matched layers together
//       max_sparse_ratio: 0.9  # but prune no layer beyond this
//   speedup: false
//
// A layer takes the last entry that matches it (NNI's rule); an `exclude` entry removes it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace hone::compress {

struct PruneRule {
  std::vector<std::string> op_types;  // empty: Conv2d and Linear
  std::vector<std::string> op_names;  // globs; empty: every name
  std::vector<std::string> exclude_op_names;
  double sparse_ratio = 0;
  double max_sparse_ratio = 1;
  std::string global_group_id;  // empty: the layer is ranked alone
  bool exclude = false;
};

struct PruneConfig {
  std::string pruner = "l1";
  std::vector<PruneRule> rules;
  bool speedup = false;
};

// Parses the YAML text; `origin` names the file in errors, which follow hone's
// "file:line:col: error: key.path: what must hold, but got what" format, all at once.
StatusOr<PruneConfig> ParsePruneConfig(const std::string& yaml_text, const std::string& origin);
StatusOr<PruneConfig> LoadPruneConfig(const std::string& path);

// Whether `rule` selects a layer of type `op_type` ("Conv2d", "Linear") named `name`.
bool RuleMatches(const PruneRule& rule, const std::string& op_type, const std::string& name);

}  // namespace hone::compress
