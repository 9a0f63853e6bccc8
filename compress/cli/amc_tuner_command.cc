// `hone compress amc-tuner`: AMC's DDPG agent as a hone tuner plugin speaking the plugin
// protocol (tuners/plugin/plugin_protocol.h) on stdin/stdout; `tuner: {name: amc}` runs
// it (tuners/plugin/compress_tuners.h). classArgs: model (TorchScript, required), input
// (N,C,H,W, default 1,1,28,28), flops_ratio or total_sparsity (0.5), lower_keep or
// max_sparsity_per_layer (0.2), round_to (8), warmup_episodes (100), replay_episodes
// (100), noise (0.5), noise_decay (0.95), min_noise (0), seed (the experiment's),
// optimize_mode (the experiment's). The search space must be the one `hone compress
// amc-space` writes for the same model and options. Suggestions, update order and resume:
// compress/amc/amc_policy_tuner.h. Each episode fed to the agent prints a line on stderr.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <limits>
#include <optional>
#include <string>

#include "compress/amc/amc_policy_tuner.h"
#include "compress/cli/amc_setup.h"
#include "compress/cli/compress_commands.h"

namespace hone::compress {
namespace {

using nlohmann::json;

struct Session {
  std::optional<AmcPolicyTuner> tuner;
  double best = -std::numeric_limits<double>::infinity();
  bool maximize = true;
};

Status CheckSpace(const AmcEnvironment& env, const json& space) {
  if (!space.is_object() || space.empty()) return Status();
  for (const AmcLayer& layer : env.layers()) {
    if (!space.contains(layer.name))
      return InvalidArgument("amc: the search space has no parameter '" + layer.name +
                             "'; write it with `hone compress amc-space` on the same model and options");
  }
  return Status();
}

StatusOr<json> Init(Session& s, const json& req) {
  json args = req.value("class_args", json::object());
  auto setup_args = AmcSetupArgsFromJson(args);
  if (!setup_args.ok()) return setup_args.status();
  auto setup = LoadAmcSetup(*setup_args);
  if (!setup.ok()) return setup.status();
  if (Status st = CheckSpace(setup->env, req.value("search_space", json::object())); !st.ok()) return st;
  AmcTunerOptions options;
  options.agent.seed = args.contains("seed") && args["seed"].is_number_unsigned() ? args["seed"].get<uint64_t>()
                                                                                 : req.value("seed", uint64_t{0});
  for (auto [key, out] : {std::pair{"warmup_episodes", &options.agent.warmup_episodes},
                          std::pair{"replay_episodes", &options.agent.replay_episodes}}) {
    if (!args.contains(key)) continue;
    if (!args[key].is_number_integer() || args[key].get<int>() < 0)
      return InvalidArgument(std::string("amc: classArgs.") + key + " must be a non-negative integer");
    *out = args[key].get<int>();
  }
  for (auto [key, out] : {std::pair{"noise", &options.agent.init_sigma},
                          std::pair{"noise_decay", &options.agent.sigma_decay},
                          std::pair{"min_noise", &options.agent.min_sigma}}) {
    if (!args.contains(key)) continue;
    // As the amc block: noise and min_noise in [0, 1], noise_decay in (0, 1].
    const bool decay = std::string(key) == "noise_decay";
    if (!args[key].is_number() || args[key].get<double>() < 0 || (decay && args[key].get<double>() == 0) ||
        args[key].get<double>() > 1)
      return InvalidArgument(std::string("amc: classArgs.") + key + " must be a number in " +
                             (decay ? "(0, 1]" : "[0, 1]"));
    *out = args[key].get<double>();
  }
  std::string mode = args.value("optimize_mode", req.value("optimize_mode", std::string("maximize")));
  options.maximize = s.maximize = mode != "minimize";
  std::fprintf(stderr, "amc tuner: %zu decisions, FLOPs budget %lld of %lld, seed %llu, %d warm-up episodes\n",
               setup->env.layers().size(), static_cast<long long>(setup->env.TargetFlops()),
               static_cast<long long>(setup->env.DenseFlops()),
               static_cast<unsigned long long>(options.agent.seed), options.agent.warmup_episodes);
  s.tuner.emplace(std::move(setup->env), options);
  return json::object();
}

std::optional<double> FinalValue(const json& trial) {
  if (trial.value("status", std::string()) != "succeeded") return std::nullopt;
  auto it = trial.find("final");
  if (it == trial.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

StatusOr<json> Update(Session& s, const json& req) {
  std::vector<AmcFinishedTrial> completed;
  std::vector<AmcActiveTrial> active;
  for (const char* list : {"completed", "active"}) {
    for (const json& trial : req.value(list, json::array())) {
      auto actions = ActionsFromParams(s.tuner->env(), trial.value("params", json::object()));
      if (!actions.ok()) return actions.status().WithContext("trial " + std::to_string(trial.value("seq", -1)));
      const int64_t seq = trial.value("seq", int64_t{0});
      if (list[0] == 'a') {
        active.push_back({seq, *actions});
        continue;
      }
      completed.push_back({seq, *actions, FinalValue(trial)});
      if (auto v = completed.back().value) s.best = std::max(s.best, s.maximize ? *v : -*v);
    }
  }
  const int before = s.tuner->episodes();
  s.tuner->Update(completed, active);
  if (s.tuner->episodes() != before)
    std::fprintf(stderr, "amc tuner: %d episodes fed (%d waiting), best %.4f, next sigma %.4f\n",
                 s.tuner->episodes(), s.tuner->waiting(), s.maximize ? s.best : -s.best, s.tuner->sigma());
  return json::object();
}

StatusOr<json> Handle(Session& s, const json& req) {
  const std::string type = req.value("type", std::string());
  if (type == "init") return Init(s, req);
  if (!s.tuner) return FailedPrecondition("amc: got '" + type + "' before init");
  if (type == "update") return Update(s, req);
  if (type == "suggest") {
    json configs = json::array();
    for (const auto& policy : s.tuner->Suggest(req.value("count", 1)))
      configs.push_back(ParamsFromActions(s.tuner->env(), policy));
    return json{{"configs", configs}};
  }
  if (type == "assess") return InvalidArgument("amc is a tuner, not an assessor");
  return InvalidArgument("amc: unknown request type '" + type + "'");
}

Status RunTunerLoop() {
  Session session;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json req = json::parse(line, nullptr, false);
    json reply;
    if (req.is_discarded() || !req.is_object()) {
      reply = {{"error", "amc: a request is not a JSON object: " + line.substr(0, 200)}};
    } else if (req.value("type", std::string()) == "shutdown") {
      std::cout << "{}" << std::endl;
      return Status();
    } else {
      auto r = Handle(session, req);
      reply = r.ok() ? *r : json{{"error", r.status().message()}};
    }
    std::cout << reply.dump() << std::endl;
  }
  return Status();
}

}  // namespace

void SetupAmcTunerCommand(CLI::App& app, Status* result) {
  auto* cmd = app.add_subcommand("amc-tuner",
                                 "AMC's agent as a hone tuner plugin on stdin/stdout (`tuner: {name: amc}` runs it)");
  cmd->callback([result] { *result = RunTunerLoop(); });
}

}  // namespace hone::compress
