#include "tuners/tpe/register_tpe.h"

#include "tuners/tpe/tpe_tuner.h"

namespace hone {
void RegisterTpeTuner(Registry& registry) {
  using K = ArgSpec::Kind;
  TunerInfo info;
  info.name = "tpe";
  info.aliases = {"TPE"};
  info.summary = "tree-structured Parzen estimator: random for n_startup_jobs, then where good trials cluster";
  info.args = {
      OptimizeModeArg(),
      MakeArg("seed", K::kInt),
      MakeArg("n_startup_jobs", K::kInt, 0),
      MakeArg("n_ei_candidates", K::kInt, 1),
      MakeArg("gamma", K::kNumber, 1e-9, 1),
      EnumArg("gamma_rule", {"hyperopt", "optuna"}),
      MakeArg("prior_weight", K::kNumber, 1e-9),
      MakeArg("linear_forgetting", K::kInt, 0),
      MakeArg("multivariate", K::kBool),
      MakeArg("normalized_kernels", K::kBool),
      // null (NNI's way to turn the liar off) is accepted too; the factory checks it.
      MakeArg("constant_liar_type", K::kAny),
      // NNI nests the options above under tpe_args; the factory checks its keys.
      MakeArg("tpe_args", K::kAny),
  };
  info.uses_optimize_mode = true;
  info.create = &TpeTuner::Create;
  registry.AddTuner(std::move(info));
}

}  // namespace hone
