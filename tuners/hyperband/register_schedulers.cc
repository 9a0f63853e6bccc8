#include "tuners/hyperband/register_schedulers.h"

#include <optional>
#include <string>

#include "tuners/bohb/bohb_tuner.h"
#include "tuners/hyperband/hyperband_tuner.h"
#include "tuners/pbt/pbt_tuner.h"

namespace hone {
void RegisterSchedulerTuners(Registry& registry) {
  using K = ArgSpec::Kind;
  TunerInfo hyperband;
  hyperband.name = "hyperband";
  hyperband.aliases = {"Hyperband"};
  hyperband.summary = "brackets of successive halving over random configurations; trials get TRIAL_BUDGET";
  hyperband.args = {OptimizeModeArg(), MakeArg("R", K::kNumber, 1e-9),
                    MakeArg("max_budget", K::kNumber, 1e-9), MakeArg("min_budget", K::kNumber, 1e-9),
                    MakeArg("eta", K::kNumber, 1.0001), EnumArg("exec_mode", {"parallelism", "serial"})};
  hyperband.create = &HyperbandTuner::Create;
  registry.AddTuner(std::move(hyperband));

  TunerInfo bohb;
  bohb.name = "bohb";
  bohb.aliases = {"BOHB"};
  bohb.summary = "hyperband whose new configurations come from a TPE model of the largest well-sampled budget";
  bohb.args = {OptimizeModeArg(), MakeArg("min_budget", K::kNumber, 1e-9),
               MakeArg("max_budget", K::kNumber, 1e-9), MakeArg("eta", K::kNumber, 1.0001),
               MakeArg("min_points_in_model", K::kInt, 0), MakeArg("top_n_percent", K::kNumber, 1, 99),
               MakeArg("num_samples", K::kInt, 1), MakeArg("random_fraction", K::kNumber, 0, 1),
               MakeArg("bandwidth_factor", K::kNumber, 0), MakeArg("min_bandwidth", K::kNumber, 0),
               EnumArg("exec_mode", {"parallelism", "serial"})};
  bohb.create = &BohbTuner::Create;
  registry.AddTuner(std::move(bohb));

  TunerInfo pbt;
  pbt.name = "pbt";
  pbt.aliases = {"PBTTuner"};
  pbt.summary = "population-based training: exploit the best checkpoints, explore perturbed hyperparameters";
  pbt.args = {OptimizeModeArg(), MakeArg("all_checkpoint_dir", K::kString),
              MakeArg("population_size", K::kInt, 2), MakeArg("factor", K::kNumber, 0, 0.99),
              MakeArg("resample_probability", K::kNumber, 0, 1), MakeArg("fraction", K::kNumber, 0, 0.5)};
  pbt.create = &PbtTuner::Create;
  registry.AddTuner(std::move(pbt));
}

}  // namespace hone
