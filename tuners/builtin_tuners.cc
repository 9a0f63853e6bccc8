#include "tuners/builtin_tuners.h"

#include "tuners/anneal/anneal_tuner.h"
#include "tuners/bohb/bohb_tuner.h"
#include "tuners/cmaes/cmaes_tuner.h"
#include "tuners/evolution/evolution_tuner.h"
#include "tuners/gp/gp_tuner.h"
#include "tuners/grid_tuner.h"
#include "tuners/hyperband/hyperband_tuner.h"
#include "tuners/pbt/pbt_tuner.h"
#include "tuners/ppo/ppo_tuner.h"
#include "tuners/random_tuner.h"
#include "tuners/tpe/tpe_tuner.h"

namespace hone {

void RegisterBuiltinTuners(Registry& registry) {
  using K = ArgSpec::Kind;
  const ArgSpec seed = SeedArg();
  const ArgSpec exec_mode = EnumArg("exec_mode", {"parallelism", "serial"});
  // The order is the one `hone algo list` and "known: ..." messages show.
  TunerInfo table[] = {
      {.name = "random", .aliases = {"Random"},
       .summary = "uniform draws from the search space, never repeating a configuration",
       .args = {seed, OptimizeModeArg()}, .uses_optimize_mode = false, .create = &RandomTuner::Create},
      {.name = "grid", .aliases = {"GridSearch"},
       .summary = "every discrete combination; continuous ranges subdivided ever finer",
       .args = {OptimizeModeArg()}, .uses_optimize_mode = false, .create = &GridTuner::Create},
      {.name = "tpe", .aliases = {"TPE"},
       .summary = "tree-structured Parzen estimator: random for n_startup_jobs, then where good trials cluster",
       .args = {OptimizeModeArg(), seed, MakeArg("n_startup_jobs", K::kInt, 0), MakeArg("n_ei_candidates", K::kInt, 1),
                MakeArg("gamma", K::kNumber, 1e-9, 1), EnumArg("gamma_rule", {"hyperopt", "optuna"}),
                MakeArg("prior_weight", K::kNumber, 1e-9), MakeArg("linear_forgetting", K::kInt, 0),
                MakeArg("multivariate", K::kBool), MakeArg("normalized_kernels", K::kBool),
                // null (NNI's way to turn the liar off) is accepted too; the factory checks it.
                MakeArg("constant_liar_type", K::kAny),
                // NNI nests the options above under tpe_args; the factory checks its keys.
                MakeArg("tpe_args", K::kAny)},
       .create = &TpeTuner::Create},
      {.name = "anneal", .aliases = {"Anneal"},
       .summary = "random for n_startup_jobs, then draws ever closer to the best trials",
       .args = {OptimizeModeArg(), seed, MakeArg("n_startup_jobs", K::kInt, 0), MakeArg("avg_best_idx", K::kNumber, 1),
                MakeArg("shrink_coef", K::kNumber, 0)},
       .create = &AnnealTuner::Create},
      {.name = "gp", .aliases = {"GPTuner"},
       .summary = "Gaussian-process Bayesian optimization (Matérn-5/2 ARD, log expected improvement)",
       .args = {OptimizeModeArg(), seed, MakeArg("n_startup_jobs", K::kInt, 0), MakeArg("n_candidates", K::kInt, 10)},
       .create = &GpTuner::Create},
      {.name = "cmaes", .aliases = {"CMAES", "CmaEs"},
       .summary = "CMA-ES over the numeric parameters (warped to the unit cube); choices drawn at random",
       .args = {OptimizeModeArg(), seed, MakeArg("popsize", K::kInt, 2), MakeArg("sigma0", K::kNumber, 0)},
       .create = &CmaesTuner::Create},
      {.name = "evolution", .aliases = {"Evolution"},
       .summary = "random population, then mutate tournament winners, replacing the worst",
       .args = {OptimizeModeArg(), seed, MakeArg("population_size", K::kInt, 1)},
       .create = &EvolutionTuner::CreateEvolution},
      {.name = "regularized_evolution", .aliases = {"RegularizedEvolutionTuner", "RegularizedEvolution"},
       .summary = "aging evolution: mutate the best of a random sample, drop the oldest",
       .args = {OptimizeModeArg(), seed, MakeArg("population_size", K::kInt, 1), MakeArg("sample_size", K::kInt, 1)},
       .create = &EvolutionTuner::CreateRegularized},
      {.name = "ppo", .aliases = {"PPOTuner"},
       .summary = "policy gradient (PPO): a softmax per decision, trained on every trials_per_update results",
       .args = {OptimizeModeArg(), seed, MakeArg("trials_per_update", K::kInt, 1),
                MakeArg("epochs_per_update", K::kInt, 1), MakeArg("minibatch_size", K::kInt, 1),
                MakeArg("ent_coef", K::kNumber, 0), MakeArg("lr", K::kNumber, 0), MakeArg("vf_coef", K::kNumber, 0),
                MakeArg("max_grad_norm", K::kNumber, 0), MakeArg("gamma", K::kNumber, 0, 1),
                MakeArg("lam", K::kNumber, 0, 1), MakeArg("cliprange", K::kNumber, 0), MakeArg("bins", K::kInt, 2)},
       .create = &PpoTuner::Create},
      {.name = "hyperband", .aliases = {"Hyperband"},
       .summary = "brackets of successive halving over random configurations; trials get TRIAL_BUDGET",
       .args = {OptimizeModeArg(), MakeArg("R", K::kNumber, 1e-9), MakeArg("max_budget", K::kNumber, 1e-9),
                MakeArg("min_budget", K::kNumber, 1e-9), MakeArg("eta", K::kNumber, 1.0001), exec_mode},
       .create = &HyperbandTuner::Create},
      {.name = "bohb", .aliases = {"BOHB"},
       .summary = "hyperband whose new configurations come from a TPE model of the largest well-sampled budget",
       .args = {OptimizeModeArg(), MakeArg("min_budget", K::kNumber, 1e-9), MakeArg("max_budget", K::kNumber, 1e-9),
                MakeArg("eta", K::kNumber, 1.0001), MakeArg("min_points_in_model", K::kInt, 0),
                MakeArg("top_n_percent", K::kNumber, 1, 99), MakeArg("num_samples", K::kInt, 1),
                MakeArg("random_fraction", K::kNumber, 0, 1), MakeArg("bandwidth_factor", K::kNumber, 0),
                MakeArg("min_bandwidth", K::kNumber, 0), exec_mode},
       .create = &BohbTuner::Create},
      {.name = "pbt", .aliases = {"PBTTuner"},
       .summary = "population-based training: exploit the best checkpoints, explore perturbed hyperparameters",
       .args = {OptimizeModeArg(), MakeArg("all_checkpoint_dir", K::kString), MakeArg("population_size", K::kInt, 2),
                MakeArg("factor", K::kNumber, 0, 0.99), MakeArg("resample_probability", K::kNumber, 0, 1),
                MakeArg("fraction", K::kNumber, 0, 0.5)},
       .create = &PbtTuner::Create},
  };
  for (TunerInfo& info : table) registry.AddTuner(std::move(info));
}

}  // namespace hone
