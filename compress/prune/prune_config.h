// The pruning configuration of `hone compress prune`, in NNI v3's config-list form:
//
//   pruner: l1                 # level | l1 | l2 | fpgm (weights only)
//                              # obs | taylor | slim | apoz | mean_activation (need --data)
//                              # or NNI's class name (L1NormPruner, TaylorFOWeightPruner, ...)
//   config_list:
//     - op_types: [Conv2d]     # Conv2d, Linear; "default" means both
//       op_names: ['layer*']   # globs over module paths (optional); with op_names_re
//                              # (regexes matched from the start, as Python's re.match) and
//                              # op_partial_names (substrings): a layer matching any
//       exclude_op_names: ['conv1']   # also exclude_op_names_re, exclude_op_types
//       sparse_ratio: 0.5      # fraction of weights (level) or filters (l1, l2, fpgm) to remove
//                              # (NNI's sparsity, sparsity_per_layer, total_sparsity too)
//       granularity: default   # NNI's: default, or out_channel for the filter pruners
//       target_names: [weight] # NNI's: weight (and bias, which follows the filters)
//     - op_names: [fc]
//       exclude: true          # never prune these
//     - op_types: [Conv2d]
//       sparse_ratio: 0.7
//       global_group_id: g1    # rank all matched layers together
//       max_sparse_ratio: 0.9  # but prune no layer beyond this
//   speedup: false
//   pruner_options:            # the data-driven pruners
//     batches: 8               # taylor, apoz, mean_activation: training batches scored
//     batch_size: 64
//     sparsity_epochs: 1       # slim: sparsity-training epochs before ranking
//     sparsity_lambda: 1e-4    # slim: weight of the L1 penalty on batch-norm scales
//     lr: 0.01                 # slim: SGD learning rate of sparsity training
//     damp: 0.01               # obs: dampening of the layer Hessians (fraction of their mean diagonal)
//     solver: auto             # obs: auto (exact where a layer is small enough) | blocked
//   schedule:                  # default: one-shot
//     kind: agp                # one-shot | iterative | agp
//     steps: 4
//     initial_sparsity: 0      # agp: s_i
//     finetune_epochs: 1       # after every step (needs --data)
//     lr: 0.01                 # fine-tuning: optimizer, lr, batch_size
//   evaluator:                 # the user's own accuracy (instead of --data's test split)
//     command: python3 eval.py # run per model through the trial protocol (model_command.h)
//     timeout_s: 600           # optional; 0 = no limit
//   finetuner:                 # the user's own fine-tuning: after every scheduled step,
//     command: python3 ft.py   # or once at the end of a one-shot run
//
// A layer takes the last entry that matches it (NNI's rule); an `exclude` entry removes it.
//
// `pruner: amc` (or NNI's AMCPruner) takes an `amc:` block instead of config_list: an AMC
// search picks every channel group's width under a FLOPs budget (amc_config.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compress/amc/amc_config.h"
#include "compress/external/model_command.h"
#include "compress/prune/pruner_kind.h"
#include "core/status.h"

namespace hone::compress {

struct PruneRule {
  std::vector<std::string> op_types;  // empty: Conv2d and Linear
  std::vector<std::string> exclude_op_types;
  std::vector<std::string> op_names;  // globs; with the two below empty: every name
  std::vector<std::string> op_names_re;       // regexes, matched from the name's start
  std::vector<std::string> op_partial_names;  // substrings
  std::vector<std::string> exclude_op_names;
  std::vector<std::string> exclude_op_names_re;
  double sparse_ratio = 0;
  double max_sparse_ratio = 1;
  std::string global_group_id;  // empty: the layer is ranked alone
  bool exclude = false;
};

struct PrunerOptions {
  int64_t batches = 8;
  int64_t batch_size = 64;
  int sparsity_epochs = 1;
  double sparsity_lambda = 1e-4;
  double lr = 0.01;
  double damp = 0.01;
  std::string solver = "auto";
};

// How sparsity reaches each rule's sparse_ratio s_f over `steps` steps t = 1..steps:
//   one-shot   one step
//   iterative  s_t = s_f * t / steps
//   agp        s_t = s_f + (s_i - s_f) * (1 - t / steps)^3   (Zhu & Gupta 2017)
struct PruneSchedule {
  std::string kind = "one-shot";
  int steps = 1;
  double initial_sparsity = 0;  // agp's s_i (capped at s_f)
  int finetune_epochs = 0;
  std::string optimizer = "sgd";
  double lr = 0.01;
  int64_t batch_size = 128;
};

struct PruneConfig {
  PrunerKind pruner = PrunerKind::kL1;  // parsed from `pruner:`; see pruner_kind.h
  std::vector<PruneRule> rules;
  bool speedup = false;
  PrunerOptions options;
  PruneSchedule schedule;
  ModelCommand evaluator;  // empty: none (the CLI's --evaluator overrides it)
  ModelCommand finetuner;  // empty: none (--finetuner overrides it)
  std::optional<AmcConfig> amc;  // pruner: amc (then `pruner` is its base pruner)
};

// The sparse ratio of a rule whose target is `target` after step `step` (1..steps).
double ScheduledRatio(const PruneSchedule& schedule, double target, int step);

// Parses the YAML text; `origin` names the file in errors, which follow hone's
// "file:line:col: error: key.path: what must hold, but got what" format, all at once.
StatusOr<PruneConfig> ParsePruneConfig(const std::string& yaml_text, const std::string& origin);
StatusOr<PruneConfig> LoadPruneConfig(const std::string& path);

// The CLI's --evaluator/--finetuner over the YAML's: a non-empty flag.command replaces
// the configured command, a flag.timeout_s >= 0 the configured timeout.
void OverrideModelCommand(ModelCommand& configured, const ModelCommand& flag);

// Whether `rule` selects a layer of type `op_type` ("Conv2d", "Linear") named `name`.
bool RuleMatches(const PruneRule& rule, const std::string& op_type, const std::string& name);

// The rule resolver: the config_list entry that rules a layer of type `op_type` named
// `name` is the last one that matches it; nullptr when none does, when that entry
// excludes the layer, or when its sparse_ratio is 0.
const PruneRule* ActiveRule(const PruneConfig& config, const std::string& op_type, const std::string& name);

}  // namespace hone::compress
