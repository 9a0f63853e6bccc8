// What the AMC commands of hone-compress share (amc-space, amc-trial, amc-tuner): the
// model, its channel groups and the AMC environment built from the same budget options,
// and the search space they agree on -- one parameter per decision, named after the
// decision's representative layer, uniform over the keep ratios the action wall allows:
//
//   {"layer1.0.conv1": {"_type": "uniform", "_value": [0.25, 1]}, ...}
//
// The tuner's suggestions are the keep ratios the wall applied; the trial applies the
// wall again (a no-op on such ratios), so any configuration a user or another tuner
// writes meets the FLOPs budget too.
//
//   AmcSetupArgs a{.model = "resnet20.pt", .flops_ratio = 0.5};
//   auto setup = LoadAmcSetup(a);
//   nlohmann::json space = AmcSearchSpace(setup->env);
//   auto actions = ActionsFromParams(setup->env, trial_params);   // one per decision
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "compress/amc/amc_environment.h"
#include "compress/cli/model_input.h"
#include "compress/prune/channel_groups.h"
#include "core/status.h"

namespace hone::compress {

struct AmcSetupArgs {
  std::string model;
  std::string input = "1,1,28,28";
  double flops_ratio = 0.5;  // the FLOPs budget as a fraction of the dense model's
  double lower_keep = 0.2;   // every decision keeps at least this fraction of its channels
  int64_t round_to = 8;      // kept channels are multiples of this (or the full width)
};

struct AmcSetup {
  ModelWithGraph net;
  ChannelAnalysis groups;
  AmcEnvironment env;
};

// MODEL, --input, --flops-ratio, --lower-keep, --round-to.
void AddAmcSetupOptions(CLI::App& cmd, AmcSetupArgs& a);

// From a tuner's classArgs: model (required), input, flops_ratio or total_sparsity,
// lower_keep or max_sparsity_per_layer, round_to. Errors name the key.
StatusOr<AmcSetupArgs> AmcSetupArgsFromJson(const nlohmann::json& args);

StatusOr<AmcSetup> LoadAmcSetup(const AmcSetupArgs& a);

// One uniform parameter per decision over [lowest, highest] allowed keep ratio.
nlohmann::json AmcSearchSpace(const AmcEnvironment& env);

// The decisions' actions from a configuration; errors name a missing or non-numeric one.
StatusOr<std::vector<double>> ActionsFromParams(const AmcEnvironment& env, const nlohmann::json& params);
// The inverse: {decision name: keep ratio}.
nlohmann::json ParamsFromActions(const AmcEnvironment& env, const std::vector<double>& actions);

}  // namespace hone::compress
