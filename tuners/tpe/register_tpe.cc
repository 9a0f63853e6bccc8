#include "tuners/tpe/register_tpe.h"

#include "tuners/tpe/tpe_tuner.h"

namespace hone {
namespace {

ArgSpec Arg(std::string key, ArgSpec::Kind kind, std::optional<double> min = std::nullopt,
            std::optional<double> max = std::nullopt) {
  ArgSpec a;
  a.key = std::move(key);
  a.kind = kind;
  a.min = min;
  a.max = max;
  return a;
}

ArgSpec Enum(std::string key, std::vector<std::string> choices) {
  ArgSpec a = Arg(std::move(key), ArgSpec::Kind::kEnum);
  a.choices = std::move(choices);
  return a;
}

}  // namespace

void RegisterTpeTuner(Registry& registry) {
  using K = ArgSpec::Kind;
  TunerInfo info;
  info.name = "tpe";
  info.aliases = {"TPE"};
  info.summary = "tree-structured Parzen estimator: random for n_startup_jobs, then where good trials cluster";
  info.args = {
      Enum("optimize_mode", {"maximize", "minimize"}),
      Arg("seed", K::kInt),
      Arg("n_startup_jobs", K::kInt, 0),
      Arg("n_ei_candidates", K::kInt, 1),
      Arg("gamma", K::kNumber, 1e-9, 1),
      Enum("gamma_rule", {"hyperopt", "optuna"}),
      Arg("prior_weight", K::kNumber, 1e-9),
      Arg("linear_forgetting", K::kInt, 0),
      Arg("multivariate", K::kBool),
      Arg("normalized_kernels", K::kBool),
      // null (NNI's way to turn the liar off) is accepted too; the factory checks it.
      Arg("constant_liar_type", K::kAny),
      // NNI nests the options above under tpe_args; the factory checks its keys.
      Arg("tpe_args", K::kAny),
  };
  info.uses_optimize_mode = true;
  info.create = &TpeTuner::Create;
  registry.AddTuner(std::move(info));
}

}  // namespace hone
