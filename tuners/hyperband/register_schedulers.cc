#include "tuners/hyperband/register_schedulers.h"

#include <optional>
#include <string>

#include "tuners/bohb/bohb_tuner.h"
#include "tuners/hyperband/hyperband_tuner.h"
#include "tuners/pbt/pbt_tuner.h"

namespace hone {
namespace {

ArgSpec Arg(std::string key, ArgSpec::Kind kind, std::optional<double> min = std::nullopt,
            std::optional<double> max = std::nullopt) {
  ArgSpec spec;
  spec.key = std::move(key);
  spec.kind = kind;
  spec.min = min;
  spec.max = max;
  return spec;
}

ArgSpec Enum(std::string key, std::vector<std::string> choices) {
  ArgSpec spec = Arg(std::move(key), ArgSpec::Kind::kEnum);
  spec.choices = std::move(choices);
  return spec;
}

}  // namespace

void RegisterSchedulerTuners(Registry& registry) {
  using K = ArgSpec::Kind;
  TunerInfo hyperband;
  hyperband.name = "hyperband";
  hyperband.aliases = {"Hyperband"};
  hyperband.summary = "brackets of successive halving over random configurations; trials get TRIAL_BUDGET";
  hyperband.args = {Enum("optimize_mode", {"maximize", "minimize"}), Arg("R", K::kNumber, 1e-9),
                    Arg("max_budget", K::kNumber, 1e-9), Arg("min_budget", K::kNumber, 1e-9),
                    Arg("eta", K::kNumber, 1.0001), Enum("exec_mode", {"parallelism", "serial"})};
  hyperband.create = &HyperbandTuner::Create;
  registry.AddTuner(std::move(hyperband));

  TunerInfo bohb;
  bohb.name = "bohb";
  bohb.aliases = {"BOHB"};
  bohb.summary = "hyperband whose new configurations come from a TPE model of the largest well-sampled budget";
  bohb.args = {Enum("optimize_mode", {"maximize", "minimize"}), Arg("min_budget", K::kNumber, 1e-9),
               Arg("max_budget", K::kNumber, 1e-9), Arg("eta", K::kNumber, 1.0001),
               Arg("min_points_in_model", K::kInt, 0), Arg("top_n_percent", K::kNumber, 1, 99),
               Arg("num_samples", K::kInt, 1), Arg("random_fraction", K::kNumber, 0, 1),
               Arg("bandwidth_factor", K::kNumber, 0), Arg("min_bandwidth", K::kNumber, 0),
               Enum("exec_mode", {"parallelism", "serial"})};
  bohb.create = &BohbTuner::Create;
  registry.AddTuner(std::move(bohb));

  TunerInfo pbt;
  pbt.name = "pbt";
  pbt.aliases = {"PBTTuner"};
  pbt.summary = "population-based training: exploit the best checkpoints, explore perturbed hyperparameters";
  pbt.args = {Enum("optimize_mode", {"maximize", "minimize"}), Arg("all_checkpoint_dir", K::kString),
              Arg("population_size", K::kInt, 2), Arg("factor", K::kNumber, 0, 0.99),
              Arg("resample_probability", K::kNumber, 0, 1), Arg("fraction", K::kNumber, 0, 0.5)};
  pbt.create = &PbtTuner::Create;
  registry.AddTuner(std::move(pbt));
}

}  // namespace hone
