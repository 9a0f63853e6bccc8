#include "compress/cli/amc_setup.h"

namespace hone::compress {

using nlohmann::json;

void AddAmcSetupOptions(CLI::App& cmd, AmcSetupArgs& a) {
  AddModelOptions(cmd, a.model, a.input);
  cmd.add_option("--flops-ratio", a.flops_ratio, "FLOPs budget: at most this fraction of the dense model's")
      ->capture_default_str();
  cmd.add_option("--lower-keep", a.lower_keep, "Every decision keeps at least this fraction of its channels")
      ->capture_default_str();
  cmd.add_option("--round-to", a.round_to, "Kept channels are multiples of this (or the full width)")
      ->capture_default_str();
}

namespace {

Status ReadNumber(const json& args, const char* key, double& out) {
  auto it = args.find(key);
  if (it == args.end()) return Status();
  if (!it->is_number()) return InvalidArgument(std::string("amc: classArgs.") + key + " must be a number, not " + it->dump());
  out = it->get<double>();
  return Status();
}

}  // namespace

StatusOr<AmcSetupArgs> AmcSetupArgsFromJson(const json& args) {
  AmcSetupArgs a;
  if (!args.is_object() || !args.contains("model") || !args["model"].is_string())
    return InvalidArgument("amc: classArgs.model must name the TorchScript model (.pt) to prune");
  a.model = args["model"].get<std::string>();
  if (args.contains("input")) {
    if (!args["input"].is_string()) return InvalidArgument("amc: classArgs.input must be a shape like \"1,1,28,28\"");
    a.input = args["input"].get<std::string>();
  }
  double sparsity = -1, max_sparsity = -1, round_to = static_cast<double>(a.round_to);
  for (auto [key, out] : {std::pair{"flops_ratio", &a.flops_ratio}, std::pair{"total_sparsity", &sparsity},
                          std::pair{"lower_keep", &a.lower_keep}, std::pair{"max_sparsity_per_layer", &max_sparsity},
                          std::pair{"round_to", &round_to}}) {
    if (Status s = ReadNumber(args, key, *out); !s.ok()) return s;
  }
  if (args.contains("total_sparsity")) a.flops_ratio = 1 - sparsity;
  if (args.contains("max_sparsity_per_layer")) a.lower_keep = 1 - max_sparsity;
  a.round_to = static_cast<int64_t>(round_to);
  if (Status s = ValidateWallOptions({.flops_ratio = a.flops_ratio, .lower_keep = a.lower_keep, .round_to = a.round_to});
      !s.ok())
    return s.WithContext("amc");
  return a;
}

StatusOr<AmcSetup> LoadAmcSetup(const AmcSetupArgs& a) {
  auto net = LoadModelWithGraph(a.model, a.input);
  if (!net.ok()) return net.status();
  ChannelAnalysis groups = AnalyzeChannels(net->graph);
  auto env = AmcEnvironment::Create(net->graph, groups,
                                    {.flops_ratio = a.flops_ratio, .lower_keep = a.lower_keep, .round_to = a.round_to});
  if (!env.ok()) return env.status().WithContext("amc: " + a.model);
  return AmcSetup{std::move(*net), std::move(groups), std::move(*env)};
}

json AmcSearchSpace(const AmcEnvironment& env) {
  json space = json::object();
  for (size_t t = 0; t < env.layers().size(); ++t) {
    const auto& widths = env.wall().Widths(static_cast<int>(t));
    const double channels = static_cast<double>(env.wall().Channels(static_cast<int>(t)));
    space[env.layers()[t].name] = {{"_type", "uniform"},
                                   {"_value", {static_cast<double>(widths.front()) / channels,
                                               static_cast<double>(widths.back()) / channels}}};
  }
  return space;
}

StatusOr<std::vector<double>> ActionsFromParams(const AmcEnvironment& env, const json& params) {
  std::vector<double> actions;
  for (const AmcLayer& layer : env.layers()) {
    auto it = params.is_object() ? params.find(layer.name) : params.end();
    if (!params.is_object() || it == params.end())
      return InvalidArgument("amc: the configuration has no keep ratio for decision '" + layer.name +
                             "' (write the search space with `hone compress amc-space` on the same model and options)");
    if (!it->is_number()) return InvalidArgument("amc: the keep ratio of '" + layer.name + "' is not a number: " + it->dump());
    actions.push_back(it->get<double>());
  }
  return actions;
}

json ParamsFromActions(const AmcEnvironment& env, const std::vector<double>& actions) {
  json params = json::object();
  for (size_t t = 0; t < env.layers().size() && t < actions.size(); ++t) params[env.layers()[t].name] = actions[t];
  return params;
}

}  // namespace hone::compress
